"""Pieces the panels share: a configured table view and a table panel base, and the asyncio glue for slots.

Async actions from Qt slots go through ``spawn(coro, on_error)``: ``asyncio.ensure_future`` on the qasync loop,
with a done-callback that hands any exception to ``on_error`` (shown to the trader) instead of losing it.
The loop is never blocked by a slot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QVBoxLayout, QWidget

from ..models.base import KeyedTableModel

log = logging.getLogger(__name__)

_tasks: set[asyncio.Task[Any]] = set()


def spawn(coro: Awaitable[Any], on_error: Callable[[BaseException], None] | None = None) -> asyncio.Future[Any]:
    """Run ``coro`` on the running loop without blocking the caller; keep a reference until it finishes.

    An exception is passed to ``on_error`` (or logged when None). Returns the task (tests may await it).
    """
    task = asyncio.ensure_future(coro)
    _tasks.add(task)

    def done(t: asyncio.Future[Any]) -> None:
        _tasks.discard(t)  # type: ignore[arg-type]
        if t.cancelled():
            return
        exc = t.exception()
        if exc is None:
            return
        if on_error is not None:
            on_error(exc)
        else:
            log.error("UI task failed", exc_info=exc)

    task.add_done_callback(done)
    return task


class TableView(QTableView):
    """A compact, row-selecting table over a ``KeyedTableModel``; a header click sorts the model itself
    (``KeyedTableModel.sort``), without a proxy model: every proxy hop is more Python calls per painted
    cell, and the watchlist repaints up to 20 times a second. Rows then stay put while quotes stream."""

    def __init__(self, model: KeyedTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source_model = model
        self.setModel(model)
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setDefaultSectionSize(22)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        header.setMinimumSectionSize(36)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the model's own order until a click
        header.setSectionsClickable(True)
        header.sortIndicatorChanged.connect(self._sort)
        for i, col in enumerate(model.columns):
            header.resizeSection(i, col.width or 90)

    def _sort(self, column: int, order: Qt.SortOrder) -> None:
        if column >= 0:
            self.source_model.sort(column, order)

    def record_at(self, row: int) -> Any:
        """The model record shown at ``row`` of the view."""
        return self.source_model.record(row)

    def selected_record(self) -> Any | None:
        rows = self.selectionModel().selectedRows()
        if not rows:
            return None
        return self.source_model.record(rows[0].row())

    def save_columns(self) -> QByteArray:
        """The header state (column widths, order, sort) for QSettings."""
        return self.horizontalHeader().saveState()

    def restore_columns(self, state: QByteArray | bytes | None) -> bool:
        if not state:
            return False
        return self.horizontalHeader().restoreState(QByteArray(state))


class TablePanel(QWidget):
    """A panel that is a single table (plus whatever a subclass adds above it via ``layout``)."""

    def __init__(self, model: KeyedTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.table = TableView(model, self)
        self.vbox = QVBoxLayout(self)
        self.vbox.setContentsMargins(0, 0, 0, 0)
        self.vbox.setSpacing(2)
        self.vbox.addWidget(self.table)

    def tables(self) -> list[TableView]:
        """The tables whose column layout the window saves."""
        return [self.table]


def track_account_names(services: Any, bridge: Any, names: dict[str, str],
                        venues: dict[str, str] | None = None) -> None:
    """Fill ``names`` (account_id -> display name) and ``venues`` (account_id -> venue) from the account service
    now and keep them current from the bridge's account events, so tables show "Paper 1" rather than an id."""
    accounts = getattr(services, "accounts", None)
    if accounts is not None:
        for account in accounts.list():
            names[account.account_id] = account.name
            if venues is not None:
                venues[account.account_id] = account.broker

    def on_accounts(events: list[Any]) -> None:
        for ev in events:
            if ev.removed:
                names.pop(ev.account.account_id, None)
                if venues is not None:
                    venues.pop(ev.account.account_id, None)
            else:
                names[ev.account.account_id] = ev.account.name
                if venues is not None:
                    venues[ev.account.account_id] = ev.account.broker

    bridge.accounts.connect(on_accounts)


def accept_if_valid(dialog: Any) -> None:
    """OK of a form dialog with ``values()`` (raising ``ValueError`` with the problem) and an ``error`` label:
    closes it accepted when the values parse, else shows the problem and keeps it open."""
    try:
        dialog.values()
    except ValueError as exc:
        dialog.error.setText(str(exc))
        return
    dialog.accept()
