"""The Reports panel: the stored daily and weekly reports, one open beside the list, and the report settings.

Top: make a report now (period, a day of it, scope), open the selected one in the browser, delete it. Left:
the stored reports, newest period first (period, scope, dates, return %, PnL, when made). Right: the selected
report's page (``QTextBrowser`` draws the same HTML a browser does). Bottom: the schedule, the daily report on
Telegram and the weekly narrative's model (its API key goes to the OS keyring, never on screen).
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QDate, QUrl, Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDateEdit, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QSplitter, QTableWidget, QTableWidgetItem, QTextBrowser, QVBoxLayout, QWidget)

from ...reports.render import dark_page
from .. import theme
from .common import StatusActions
from .strategy_forms import buttons_row

COLUMNS = ("Report", "Scope", "Days", "Return %", "PnL", "Made (UTC)")
_KEY_STORED = "a key is stored in the OS keyring (paste a new one to replace it)"
_KEY_NONE = "API key of the OpenAI-compatible endpoint"


def _day(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d")


def headline(metrics: dict[str, Any]) -> tuple[str, str]:
    """(return %, PnL) of a report's first section with equity, as text (``-`` when none)."""
    for section in metrics.get("sections", ()):
        m = section["metrics"]
        if m.get("pnl") is not None:
            ret = m.get("total_return_pct")
            return ("-" if ret is None else f"{ret:+.2f}", f"{Decimal(m['pnl']):+,.2f} {section['currency']}")
    return "-", "-"


class ReportsPanel(QWidget, StatusActions):
    """Lists ``services.store.reports`` and drives ``services.reports`` (a ``ReportService``). ``last_task``:
    the newest action's task (tests await it)."""

    def __init__(self, services: Any, bridge: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.last_task: Any = None
        self._ids: list[int] = []
        self._shown_id: int | None = None
        v = QVBoxLayout(self)
        top = QHBoxLayout()
        self.period_box = QComboBox(self)
        self.period_box.addItems(["daily", "weekly"])
        self.date_edit = QDateEdit(self)
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        today = date.today()  # "Make now" makes today's report so far; any earlier day can be picked
        self.date_edit.setDate(QDate(today.year, today.month, today.day))
        self.date_edit.setMaximumDate(QDate(today.year, today.month, today.day))
        self.scope_box = QComboBox(self)
        self.scope_box.setMinimumWidth(180)
        for w in (QLabel("Report", self), self.period_box, QLabel("for", self), self.date_edit,
                  QLabel("scope", self), self.scope_box):
            top.addWidget(w)
        row, self.buttons = buttons_row(self, ("makeReport", "Make now", lambda: self.make()),
                                        ("openReport", "Open in browser", lambda: self.open_in_browser()),
                                        ("deleteReport", "Delete", lambda: self.delete()),
                                        ("refreshReports", "Refresh", lambda: self.refresh()))
        top.addLayout(row)
        v.addLayout(top)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("reportsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._selected)
        self.page = QTextBrowser(self)
        self.page.setObjectName("reportPage")
        self.page.setOpenExternalLinks(True)
        self.page.setStyleSheet(f"QTextBrowser {{ background: {theme.BACKGROUND}; color: {theme.TEXT}; }}")
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.table)
        split.addWidget(self.page)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([600, 600])
        v.addWidget(split, 1)
        v.addLayout(self._settings_row())
        self.status = QLabel("", self)
        self.status.setObjectName("reportsStatus")
        self.status.setWordWrap(True)
        v.addWidget(self.status)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        """Reload the list each time the panel comes into view (the scheduled reports arrive meanwhile)."""
        super().showEvent(event)
        self.refresh()

    def _settings_row(self) -> QVBoxLayout:
        """Three rows that fit a 1280 px window: schedule and Telegram; the narrative's endpoint; model, key
        and Save."""
        box = QVBoxLayout()
        first = QHBoxLayout()
        self.schedule_box = QCheckBox("Make the reports when each day and week closes", self)
        self.telegram_box = QCheckBox("Send the daily report to Telegram", self)
        self.telegram_box.setObjectName("reportsTelegram")
        first.addWidget(self.schedule_box)
        first.addWidget(self.telegram_box)
        first.addStretch(1)
        second = QHBoxLayout()
        third = QHBoxLayout()
        self.narrative_box = QCheckBox("Weekly narrative from", self)
        self.url_edit = QLineEdit(self)
        self.url_edit.setPlaceholderText("https://api.openai.com/v1")
        self.url_edit.setMinimumWidth(200)
        self.model_edit = QLineEdit(self)
        self.model_edit.setPlaceholderText("model")
        self.model_edit.setMinimumWidth(110)
        self.key_edit = QLineEdit(self)
        self.key_edit.setObjectName("narrativeKey")
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setMinimumWidth(200)
        second.addWidget(self.narrative_box)
        second.addWidget(self.url_edit, 1)
        third.addWidget(QLabel("model", self))
        third.addWidget(self.model_edit, 1)
        third.addWidget(QLabel("key", self))
        third.addWidget(self.key_edit, 2)
        buttons, more = buttons_row(self, ("saveReportSettings", "Save", lambda: self.save_settings()))
        self.buttons.update(more)
        third.addLayout(buttons)
        box.addLayout(first)
        box.addLayout(second)
        box.addLayout(third)
        return box

    def telegram_ready(self) -> bool:
        """Whether Telegram notices are set up (on, with a chat id and a stored bot token)."""
        notices = getattr(self.services, "notices", None)
        if notices is None:
            return False
        n = notices.settings.notices
        return bool(n.telegram_enabled and n.telegram_chat_id and notices.token_stored)

    @property
    def reports(self) -> Any:
        """The app's ``ReportService`` (None in a build without it)."""
        return getattr(self.services, "reports", None)

    # ---- list and page --------------------------------------------------------------------------------------
    def refresh(self) -> Any:
        """Reload the scopes, the settings and the list (store reads off the loop)."""
        if self.reports is None:
            self.setEnabled(False)
            self.say("reports are not available in this build")
            return None

        async def run() -> None:
            store = self.services.store
            accounts = await store.run(store.accounts.list)
            groups = await store.run(store.groups.list)
            current = self.scope_box.currentData()
            self.scope_box.clear()
            self.scope_box.addItem("all accounts", "all")
            for a in accounts:
                self.scope_box.addItem(f"account {a.name}", f"account:{a.account_id}")
            for g in groups:
                self.scope_box.addItem(f"group {g.group_name}", f"group:{g.group_name}")
            if current is not None and self.scope_box.findData(current) >= 0:
                self.scope_box.setCurrentIndex(self.scope_box.findData(current))
            self._load_settings(await self.reports.key_stored())
            self.show_list(await store.run(store.reports.list))

        return self._run(run())

    def _load_settings(self, key_stored: bool) -> None:
        cfg = self.reports.settings.reports
        self.schedule_box.setChecked(cfg.schedule)
        ready = self.telegram_ready()  # not ticked, and not tickable, while Telegram is not set up
        self.telegram_box.setEnabled(ready)
        self.telegram_box.setChecked(cfg.telegram_daily and ready)
        self.telegram_box.setToolTip("" if ready else "set up Telegram first: Strategies > Notices (on, chat id, "
                                     "bot token)")
        self.narrative_box.setChecked(cfg.narrative_enabled)
        self.url_edit.setText(cfg.narrative_base_url)
        self.model_edit.setText(cfg.narrative_model)
        self.key_edit.clear()
        self.key_edit.setPlaceholderText(_KEY_STORED if key_stored else _KEY_NONE)

    def show_list(self, reports: list[Any]) -> None:
        """Fill the table with ``StoredReport`` rows (without their pages); keep the selection."""
        selected = self._shown_id
        self.table.setRowCount(len(reports))
        self._ids = [r.id for r in reports]
        for i, r in enumerate(reports):
            ret, pnl = headline(r.metrics)
            first, last = _day(r.start_ms), _day(r.end_ms - 1)
            days = first if first == last else f"{first} to {last[5:]}"
            cells = (r.period, r.metrics.get("scope_name", r.scope), days, ret, pnl,
                     datetime.fromtimestamp(r.created_ms / 1000, tz=timezone.utc).strftime("%m-%d %H:%M"))
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c in (3, 4):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    if text.startswith("+") or text.startswith("-") and text != "-":
                        item.setForeground(theme.UP_COLOR if text.startswith("+") else theme.DOWN_COLOR)
                self.table.setItem(i, c, item)
        if selected in self._ids:
            self.table.selectRow(self._ids.index(selected))
        elif self._ids:
            self.table.selectRow(0)
        else:
            self.page.setHtml("<p>No report yet. <b>Make now</b> makes one; with the schedule on, the daily "
                              "report comes after each day closes (00:00 UTC for crypto).</p>")
        self.say(f"{len(reports)} report(s)" + self._next_run_text())

    def _next_run_text(self) -> str:
        runs = self.reports.next_runs() if self.reports is not None else []
        if not runs:
            return "; schedule off"
        return "; next: " + ", ".join(f"{job.split(':')[1]} {when:%Y-%m-%d %H:%M %Z}" for job, when in runs if when)

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        report_id = self._ids[rows[0].row()]
        if report_id == self._shown_id:
            return

        async def run() -> None:
            store = self.services.store
            stored = await store.run(store.reports.get, report_id)
            if stored is not None:
                self._shown_id = report_id
                self.show_page(stored.html)

        self._run(run())

    def show_page(self, html: str) -> None:
        """Show a report's page, its pictures scaled to the view's width (the page asks for 1000 px)."""
        width = max(320, min(1000, self.page.viewport().width() - 40))
        self.page.setHtml(dark_page(html).replace('width="1000"', f'width="{width}"'))

    # ---- actions ----------------------------------------------------------------------------------------
    def make(self) -> Any:
        """Make the chosen report now and show it."""
        d = self.date_edit.date()
        day = date(d.year(), d.month(), d.day())
        period, scope = self.period_box.currentText(), self.scope_box.currentData() or "all"

        async def run() -> None:
            self.say(f"making the {period} report of {scope}...")
            stored = await self.reports.make(period, day, scope)
            self._shown_id = stored.id
            self.show_page(stored.html)
            store = self.services.store
            self.show_list(await store.run(store.reports.list))
            self.say(f"report made: {stored.metrics['label']}, {stored.metrics['scope_name']}")

        return self._run(run())

    def open_in_browser(self) -> Any:
        """Write the selected report's page to a temporary file and open it in the default browser."""
        if self._shown_id is None:
            self.say("select a report first", error=True)
            return None
        report_id = self._shown_id

        async def run() -> None:
            store = self.services.store
            stored = await store.run(store.reports.get, report_id)
            if stored is None:
                return
            folder = Path(tempfile.gettempdir()) / "trader-app-reports"
            folder.mkdir(exist_ok=True)
            path = folder / f"report-{stored.id}-{stored.period}-{_day(stored.start_ms)}.html"
            path.write_text(stored.html, encoding="utf-8")
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
            self.say(f"opened {path}")

        return self._run(run())

    def delete(self) -> Any:
        """Delete the selected report from the store."""
        if self._shown_id is None:
            return None
        report_id, self._shown_id = self._shown_id, None

        async def run() -> None:
            store = self.services.store
            await store.run(store.reports.delete, report_id)
            self.page.clear()
            self.show_list(await store.run(store.reports.list))

        return self._run(run())

    def save_settings(self) -> Any:
        """Save the schedule, Telegram and narrative settings (the key to the keyring); a refusal shows in the
        status line and changes nothing."""
        async def run() -> None:
            # while Telegram is not set up its box is off and greyed: the saved choice is kept, not cleared
            telegram = (self.telegram_box.isChecked() if self.telegram_box.isEnabled()
                        else self.reports.settings.reports.telegram_daily)
            await self.reports.configure(schedule=self.schedule_box.isChecked(), telegram_daily=telegram,
                                         narrative_enabled=self.narrative_box.isChecked(), base_url=self.url_edit.text(),
                                         model=self.model_edit.text(), api_key=self.key_edit.text() or None)
            self._load_settings(await self.reports.key_stored())
            self.say("report settings saved" + self._next_run_text())

        return self._run(run())
