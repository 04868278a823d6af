"""A keyed table model: rows are records (frozen dataclasses or small row objects) addressed by a key.

Updates never reset the model: ``upsert`` emits ``dataChanged`` for the rows whose record actually changed
(contiguous runs of changed rows become one signal), ``beginInsertRows``/``endInsertRows`` for new rows and
``beginRemoveRows``/``endRemoveRows`` for removed ones. ``modelReset`` happens only in ``clear()``/``replace_all``.

Columns are declared with ``Column(title, value, text=None, align=RIGHT|LEFT, colour=None)``:
``value(record)`` is the raw value (used for sorting, ``Qt.UserRole``), ``text(record)`` the display string
(default ``str(value)``), ``colour(record)`` an optional ``QColor`` for the foreground.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter

RAW_ROLE = Qt.ItemDataRole.UserRole          # the column's raw value (sorting)
RECORD_ROLE = Qt.ItemDataRole.UserRole + 1   # the whole row record
_DISPLAY = Qt.ItemDataRole.DisplayRole
_ALIGN = Qt.ItemDataRole.TextAlignmentRole
_FOREGROUND = Qt.ItemDataRole.ForegroundRole
_TOOLTIP = Qt.ItemDataRole.ToolTipRole
_ROLES = frozenset({_DISPLAY, _ALIGN, _FOREGROUND, _TOOLTIP, RAW_ROLE, RECORD_ROLE})


@dataclass(frozen=True)
class Column:
    """One column: ``title``, raw ``value(record)``, display ``text(record)``, alignment, optional colour and
    ``tooltip(record)`` (text shown on hover, "" or None for none); ``optional`` ranks the columns a narrow
    table hides (see ``panels.common.TableView``)."""

    title: str
    value: Callable[[Any], Any]
    text: Callable[[Any], str] | None = None
    align: Qt.AlignmentFlag = RIGHT
    colour: Callable[[Any], QColor | None] | None = None
    width: int = 0  # default width in px (0: let the view decide)
    tooltip: Callable[[Any], str | None] | None = None
    optional: int = 0  # 0: always shown; n > 0: hidden when the table is too narrow, the highest n first

    def display(self, record: Any) -> str:
        if self.text is not None:
            return self.text(record)
        value = self.value(record)
        return "" if value is None else str(value)


class KeyedTableModel(QAbstractTableModel):
    """Rows keyed by ``key(record)``; new rows go to the bottom (``newest_first=False``) or the top.

    ``max_rows`` (0 = unbounded) drops the oldest rows once exceeded. Counters for tests and benches:
    ``changed_rows`` (rows reported through dataChanged so far), ``data_changed_signals``.
    """

    def __init__(
        self,
        columns: Sequence[Column],
        key: Callable[[Any], Hashable],
        *,
        newest_first: bool = False,
        max_rows: int = 0,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self._align = [int(c.align) for c in self.columns]
        self._key = key
        self._rows: list[Any] = []
        self._keys: list[Hashable] = []
        self._index: dict[Hashable, int] = {}
        self.newest_first = newest_first
        self.max_rows = max_rows
        self.changed_rows = 0
        self.data_changed_signals = 0

    # ---- Qt interface ----------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section].title
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(self.columns[section].align)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        # Called for every visible cell and every role on each repaint: unhandled roles leave first.
        if role not in _ROLES:
            return None
        row, col = index.row(), index.column()
        if not 0 <= row < len(self._rows) or not 0 <= col < len(self.columns):
            return None
        record = self._rows[row]
        column = self.columns[col]
        if role == _DISPLAY:
            return column.display(record)
        if role == _ALIGN:
            return self._align[col]
        if role == _FOREGROUND:
            return column.colour(record) if column.colour is not None else None
        if role == _TOOLTIP:
            return (column.tooltip(record) or None) if column.tooltip is not None else None
        if role == RAW_ROLE:
            value = column.value(record)
            return float(value) if isinstance(value, Decimal) else value
        return record  # RECORD_ROLE

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the rows by a column's raw value (a header click); None/empty values go last. The order
        holds until the next sort: updates keep rows in place, new rows arrive at the top or bottom."""
        if not 0 <= column < len(self.columns):
            return
        value = self.columns[column].value
        reverse = order == Qt.SortOrder.DescendingOrder

        def key(item: tuple[Hashable, Any]) -> tuple[int, Any]:
            v = value(item[1])
            if v is None or v == "":
                return (1, 0) if not reverse else (0, 0)
            return (0, v) if not reverse else (1, v)

        self.layoutAboutToBeChanged.emit()
        old_keys = list(self._keys)
        items = list(zip(self._keys, self._rows))
        try:
            items.sort(key=key, reverse=reverse)
        except TypeError:  # mixed types in a column: compare as text
            items.sort(key=lambda it: (key(it)[0], str(key(it)[1])), reverse=reverse)
        self._keys = [k for k, _ in items]
        self._rows = [r for _, r in items]
        self._reindex()
        old_persistent = self.persistentIndexList()
        new_persistent = []
        for idx in old_persistent:
            row = self._index.get(old_keys[idx.row()]) if idx.row() < len(old_keys) else None
            new_persistent.append(QModelIndex() if row is None else self.index(row, idx.column()))
        self.changePersistentIndexList(old_persistent, new_persistent)
        self.layoutChanged.emit()

    # ---- access ----------------------------------------------------------------------------------------
    def record(self, row: int) -> Any:
        """The record at ``row`` (IndexError outside)."""
        return self._rows[row]

    def records(self) -> list[Any]:
        """A copy of the rows, top to bottom."""
        return list(self._rows)

    def row_of(self, key: Hashable) -> int | None:
        """The row of ``key`` or None."""
        return self._index.get(key)

    def get(self, key: Hashable) -> Any | None:
        row = self._index.get(key)
        return None if row is None else self._rows[row]

    def keys(self) -> list[Hashable]:
        return list(self._keys)

    # ---- updates ---------------------------------------------------------------------------------------
    def upsert(self, records: Iterable[Any]) -> int:
        """Insert new records and replace changed ones. Returns the number of rows changed or added.

        Unchanged records (``==`` the stored one) cause no signal at all. Within one call, a later record
        with the same key wins.
        """
        changed: set[int] = set()
        new: dict[Hashable, Any] = {}
        for rec in records:
            k = self._key(rec)
            row = self._index.get(k)
            if row is None:
                new[k] = rec
                continue
            if self._rows[row] != rec:
                self._rows[row] = rec
                changed.add(row)
        self._emit_changed(changed)
        if new:
            self._insert(list(new.items()))
        return len(changed) + len(new)

    def update_rows(self, rows: Iterable[int]) -> None:
        """Report rows whose display depends on outside state (e.g. a new quote) as changed."""
        self._emit_changed(set(rows))

    def remove(self, keys: Iterable[Hashable]) -> int:
        """Remove the rows of ``keys`` (unknown keys are ignored). Returns how many were removed."""
        rows = sorted({self._index[k] for k in keys if k in self._index}, reverse=True)
        for row in rows:  # bottom-up keeps the remaining indices valid
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            del self._keys[row]
            self.endRemoveRows()
        if rows:
            self._reindex()
        return len(rows)

    def replace_all(self, records: Iterable[Any]) -> None:
        """Load a fresh set of rows (start-up, account switch): one model reset."""
        self.beginResetModel()
        self._rows, self._keys = [], []
        seen: dict[Hashable, Any] = {}
        for rec in records:
            seen[self._key(rec)] = rec
        items = list(seen.items())
        if self.max_rows and len(items) > self.max_rows:
            items = items[: self.max_rows] if self.newest_first else items[-self.max_rows:]
        for k, rec in items:
            self._keys.append(k)
            self._rows.append(rec)
        self._reindex()
        self.endResetModel()

    def clear(self) -> None:
        self.replace_all(())

    # ---- internals -------------------------------------------------------------------------------------
    def _emit_changed(self, rows: set[int]) -> None:
        if not rows:
            return
        last_col = len(self.columns) - 1
        ordered = sorted(rows)
        start = prev = ordered[0]
        for row in ordered[1:] + [None]:
            if row is not None and row == prev + 1:
                prev = row
                continue
            self.dataChanged.emit(self.index(start, 0), self.index(prev, last_col))
            self.data_changed_signals += 1
            if row is not None:
                start = prev = row
        self.changed_rows += len(rows)

    def _insert(self, items: list[tuple[Hashable, Any]]) -> None:
        n = len(items)
        if self.newest_first:
            items.reverse()  # the last arrival ends up on top
            self.beginInsertRows(QModelIndex(), 0, n - 1)
            self._keys[0:0] = [k for k, _ in items]
            self._rows[0:0] = [r for _, r in items]
        else:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + n - 1)
            self._keys.extend(k for k, _ in items)
            self._rows.extend(r for _, r in items)
        self._reindex()
        self.endInsertRows()
        if self.max_rows and len(self._rows) > self.max_rows:
            excess = len(self._rows) - self.max_rows
            first = len(self._rows) - excess if self.newest_first else 0
            self.beginRemoveRows(QModelIndex(), first, first + excess - 1)
            del self._rows[first:first + excess]
            del self._keys[first:first + excess]
            self._reindex()
            self.endRemoveRows()

    def _reindex(self) -> None:
        self._index = {k: i for i, k in enumerate(self._keys)}
