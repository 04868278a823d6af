"""The "Live strategies" tab of the Strategies panel: the live strategy instances of ``services.strategies``
(``trader_app.strategies.runner.StrategyRunner``) and their controls.

- Table: name, strategy, strategy group, symbols, bar interval, status (running / stopped / error), position
  per symbol (units @ average price), trailing stop (stop price and high, for strategies that report one),
  the last signal's outcome, the last error.
- *New…* opens :class:`~.strategy_instance_form.InstanceDialog` (form built from the strategy's declared
  params, validated before the runner sees it) and ``runner.add``\\ s the instance (stopped). *Start* /
  *Stop* / *Remove* act on the selected row; *Edit parameters…* is for a stopped instance (the runner's rule).
- Live updates come from the bridge's ``strategies`` signal (``StrategyStateEvent``). When an exception stops
  a strategy, the row turns to *error* with the message, the status line shows it in red, the Log gets it and
  a (non-modal) message box says so. Refused actions show in the status line and the Log.

Rows are built from the stored records (``store.strategy_instances``, so stopped instances keep their last
position, trailing high and error across restarts) overlaid with the runner's live state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtWidgets import QLabel, QMessageBox, QVBoxLayout, QWidget

from ...core.events import LogEvent
from ...core.ids import now_ms
from .. import theme
from ..models.base import LEFT, Column, KeyedTableModel
from .common import TableView, spawn
from .strategy_forms import buttons_row
from .strategy_instance_form import InstanceDialog

RUNNING, STOPPED, ERROR = "running", "stopped", "error"


@dataclass(frozen=True)
class InstanceRow:
    """One live strategy instance as the table shows it (``params``: validated values; ``state``: the last
    visible or persisted state, see :func:`position_text`)."""

    name: str
    strategy: str
    group_name: str
    symbols: tuple[str, ...]
    interval: str
    status: str
    error: str
    position: str
    trailing: str
    last_signal: str
    params: dict[str, Any]


def _num(value: Any, places: int | None = None) -> str:
    v = float(value)
    if places is None:
        return f"{v:,.8f}".rstrip("0").rstrip(".") if v != int(v) else f"{int(v):,}"
    return f"{v:,.{places}f}"


def _symbol_states(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per symbol ``{"position", "avg_price", "trailing"}`` from either shape the runner uses: the visible state
    (``symbols.<s>.position/avg_price/trailing``) or the persisted one (``symbols.<s>.book.qty/avg_price`` and
    the strategy's ``state_fields`` such as ``trail_high``)."""
    out: dict[str, dict[str, Any]] = {}
    for sym, entry in (state.get("symbols") or {}).items():
        if not isinstance(entry, dict):
            continue
        if "book" in entry:
            book = entry.get("book") or {}
            strat = entry.get("strategy") or {}
            trailing = {"trail_high": strat["trail_high"]} if strat.get("trail_high") is not None else None
            out[sym] = {"position": book.get("qty", 0.0), "avg_price": book.get("avg_price", 0.0), "trailing": trailing}
        else:
            out[sym] = {"position": entry.get("position", 0.0), "avg_price": entry.get("avg_price", 0.0),
                        "trailing": entry.get("trailing")}
    return out


def position_text(state: dict[str, Any]) -> str:
    """``"BTC/USDT 0.5 @ 65,000.00"`` per symbol holding a position (``; `` between them), else ``"flat"``."""
    parts = [f"{sym} {_num(s['position'])} @ {_num(s['avg_price'], 2)}"
             for sym, s in _symbol_states(state).items() if float(s.get("position") or 0.0) != 0.0]
    return "; ".join(parts) or "flat"


def trailing_text(state: dict[str, Any]) -> str:
    """``"BTC/USDT 61,750.00 (high 65,000.00, armed)"`` (the stop price) per symbol with a trailing stop, or the stored
    high alone (``"BTC/USDT high 65,000.00"``) for a stopped instance; ``""`` when none."""
    parts = []
    for sym, s in _symbol_states(state).items():
        t = s.get("trailing") or {}
        high, stop = t.get("trail_high"), t.get("trail_stop")
        if high is None:
            continue
        if stop is not None:
            parts.append(f"{sym} {_num(stop, 2)} (high {_num(high, 2)}{', armed' if t.get('armed') else ''})")
        else:
            parts.append(f"{sym} high {_num(high, 2)}")
    return "; ".join(parts)


def signal_text(last: dict[str, Any] | None) -> str:
    """The last signal's outcome: ``"2/3 accounts accepted"``, the executor's error, or ``""``."""
    if not last:
        return ""
    if last.get("error"):
        return f"failed: {last['error']}"
    if last.get("duplicate"):
        return "duplicate"
    if "accounts" in last:
        return f"{last.get('accepted', 0)}/{last['accounts']} accounts accepted"
    return ""


def make_row(record: Any, running: bool, error: str, state: dict[str, Any]) -> InstanceRow:
    """A row from a ``StrategyInstanceRecord``-like object, the running flag, the last error and a state."""
    status = RUNNING if running else (ERROR if error else STOPPED)
    interval = getattr(record.interval, "value", record.interval)
    return InstanceRow(record.name, record.strategy, record.group_name, tuple(record.symbols), str(interval), status,
                       error, position_text(state), trailing_text(state), signal_text(state.get("last_signal")),
                       dict(record.params))


def _status_colour(row: InstanceRow) -> Any:
    return {RUNNING: theme.UP_COLOR, ERROR: theme.DOWN_COLOR}.get(row.status, theme.MUTED_COLOR)


class StrategyInstancesPanel(QWidget):
    """The live strategy instances (see the module docstring). ``services``: ``strategies`` (the runner),
    ``store``, ``market``, ``bus``; ``bridge``: its ``strategies`` signal. ``last_task`` is the newest action's
    task, ``dialog`` the open New/Edit dialog and ``message_box`` the last error message box (tests use them)."""

    def __init__(self, services: Any, bridge: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.last_task: Any = None
        self.dialog: InstanceDialog | None = None
        self.message_box: QMessageBox | None = None
        self.confirm_box: QMessageBox | None = None
        self.model = KeyedTableModel([
            Column("Name", lambda r: r.name, align=LEFT, width=110),
            Column("Strategy", lambda r: r.strategy, align=LEFT, width=100),
            Column("Group", lambda r: r.group_name, align=LEFT, width=80),
            Column("Symbols", lambda r: ", ".join(r.symbols), align=LEFT, width=150),
            Column("Interval", lambda r: r.interval, align=LEFT, width=64),
            Column("Status", lambda r: r.status, align=LEFT, width=65, colour=_status_colour),
            Column("Position", lambda r: r.position, align=LEFT, width=200),
            Column("Trailing stop", lambda r: r.trailing, align=LEFT, width=270),
            Column("Last signal", lambda r: r.last_signal, align=LEFT, width=160),
            Column("Last error", lambda r: r.error, align=LEFT, width=240,
                   colour=lambda r: theme.DOWN_COLOR if r.error else None)], key=lambda r: r.name)
        self.table = TableView(self.model, self)
        self.table.setObjectName("instancesTable")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        row, self.buttons = buttons_row(self, ("newInstance", "New\u2026", lambda: self.open_new_dialog()),
                                        ("startInstance", "Start", lambda: self.start_selected()),
                                        ("stopInstance", "Stop", lambda: self.stop_selected()),
                                        ("editInstance", "Edit parameters\u2026", lambda: self.open_edit_dialog()),
                                        ("removeInstance", "Remove", lambda: self.confirm_remove()))
        self.status = QLabel("", self)
        self.status.setObjectName("instancesStatus")
        self.status.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self._errors: dict[str, str] = {}
        bridge.strategies.connect(self._on_states)
        self._update_buttons()

    @property
    def runner(self) -> Any:
        return getattr(self.services, "strategies", None)

    def tables(self) -> list[TableView]:
        return [self.table]

    # ---- loading ---------------------------------------------------------------------------------------
    async def load(self) -> None:
        """Rows from the stored instances, overlaid with the runner's live state for the running ones."""
        runner, store = self.runner, self.services.store
        if runner is None:
            self.model.replace_all([])
            self.say("live strategies are not available in this build")
            self._update_buttons()
            return
        records = await store.run(store.strategy_instances.list)
        running = set(runner.running())
        rows = []
        for rec in records:
            live = rec.name in running
            state = (runner.state(rec.name) if live else None) or rec.state
            error = "" if live else str(rec.state.get("error") or "")
            rows.append(make_row(rec, live, error, state))
            self._errors[rec.name] = error
        selected = self.selected()
        self.model.replace_all(rows)
        self.select(selected.name if selected is not None else (rows[0].name if rows else ""))
        self._update_buttons()

    def _on_states(self, events: list[Any]) -> None:
        """Bridge batch of ``StrategyStateEvent`` (latest per instance): update rows, announce new errors."""
        reload = False
        for ev in events:
            row = self.model.get(ev.name)
            if row is None:
                reload = True  # added elsewhere (REST API): read it from the store
                continue
            error = "" if ev.running else (ev.error or "")
            if (ev.state or {}).get("symbols") is not None:
                self.model.upsert([make_row(row, ev.running, error, ev.state)])
            else:
                status = RUNNING if ev.running else (ERROR if error else STOPPED)
                self.model.upsert([replace(row, status=status, error=error)])
            if error and self._errors.get(ev.name) != error:
                self.report_failure(ev.name, error)
            self._errors[ev.name] = error
        if reload:
            self.last_task = spawn(self.load(), self._failed)
        self._update_buttons()

    def report_failure(self, name: str, error: str) -> None:
        """A strategy stopped on an exception: status line (red), Log, and a non-modal message box."""
        text = f"strategy {name!r} stopped: {error}"
        self.say(text, error=True)
        if self.message_box is not None:
            self.message_box.close()
        box = QMessageBox(QMessageBox.Icon.Warning, "Strategy stopped", text, QMessageBox.StandardButton.Ok, self)
        box.setModal(False)
        box.show()
        self.message_box = box

    # ---- selection -------------------------------------------------------------------------------------
    def selected(self) -> InstanceRow | None:
        return self.table.selected_record()

    def select(self, name: str) -> None:
        row = self.model.row_of(name) if name else None
        if row is not None:
            self.table.selectRow(row)

    def _update_buttons(self) -> None:
        rec, has_runner = self.selected(), self.runner is not None
        self.buttons["newInstance"].setEnabled(has_runner)
        self.buttons["startInstance"].setEnabled(rec is not None and rec.status != RUNNING)
        self.buttons["stopInstance"].setEnabled(rec is not None and rec.status == RUNNING)
        self.buttons["editInstance"].setEnabled(rec is not None and rec.status != RUNNING)
        self.buttons["removeInstance"].setEnabled(rec is not None)
        self.buttons["editInstance"].setToolTip("stop the strategy to change its parameters"
                                                if rec is not None and rec.status == RUNNING else "")

    # ---- dialogs ---------------------------------------------------------------------------------------
    async def _choices(self) -> tuple[list[str], list[str]]:
        store, market = self.services.store, getattr(self.services, "market", None)
        groups = [g.group_name for g in await store.run(store.groups.list)]
        symbols = [inst.symbol for inst in market.instruments()] if market is not None else []
        return groups, symbols

    def open_new_dialog(self) -> Any:
        """Open the New dialog (non-blocking); OK adds the instance. Returns the task that opens it."""
        if self.runner is None:
            return self.say("live strategies are not available in this build", error=True)

        async def run() -> None:
            groups, symbols = await self._choices()
            dialog = InstanceDialog(groups, symbols, taken=(self.model.record(r).name for r in range(self.model.rowCount())),
                                    parent=self)
            dialog.accepted.connect(lambda: self.add_instance(**dialog.answer()))
            self._show_dialog(dialog)
            if not groups:
                dialog.error_label.setText("create a strategy group first (Groups tab): an instance trades its "
                                           "linked accounts")
        return self._run(run())

    def open_edit_dialog(self) -> Any:
        """Open the Edit parameters dialog of the selected (stopped) instance."""
        rec = self.selected()
        if rec is None:
            return self.say("select a strategy instance first")
        if rec.status == RUNNING:
            return self.say(f"stop {rec.name!r} before changing its parameters", error=True)

        async def run() -> None:
            groups, symbols = await self._choices()
            dialog = InstanceDialog(groups, symbols, current=rec, parent=self)
            dialog.accepted.connect(lambda: self.update_params(rec.name, dialog.answer()["params"]))
            self._show_dialog(dialog)
        return self._run(run())

    def _show_dialog(self, dialog: InstanceDialog) -> None:
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = dialog
        dialog.finished.connect(lambda _r: self._dialog_closed(dialog))
        dialog.open()

    def _dialog_closed(self, dialog: InstanceDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def confirm_remove(self) -> Any:
        """Ask (non-modal box) before removing the selected instance; *Yes* removes it."""
        rec = self.selected()
        if rec is None:
            return self.say("select a strategy instance first")
        box = QMessageBox(QMessageBox.Icon.Question, "Remove strategy",
                          f"Stop and remove {rec.name!r}? Its stored state (position book, trailing high) is deleted; "
                          "positions in the accounts stay as they are.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.buttonClicked.connect(lambda b: self.remove_instance(rec.name)
                                  if box.standardButton(b) == QMessageBox.StandardButton.Yes else None)
        box.open()
        self.confirm_box = box
        return box

    # ---- actions ---------------------------------------------------------------------------------------
    def add_instance(self, name: str, strategy: str, group_name: str, symbols: list[str], interval: Any,
                     params: dict[str, Any]) -> Any:
        """``runner.add`` (stopped), then reload and select it."""
        async def run() -> None:
            await self.runner.add(name, strategy, group_name, symbols, interval, params)
            await self.load()
            self.select(name)
            self.say(f"strategy {name!r} ({strategy} on {', '.join(symbols)}) added; press Start to run it")
        return self._run(run())

    def update_params(self, name: str, params: dict[str, Any]) -> Any:
        return self._run(self._then_load(self.runner.update_params(name, params), f"parameters of {name!r} saved"))

    def start_selected(self) -> Any:
        rec = self.selected()
        if rec is None:
            return self.say("select a strategy instance first")
        return self.start_instance(rec.name)

    def start_instance(self, name: str) -> Any:
        return self._run(self._then_load(self.runner.start_instance(name), f"strategy {name!r} started"))

    def stop_selected(self) -> Any:
        rec = self.selected()
        if rec is None:
            return self.say("select a strategy instance first")
        return self.stop_instance(rec.name)

    def stop_instance(self, name: str) -> Any:
        return self._run(self._then_load(self.runner.stop_instance(name), f"strategy {name!r} stopped"))

    def remove_instance(self, name: str) -> Any:
        self._errors.pop(name, None)
        return self._run(self._then_load(self.runner.remove(name), f"strategy {name!r} removed"))

    # ---- plumbing --------------------------------------------------------------------------------------
    async def _then_load(self, action: Any, message: str) -> None:
        await action
        await self.load()
        self.say(message)

    def _run(self, coro: Any) -> Any:
        self.last_task = spawn(coro, self._failed)
        return self.last_task

    def _failed(self, exc: BaseException) -> None:
        self.say(str(exc), error=True)
        spawn(self.load())  # the row shows what the runner now has (e.g. a start that failed)

    def say(self, message: str, error: bool = False) -> None:
        """Show ``message`` in the status line (red for errors) and the Log."""
        self.status.setStyleSheet(f"color: {theme.DOWN if error else theme.MUTED};")
        self.status.setText(message)
        self.services.bus.publish(LogEvent(now_ms(), "WARNING" if error else "INFO", "strategies", message))
