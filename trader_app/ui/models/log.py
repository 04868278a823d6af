"""The Log panel's table: newest line first, capped."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from ...core.events import LogEvent
from .. import theme
from .base import LEFT, Column, KeyedTableModel
from .format import time_text


@dataclass(frozen=True, slots=True)
class LogRow:
    seq: int
    event: LogEvent


def _level_colour(row: LogRow):
    level = row.event.level.upper()
    if level in ("ERROR", "CRITICAL"):
        return theme.DOWN_COLOR
    if level == "WARNING":
        return theme.WARN_COLOR
    return None


def _first_line(message: str) -> str:
    first, sep, _rest = message.partition("\n")
    return f"{first} (traceback: hover)" if sep else first


class LogModel(KeyedTableModel):
    """``LogEvent`` lines, newest first, at most ``max_rows`` (oldest dropped)."""

    def __init__(self, max_rows: int = 2000, parent=None) -> None:
        columns = [
            Column("Time", lambda r: r.event.ts_ms, lambda r: time_text(r.event.ts_ms), LEFT, width=70),
            Column("Level", lambda r: r.event.level, align=LEFT, colour=_level_colour, width=65),
            Column("Source", lambda r: r.event.source, align=LEFT, width=110),
            # a traceback (an error in a window action) is one row: its first line, the whole in the tooltip
            Column("Message", lambda r: r.event.message, lambda r: _first_line(r.event.message), align=LEFT,
                   width=600, tooltip=lambda r: r.event.message if "\n" in r.event.message else None),
        ]
        super().__init__(columns, key=lambda r: r.seq, newest_first=True, max_rows=max_rows, parent=parent)
        self._seq = itertools.count()

    def append(self, events: Iterable[LogEvent]) -> None:
        self.upsert(LogRow(next(self._seq), ev) for ev in events)
