"""Strategies panel: live strategy instances (``strategy_instances.py``); strategy groups, their linked accounts
and webhook tokens; per-account risk limits and the kill switch; the local API's addresses and admin token.

- Groups: create (name, market type, description), enable/disable, delete. The selected group's webhook token
  is masked until *Show*; *Copy* puts it on the clipboard, *Rotate* issues a new one (the old one stops
  working). *Copy alert* copies a TradingView alert template for the group.
- Links: link an account (weight 0-1, leverage, max positions), edit, unlink. Linking an account twice is
  refused with a warning (``DuplicateLink``).
- Risk: limits per account (money per quote currency, ``USDT=50000, KRW=50000000``), the kill-switch state,
  and *Reset kill switch* (the only way new orders flow again after the daily loss limit tripped it).
- Local API: listener and REST addresses; the admin bearer token (masked; show/copy).
- Notices: Telegram notices of executed signals and kill-switch changes (``notices.py``).

Every action runs as a task on the loop (``spawn``); outcomes and refusals appear in the status line and the Log.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QTabWidget, QVBoxLayout, QWidget

from ...core.events import LogEvent
from ...core.groups import DEFAULT_MAX_POSITIONS
from ...core.ids import now_ms
from ...core.money import fmt
from .. import theme
from ..models.base import LEFT, Column, KeyedTableModel
from .common import TableView, spawn, track_account_names
from .notices import NoticesTab
from .listener_form import ListenerForm
from .strategy_instances import StrategyInstancesPanel
from .strategy_forms import (
    MASK, GroupRow, LinkRow, RiskRow, ask_limits, ask_link, ask_new_group, buttons_row, limits_text,
)


class StrategiesPanel(QWidget):
    """The Strategies dock (see the module docstring). ``services``: ``groups``, ``accounts``, ``risk_book``,
    ``bus`` and (for addresses) ``webhook``; ``last_task`` is the newest action's task (tests await it)."""

    def __init__(self, services: Any, bridge: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.last_task: Any = None
        self.token_visible = False
        self._token = ""
        self.names: dict[str, str] = {}
        track_account_names(services, bridge, self.names)
        self.groups_model = KeyedTableModel([
            Column("Group", lambda r: r.group_name, align=LEFT, width=120),
            Column("Market", lambda r: r.market_type, align=LEFT, width=70),
            Column("Enabled", lambda r: "yes" if r.enabled else "no", align=LEFT, width=60),
            Column("Accounts", lambda r: r.links, width=70),
            Column("Description", lambda r: r.description, align=LEFT, width=200)], key=lambda r: r.group_name)
        self.links_model = KeyedTableModel([
            Column("Account", lambda r: r.name, align=LEFT, width=120),
            Column("Weight", lambda r: r.weight, width=70),
            Column("Leverage", lambda r: r.leverage, width=70),
            Column("Max positions", lambda r: r.max_positions, width=90)], key=lambda r: r.account_id)
        self.risk_model = KeyedTableModel([
            Column("Account", lambda r: r.name, align=LEFT, width=120),
            Column("Kill switch", lambda r: "TRIPPED" if r.tripped else "ok", align=LEFT, width=80,
                   colour=lambda r: theme.DOWN_COLOR if r.tripped else None),
            Column("Reason", lambda r: r.reason, align=LEFT, width=220),
            Column("Limits", lambda r: r.limits, align=LEFT, width=300)], key=lambda r: r.account_id)
        self.status = QLabel("", self)
        self.status.setObjectName("strategiesStatus")
        self.status.setWordWrap(True)
        tabs = QTabWidget(self)
        self.instances = StrategyInstancesPanel(services, bridge, tabs)
        tabs.addTab(self._groups_tab(), "Groups")
        tabs.addTab(self.instances, "Live strategies")
        tabs.addTab(self._risk_tab(), "Risk")
        tabs.addTab(self._api_tab(), "Local API")
        self.notices = NoticesTab(services, tabs)
        self._notices_loaded = False
        tabs.addTab(self.notices, "Notices")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(tabs)
        layout.addWidget(self.status)
        from ...trading.groups import GroupEvent

        self._unsub = [services.bus.subscribe(GroupEvent, lambda _e: self._schedule_refresh())]
        bridge.kill_switches.connect(lambda _events: self._schedule_refresh())
        self._refresh_pending = False

    # ---- layout ----------------------------------------------------------------------------------------
    def _groups_tab(self) -> QWidget:
        w = QWidget(self)
        v = QVBoxLayout(w)
        self.groups_table = TableView(self.groups_model, w)
        self.groups_table.setObjectName("groupsTable")
        self.groups_table.selectionModel().selectionChanged.connect(lambda *_: self._group_selected())
        row, self.group_buttons = buttons_row(w, ("newGroup", "New group…", self._new_group_dialog),
                                           ("toggleGroup", "Enable/Disable", lambda: self.toggle_group()),
                                           ("deleteGroup", "Delete", lambda: self.delete_group()))
        v.addWidget(self.groups_table)
        v.addLayout(row)
        token_row = QHBoxLayout()
        token_row.addWidget(QLabel("Webhook token", w))
        self.token_edit = QLineEdit(w)
        self.token_edit.setObjectName("tokenEdit")
        self.token_edit.setReadOnly(True)
        token_row.addWidget(self.token_edit, 1)
        r2, self.token_buttons = buttons_row(w, ("showToken", "Show", self.toggle_token),
                                          ("copyToken", "Copy", self.copy_token),
                                          ("rotateToken", "Rotate", lambda: self.rotate_token()),
                                          ("copyAlert", "Copy alert", self.copy_alert_template))
        token_row.addLayout(r2)
        v.addLayout(token_row)
        self.webhook_hint = QLabel("", w)
        v.addWidget(self.webhook_hint)
        self.links_table = TableView(self.links_model, w)
        self.links_table.setObjectName("linksTable")
        v.addWidget(self.links_table)
        row, self.link_buttons = buttons_row(w, ("linkAccount", "Link account…", self._link_dialog),
                                          ("editLink", "Edit link…", lambda: self._link_dialog(edit=True)),
                                          ("unlink", "Unlink", lambda: self.unlink_selected()))
        v.addLayout(row)
        return w

    def _risk_tab(self) -> QWidget:
        w = QWidget(self)
        v = QVBoxLayout(w)
        self.risk_table = TableView(self.risk_model, w)
        self.risk_table.setObjectName("riskTable")
        v.addWidget(self.risk_table)
        row, self.risk_buttons = buttons_row(w, ("editLimits", "Edit limits…", self._limits_dialog),
                                          ("resetKill", "Reset kill switch", lambda: self.reset_kill_switch()))
        v.addLayout(row)
        return w

    def _api_tab(self) -> QWidget:
        w = QWidget(self)
        v = QVBoxLayout(w)
        self.api_label = QLabel("", w)
        self.api_label.setObjectName("apiLabel")
        self.api_label.setWordWrap(True)
        v.addWidget(self.api_label)
        row = QHBoxLayout()
        row.addWidget(QLabel("Admin token", w))
        self.admin_edit = QLineEdit(MASK, w)
        self.admin_edit.setReadOnly(True)
        self.admin_edit.setObjectName("adminToken")
        row.addWidget(self.admin_edit, 1)
        r2, self.api_buttons = buttons_row(w, ("showAdmin", "Show", lambda: self.show_admin_token()),
                                        ("copyAdmin", "Copy", lambda: self.copy_admin_token()))
        row.addLayout(r2)
        v.addLayout(row)
        v.addWidget(QLabel("REST clients send it as 'Authorization: Bearer <token>'; TRADER_APP_API_TOKEN "
                           "overrides the one kept in the keyring.", w))
        self.listener_form = ListenerForm(self.services, w)
        v.addWidget(self.listener_form)
        v.addStretch(1)
        return w

    def tables(self) -> list[TableView]:
        return [self.groups_table, self.links_table, self.risk_table, *self.instances.tables()]

    # ---- loading ---------------------------------------------------------------------------------------
    async def load(self) -> None:
        """Fill the groups, the selected group's links and token, the risk table and the API addresses."""
        self._refresh_pending = False
        await self.instances.load()
        groups = self.services.groups
        if groups is None:
            self.say("strategy groups are not available in this build")
            return
        links = await groups.links()
        counts: dict[str, int] = {}
        for lk in links:
            counts[lk.group_name] = counts.get(lk.group_name, 0) + 1
        rows = [GroupRow(g.group_name, g.market_type.value, g.enabled, counts.get(g.group_name, 0), g.description)
                for g in await groups.list_groups()]
        current = self.selected_group()
        self.groups_model.replace_all(rows)
        if rows:
            self.select_group(current if current in {r.group_name for r in rows} else rows[0].group_name)
        await self._load_group(self.selected_group())
        self._load_risk()
        self._load_api()
        if not self._notices_loaded:  # once: a later refresh must not wipe what the trader is typing there
            self._notices_loaded = True
            self.notices.load()

    def _schedule_refresh(self) -> None:
        if not self._refresh_pending:
            self._refresh_pending = True
            spawn(self.load(), self._failed)

    async def _load_group(self, name: str | None) -> None:
        self._token = ""
        if name is None:
            self.links_model.replace_all([])
            self.token_edit.setText("")
            self.webhook_hint.setText("Create a group to get a webhook token.")
            return
        links = await self.services.groups.links(name)
        picked = self.links_table.selected_record()  # a reload keeps the row the user picked
        self.links_model.replace_all(LinkRow(lk.account_id, self.names.get(lk.account_id, lk.account_id),
                                             fmt(lk.weight), fmt(lk.leverage), lk.max_positions) for lk in links)
        if picked is not None:
            self.links_table.select_key(picked.account_id)
        self._token = await self.services.groups.token(name) or ""
        self.token_edit.setText(self._token if self.token_visible else (MASK if self._token else ""))
        url = self._listener_url()
        self.webhook_hint.setText(f"TradingView webhook URL: {url}/api/webhook" if url else "Listener is off.")

    def _load_risk(self) -> None:
        book = getattr(self.services, "risk_book", None)
        rows = []
        for acc in self.services.accounts.list():
            if book is None:
                rows.append(RiskRow(acc.account_id, acc.name, False, "", "risk rules unavailable"))
                continue
            state = book.kill_switch(acc.account_id)
            rows.append(RiskRow(acc.account_id, acc.name, state is not None, state.reason if state else "",
                                limits_text(book.limits(acc.account_id).to_json())))
        picked = self.risk_table.selected_record()
        self.risk_model.replace_all(rows)
        if picked is not None:
            self.risk_table.select_key(picked.account_id)

    def _load_api(self) -> None:
        url = self._listener_url()
        if not url:
            self.api_label.setText("The listener is off.")
            return
        self.api_label.setText(f"Webhook: POST {url}/api/webhook\nREST API: {url}/api/v1 (OpenAPI docs: {url}/docs)")

    def _listener_url(self) -> str:
        server = getattr(self.services, "webhook", None)
        return str(getattr(server, "url", "") or "")

    # ---- selection -------------------------------------------------------------------------------------
    def selected_group(self) -> str | None:
        rec = self.groups_table.selected_record()
        return rec.group_name if rec is not None else None

    def select_group(self, name: str) -> None:
        row = self.groups_model.row_of(name)
        if row is not None:
            self.groups_table.selectRow(row)

    def _group_selected(self) -> None:
        self.token_visible = False
        self.last_task = spawn(self._load_group(self.selected_group()), self._failed)

    # ---- group actions ---------------------------------------------------------------------------------
    def create_group(self, name: str, market_type: str, description: str = "") -> Any:
        async def run() -> None:
            await self.services.groups.create_group(name.strip(), market_type, description)
            await self.load()
            self.select_group(name.strip())
            self.say(f"group {name.strip()!r} created; its webhook token is ready to copy")
        return self._run(run())

    def toggle_group(self) -> Any:
        name = self.selected_group()
        if name is None:
            return self.say("select a group first")
        rec = self.groups_model.get(name)
        return self._run(self._then_load(self.services.groups.update_group(name, enabled=not rec.enabled),
                                         f"group {name!r} {'disabled' if rec.enabled else 'enabled'}"))

    def delete_group(self) -> Any:
        name = self.selected_group()
        if name is None:
            return self.say("select a group first")
        return self._run(self._then_load(self.services.groups.delete_group(name), f"group {name!r} deleted"))

    def rotate_token(self) -> Any:
        name = self.selected_group()
        if name is None:
            return self.say("select a group first")
        return self._run(self._then_load(self.services.groups.rotate_token(name),
                                         f"new webhook token for {name!r}; the old one no longer works"))

    def toggle_token(self) -> None:
        self.token_visible = not self.token_visible
        self.token_edit.setText(self._token if self.token_visible else (MASK if self._token else ""))
        self.token_buttons["showToken"].setText("Hide" if self.token_visible else "Show")

    def copy_token(self) -> None:
        if not self._token:
            self.say("no token to copy")
            return
        QGuiApplication.clipboard().setText(self._token)
        self.say("webhook token copied")

    def copy_alert_template(self) -> None:
        name = self.selected_group()
        if name is None or not self._token:
            self.say("select a group first")
            return
        template = {"group_name": name, "token": self._token, "symbol": "{{ticker}}", "order_type": "MARKET",
                    "side": "{{strategy.order.action}}", "qty_per": 10}
        QGuiApplication.clipboard().setText(json.dumps(template))
        self.say("TradingView alert template copied (edit symbol format and qty_per)")

    # ---- link actions ----------------------------------------------------------------------------------
    def link_account(self, account_id: str, weight: str, leverage: str = "1",
                     max_positions: int = DEFAULT_MAX_POSITIONS) -> Any:
        name = self.selected_group()
        if name is None:
            return self.say("select a group first")
        return self._run(self._then_load(self.services.groups.link(name, account_id, weight, leverage, max_positions),
                                         f"{self.names.get(account_id, account_id)} linked to {name!r}"))

    def edit_link(self, account_id: str, weight: str, leverage: str, max_positions: int) -> Any:
        name = self.selected_group()
        return self._run(self._then_load(self.services.groups.update_link(
            name, account_id, weight=weight, leverage=leverage, max_positions=max_positions), "link updated"))

    def unlink_selected(self) -> Any:
        name, rec = self.selected_group(), self.links_table.selected_record()
        if name is None or rec is None:
            return self.say("select a linked account first")
        return self._run(self._then_load(self.services.groups.unlink(name, rec.account_id), f"{rec.name} unlinked"))

    # ---- risk and API ----------------------------------------------------------------------------------
    def set_limits(self, account_id: str, limits_json: dict[str, Any]) -> Any:
        from ...trading.risk.rules import RiskLimits

        async def run() -> None:
            await self.services.risk_book.set_limits(account_id, RiskLimits.from_json(limits_json))
            self._load_risk()
            self.say(f"risk limits of {self.names.get(account_id, account_id)} saved")
        return self._run(run())

    def reset_kill_switch(self, account_id: str | None = None) -> Any:
        rec = self.risk_table.selected_record()
        account_id = account_id or (rec.account_id if rec is not None else None)
        if account_id is None:
            return self.say("select an account first")

        async def run() -> None:
            await self.services.risk_book.reset(account_id)
            self._load_risk()
            self.say(f"kill switch of {self.names.get(account_id, account_id)} reset: orders flow again")
        return self._run(run())

    def show_admin_token(self) -> Any:
        """Show the admin token; where none can be kept (no keyring, no ``TRADER_APP_API_TOKEN``) the field says
        so and the status line gives the reason and the fixes."""
        async def run() -> None:
            from ...core.errors import SecretStoreError

            try:
                self.admin_edit.setText(await self._admin_token())
            except SecretStoreError as exc:
                self.admin_edit.setText("no admin token (no OS keyring)")
                self.say(str(exc), error=True)
        return self._run(run())

    def copy_admin_token(self) -> Any:
        async def run() -> None:
            QGuiApplication.clipboard().setText(await self._admin_token())
            self.say("admin token copied")
        return self._run(run())

    async def _admin_token(self) -> str:
        auth = getattr(self.services, "admin_auth", None)
        if auth is not None:
            return await auth.token()
        from ...core.offloop import run_blocking
        from ...webhook.auth import load_admin_token

        return await run_blocking(load_admin_token)

    # ---- dialogs ----------------------------------------------------------------------------------------
    def _new_group_dialog(self) -> None:
        answer = ask_new_group(self)
        if answer is not None:
            self.create_group(*answer)

    def _link_dialog(self, edit: bool = False) -> None:
        rec = self.links_table.selected_record() if edit else None
        if edit and rec is None:
            self.say("select a linked account first")
            return
        answer = ask_link(self, self.services.accounts.list(), rec)
        if answer is not None:
            self.edit_link(*answer) if edit else self.link_account(*answer)

    def _limits_dialog(self) -> None:
        rec = self.risk_table.selected_record()
        if rec is None:
            self.say("select an account first")
            return
        try:
            data = ask_limits(self, rec.name, self.services.risk_book.limits(rec.account_id).to_json())
        except ValueError as exc:
            self.say(str(exc), error=True)
            return
        if data is not None:
            self.set_limits(rec.account_id, data)

    # ---- plumbing --------------------------------------------------------------------------------------
    async def _then_load(self, action: Any, message: str) -> None:
        await action
        await self.load()
        self.say(message)

    def _run(self, coro: Any) -> Any:
        self.last_task = spawn(coro, self._failed)
        return self.last_task

    def _failed(self, exc: BaseException) -> None:
        from ...core.errors import DuplicateLink

        warning = "warning: " if isinstance(exc, DuplicateLink) else ""
        self.say(f"{warning}{exc}", error=True)

    def say(self, message: str, error: bool = False) -> None:
        """Show ``message`` in the status line (red for errors) and the Log."""
        self.status.setStyleSheet(f"color: {theme.DOWN if error else theme.MUTED};")
        self.status.setText(message)
        self.services.bus.publish(LogEvent(now_ms(), "WARNING" if error else "INFO", "strategies", message))
