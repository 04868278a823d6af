"""Signals panel: every signal (webhook, strategy, manual) with its payload, time and each account's outcome.

Top: the signals, newest first (time, source, group, what was asked, how many accounts, the outcome in
short, duplicate flag). Bottom: for the selected signal, one row per account and order (account, order type,
symbol, side, quantity, status, client order id, venue order id, error) and the payload as JSON.

Loaded from ``store.signals`` at start-up; kept current by the bridge's ``signals`` batches (a signal is
published when it arrives, with every result PENDING, and again when its accounts have answered).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QSplitter, QVBoxLayout, QWidget

from .. import theme
from ..models.base import LEFT, Column, KeyedTableModel
from ..models.format import datetime_text
from .common import TableView, spawn, track_account_names

MAX_SIGNALS = 1000
_BAD = {"REJECTED", "ERROR", "TIMEOUT", "EXPIRED"}
_PENDING = {"PENDING", "PENDING_SUBMIT", "SKIPPED"}


@dataclass(frozen=True)
class SignalRow:
    """One signal as shown (built from a ``SignalEvent`` or a stored ``SignalRecord``)."""

    signal_id: str
    source: str
    group_name: str
    ts_ms: int
    duplicate: bool
    payload_json: str
    results: tuple[tuple[tuple[str, Any], ...], ...]

    @classmethod
    def of(cls, item: Any) -> "SignalRow":
        source = getattr(item.source, "value", item.source)
        results = tuple(tuple(sorted(r.items())) for r in item.results)
        return cls(item.signal_id, str(source), item.group_name, item.ts_ms, bool(item.duplicate),
                   json.dumps(item.payload, sort_keys=True, default=str), results)

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.payload_json)

    def result_dicts(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.results]


def describe(payload: dict[str, Any]) -> str:
    """What a signal asked for, in a few words (``MARKET BUY BTC/USDT 10%``, ``batch of 4``, ``close all``)."""
    if payload.get("action") == "close_all":
        what = payload.get("symbol") or "everything"
        return f"close all ({what})"
    orders = payload.get("orders")
    if isinstance(orders, list):
        return f"batch of {len(orders)} on {payload.get('symbol') or 'several symbols'}"
    parts = [str(payload.get(k, "")).upper() for k in ("order_type", "side", "symbol") if payload.get(k)]
    if payload.get("qty_per") is not None:
        parts.append(f"{payload['qty_per']}%")
    return " ".join(parts)


def outcome(row: SignalRow) -> str:
    """``3 FILLED`` / ``2 FILLED, 1 REJECTED`` / ``duplicate`` / ``no linked accounts``."""
    if row.duplicate:
        return "duplicate (not executed)"
    counts = Counter(dict(r).get("status", "?") for r in row.results)
    if not counts:
        return "no linked accounts"
    return ", ".join(f"{n} {status}" for status, n in counts.most_common())


def _outcome_colour(row: SignalRow) -> QColor | None:
    statuses = {dict(r).get("status") for r in row.results}
    if statuses & _BAD:
        return theme.DOWN_COLOR
    if row.duplicate or statuses & _PENDING:
        return None
    return theme.UP_COLOR if statuses else None


class SignalsModel(KeyedTableModel):
    def __init__(self) -> None:
        super().__init__([
            Column("Time", lambda r: r.ts_ms, lambda r: datetime_text(r.ts_ms), LEFT, width=140),
            Column("Source", lambda r: r.source, align=LEFT, width=70),
            Column("Group", lambda r: r.group_name, align=LEFT, width=100),
            Column("Signal", lambda r: describe(r.payload), align=LEFT, width=220),
            Column("Accounts", lambda r: len({dict(x).get("account_id") for x in r.results}), width=70),
            Column("Outcome", outcome, align=LEFT, colour=_outcome_colour, width=220),
            Column("Id", lambda r: r.signal_id, align=LEFT, width=150, optional=3),
        ], key=lambda r: r.signal_id, newest_first=True, max_rows=MAX_SIGNALS)


class ResultsModel(KeyedTableModel):
    def __init__(self, account_names: dict[str, str]) -> None:
        self.account_names = account_names
        get = lambda key: (lambda r: r[1].get(key, ""))  # noqa: E731
        super().__init__([
            Column("Account", lambda r: self.account_names.get(r[1].get("account_id", ""), r[1].get("account_id", "")),
                   align=LEFT, width=110),
            Column("Type", get("order_type"), align=LEFT, width=120),
            Column("Symbol", get("symbol"), align=LEFT, width=90),
            Column("Side", get("side"), align=LEFT, width=50),
            Column("Quantity", get("quantity"), width=90),
            Column("Price", get("price"), width=90),
            Column("Status", get("status"), align=LEFT, width=110,
                   colour=lambda r: theme.DOWN_COLOR if r[1].get("status") in _BAD else None),
            Column("Client order id", get("client_order_id"), align=LEFT, width=170, optional=3),
            Column("Venue order id", get("venue_order_id"), align=LEFT, width=150, optional=4),
            Column("Error", get("error"), align=LEFT, width=300),
        ], key=lambda r: r[0])


class SignalsPanel(QWidget):
    """The Signals dock (see the module docstring). ``services`` needs ``store``; ``bridge`` the ``signals``
    (and ``accounts``) Qt signals."""

    def __init__(self, services: Any, bridge: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.model = SignalsModel()
        self.account_names: dict[str, str] = {}
        track_account_names(services, bridge, self.account_names)
        self.results_model = ResultsModel(self.account_names)
        self.table = TableView(self.model, self)
        self.table.setObjectName("signalsTable")
        self.results = TableView(self.results_model, self)
        self.results.setObjectName("signalResultsTable")
        self.payload = QPlainTextEdit(self)
        self.payload.setReadOnly(True)
        self.payload.setObjectName("signalPayload")
        self.payload.setPlaceholderText("select a signal to see its payload and each account's outcome")
        self.header = QLabel("Signals: none yet", self)
        bottom = QSplitter(Qt.Orientation.Horizontal, self)
        bottom.addWidget(self.results)
        bottom.addWidget(self.payload)
        bottom.setStretchFactor(0, 3)
        bottom.setStretchFactor(1, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(bottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.header)
        layout.addWidget(split)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._show_selected())
        bridge.signals.connect(self.apply)

    def tables(self) -> list[TableView]:
        return [self.table, self.results]

    async def load(self, limit: int = 200) -> None:
        """Show the newest stored signals (start-up)."""
        store = self.services.store
        records = await store.run(store.signals.list, limit=limit)
        self.model.replace_all(SignalRow.of(r) for r in records)
        self._update_header()

    def reload(self) -> Any:
        return spawn(self.load())

    def apply(self, events: list[Any]) -> None:
        """A batch of ``SignalEvent``s from the bridge: new signals on top, updated ones in place."""
        self.model.upsert(SignalRow.of(e) for e in events)
        self._update_header()
        selected = self.selected_signal()
        if selected is not None and any(e.signal_id == selected.signal_id for e in events):
            self._show_selected()

    def selected_signal(self) -> SignalRow | None:
        return self.table.selected_record()

    def select(self, signal_id: str) -> None:
        row = self.model.row_of(signal_id)
        if row is not None:
            self.table.selectRow(row)

    def _show_selected(self) -> None:
        row = self.selected_signal()
        if row is None:
            self.results_model.replace_all([])
            self.payload.setPlainText("")
            return
        self.results_model.replace_all(enumerate(row.result_dicts()))
        text = json.dumps(row.payload, indent=2, sort_keys=True)
        self.payload.setPlainText(f"{row.signal_id}  {row.source}  {datetime_text(row.ts_ms)}\n{text}")

    def _update_header(self) -> None:
        n = self.model.rowCount()
        self.header.setText(f"Signals: {n} shown (newest first)" if n else "Signals: none yet")
