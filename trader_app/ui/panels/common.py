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

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QVBoxLayout, QWidget

from .. import theme
from ..models.base import KeyedTableModel

log = logging.getLogger(__name__)

MAX_FIT_WIDTH = 280  # px: a column sized to its content is never wider than this
FIT_SAMPLE_ROWS = 200  # rows measured when sizing columns to their content
FIT_DELAY_MS = 400  # new rows are measured at most this often
FIT_STREAM_DELAY_MS = 3000  # streaming updates (quotes on the watchlist) at most this often
FIT_STREAM_ROWS = 16  # and only this many of the rows they changed: never a stall on the GUI thread

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


class StatusActions:
    """For a panel with a status line (``self.status``, a ``QLabel``) whose buttons start async actions:
    :meth:`say` shows a message (red when ``error``); :meth:`_run` starts an action, keeps it as ``last_task``
    (tests await it) and says its exception when it fails."""

    status: Any
    last_task: Any = None

    def say(self, message: str, error: bool = False) -> None:
        self.status.setStyleSheet(f"color: {theme.DOWN if error else theme.MUTED};")
        self.status.setText(message)

    def _run(self, coro: Any) -> Any:
        self.last_task = spawn(coro, lambda exc: self.say(str(exc), error=True))
        return self.last_task


class TableView(QTableView):
    """A compact, row-selecting table over a ``KeyedTableModel``; a header click sorts the model itself
    (``KeyedTableModel.sort``), without a proxy model: every proxy hop is more Python calls per painted
    cell, and the watchlist repaints up to 20 times a second. Rows then stay put while quotes stream.

    Columns size themselves to their content (:meth:`fit_columns`) until the trader drags one. When the
    table is narrower than its columns, the optional ones (``Column.optional`` > 0) are hidden, the highest
    rank first (columns of the same rank together), and come back when there is room; a right click on the header lists every column to show or
    hide by hand (a choice that then stays)."""

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
            header.resizeSection(i, col.width or 72)  # then widened to the content (fit_columns)
        # columns follow their content (grow only) until the trader drags one: then that one is theirs
        self._user_sized: set[int] = set()
        self._widths: dict[int, int] = {i: header.sectionSize(i) for i in range(len(model.columns))}
        self._user_shown: dict[int, bool] = {}  # columns shown or hidden from the header menu
        self._fitting = False
        header.sectionResized.connect(self._section_resized)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(FIT_DELAY_MS)
        self._fit_timer.timeout.connect(self.fit_columns)
        self._dirty: tuple[int, int] | None = None  # rows changed since the last fit (None: measure the sample)
        self._full_fit = True
        for sig in (model.rowsInserted, model.modelReset, model.layoutChanged):
            sig.connect(self._schedule_full_fit)
        model.dataChanged.connect(self._schedule_row_fit)
        self.fit_columns()

    def _schedule_full_fit(self, *_args: Any) -> None:
        self._full_fit = True
        if not self._fit_timer.isActive() or self._fit_timer.remainingTime() > FIT_DELAY_MS:
            self._fit_timer.start(FIT_DELAY_MS)

    def _schedule_row_fit(self, top_left: Any, bottom_right: Any, *_args: Any) -> None:
        """A streaming update (quotes, fills): only its rows are measured at the next fit, not the sample."""
        lo, hi = top_left.row(), bottom_right.row()
        self._dirty = (lo, hi) if self._dirty is None else (min(lo, self._dirty[0]), max(hi, self._dirty[1]))
        if not self._fit_timer.isActive():
            self._fit_timer.start(FIT_STREAM_DELAY_MS)

    def _section_resized(self, index: int, _old: int, new: int) -> None:
        # widths come from the content and the trader's drags only: the stretched last column's width (and a
        # hidden column's 0) are layout, not what the column needs
        if not self._fitting and new > 0 and QGuiApplication.mouseButtons() != Qt.MouseButton.NoButton:
            self._user_sized.add(index)
            self._widths[index] = new

    def fit_columns(self) -> None:
        """Widen each column to its title and the text of the first 200 rows, or after a streaming update only
        of the rows it changed (at most 280 px; never narrower than it is, never a column the trader resized
        by hand)."""
        model, header = self.source_model, self.horizontalHeader()
        if self._full_fit or self._dirty is None:
            rows = range(min(model.rowCount(), FIT_SAMPLE_ROWS))
        else:  # only the rows a streaming update changed (at most the sample's size)
            lo, hi = self._dirty
            rows = range(max(0, lo), min(model.rowCount(), hi + 1, lo + FIT_STREAM_ROWS))
        self._full_fit, self._dirty = False, None
        cell, head = self.fontMetrics(), header.fontMetrics()
        self._fitting = True
        try:
            for col, column in enumerate(model.columns):
                if col in self._user_sized:
                    continue
                want = head.horizontalAdvance(column.title) + 22  # room for the sort arrow
                for row in rows:
                    text = model.data(model.index(row, col))
                    if text:
                        want = max(want, cell.horizontalAdvance(str(text)) + 12)
                want = min(want, MAX_FIT_WIDTH)
                if want > self._widths.get(col, 0):
                    self._widths[col] = want
                    if not header.isSectionHidden(col):
                        header.resizeSection(col, want)
        finally:
            self._fitting = False
        self.fit_visible()

    def fit_visible(self) -> None:
        """Show every column that fits the table's width, dropping optional ones (highest rank first)."""
        header, columns = self.horizontalHeader(), self.source_model.columns
        width = self.viewport().width()
        if width <= 1:
            return
        shown = {i for i in range(len(columns)) if self._user_shown.get(i, True)}
        optional = sorted((c.optional, i) for i, c in enumerate(columns)
                          if c.optional and i in shown and i not in self._user_shown)
        used = sum(self._widths.get(i, 0) for i in shown)
        while used > width and optional:
            rank = optional[-1][0]
            while optional and optional[-1][0] == rank:  # columns of one rank go together (Bid with Ask)
                _rank, i = optional.pop()
                shown.discard(i)
                used -= self._widths.get(i, 0)
        self._fitting = True
        try:
            for i in range(len(columns)):
                if header.isSectionHidden(i) == (i in shown):
                    header.setSectionHidden(i, i not in shown)
                    if i in shown and self._widths.get(i):
                        header.resizeSection(i, self._widths[i])
        finally:
            self._fitting = False

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self.fit_visible()

    def hidden_columns(self) -> list[str]:
        """Titles of the columns hidden now (by width or by hand)."""
        header = self.horizontalHeader()
        return [c.title for i, c in enumerate(self.source_model.columns) if header.isSectionHidden(i)]

    def _header_menu(self, pos: Any) -> None:
        menu = QMenu(self)
        header = self.horizontalHeader()
        for i, column in enumerate(self.source_model.columns):
            action = menu.addAction(column.title)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(i))
            action.toggled.connect(lambda on, i=i: self.set_column_shown(i, on))
        menu.popup(header.mapToGlobal(pos))

    def set_column_shown(self, index: int, shown: bool) -> None:
        """Show or hide column ``index`` by the trader's choice (kept across width changes)."""
        self._user_shown[index] = shown
        self.horizontalHeader().setSectionHidden(index, not shown)
        self.fit_visible()

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

    def select_key(self, key: Any) -> bool:
        """Select the row of the record keyed ``key`` (after a reload, the row the user had picked);
        False when no row has it."""
        row = self.source_model.row_of(key)
        if row is None:
            return False
        self.selectRow(row)
        return True

    def save_columns(self) -> QByteArray:
        """The header state (column widths, order, sort) for QSettings."""
        return self.horizontalHeader().saveState()

    def restore_columns(self, state: QByteArray | bytes | None) -> bool:
        """Restore :meth:`save_columns`' state: its widths are the trader's (no longer fitted to content);
        which columns show is decided again for this window's width."""
        if not state:
            return False
        self._fitting = True
        try:
            header = self.horizontalHeader()
            ok = header.restoreState(QByteArray(state))
        finally:
            self._fitting = False
        if ok:
            for i in range(len(self.source_model.columns)):
                if header.sectionSize(i) > 0:
                    self._widths[i] = header.sectionSize(i)
            self._user_sized = set(range(len(self.source_model.columns)))
            self.fit_visible()
        return ok


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
