"""OHLCV bars: bulk upsert and range loads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import column, func, select, table

from ...core.enums import Interval
from ...core.instrument import HOME_VENUE
from ...core.market_data import Bar
from ..models import BarRow
from .base import Repository

CHUNK = 5000

# An untyped view of the bars table for the bulk path: values are bound as the exact strings/ints we
# prepare, without per-value TypeDecorator processing (that is what makes >= 200k rows/s possible).
_BARS = table(
    "bars",
    column("venue"),
    column("symbol"),
    column("interval"),
    column("open_time_ms"),
    column("open"),
    column("high"),
    column("low"),
    column("close"),
    column("volume"),
    column("closed"),
)
_COLUMNS = ("venue", "symbol", "interval", "open_time_ms", "open", "high", "low", "close", "volume", "closed")
_UPDATED = _COLUMNS[4:]


def _upsert_statement(dialect: str) -> Any:
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        return None
    stmt = insert(_BARS)
    return stmt.on_conflict_do_update(
        index_elements=["venue", "symbol", "interval", "open_time_ms"],
        set_={name: stmt.excluded[name] for name in _UPDATED},
    )


_INTERVAL_VALUE = {iv: iv.value for iv in Interval}


def _bar_rows(bars: list[Bar]) -> list[tuple]:
    """Bars as (venue, symbol, interval, open_time_ms, open, high, low, close, volume, closed) tuples with exact
    Decimal strings. Raises ``TypeError`` if a price or volume is not a Decimal (never floats)."""
    rows = []
    append = rows.append
    dec = Decimal
    ivs = _INTERVAL_VALUE
    for b in bars:
        o, h, lo, c, v = b.open, b.high, b.low, b.close, b.volume
        if type(o) is not dec or type(h) is not dec or type(lo) is not dec or type(c) is not dec or type(v) is not dec:
            raise TypeError(f"bar {b.symbol} {b.open_time_ms}: open/high/low/close/volume must be Decimal")
        append((b.venue, b.symbol, ivs[b.interval], int(b.open_time_ms), str(o), str(h), str(lo), str(c), str(v), bool(b.closed)))
    return rows


class BarRepository(Repository):
    """``store.bars``: bars keyed by (venue, symbol, interval, open_time_ms). Every method takes ``venue``
    (default: the paper venue, whose bars come from the demo market and imported files)."""

    def __init__(self, sessions: Any) -> None:
        super().__init__(sessions)
        engine = sessions.engine
        self._upsert = _upsert_statement(engine.dialect.name)
        self._upsert_sql: str | None = None
        if self._upsert is not None and engine.dialect.paramstyle == "qmark":
            compiled = self._upsert.compile(dialect=engine.dialect)
            if tuple(compiled.positiontup or ()) == _COLUMNS:
                self._upsert_sql = str(compiled)

    def save(self, bars: list[Bar]) -> int:
        """Insert or replace ``bars`` in one transaction (executemany of ``INSERT .. ON CONFLICT DO UPDATE``
        in chunks of 5000). Returns the number of bars written. Raises ``TypeError`` (nothing written) if a
        price or volume is not a Decimal."""
        rows = _bar_rows(bars)
        if not rows:
            return 0
        if self._upsert_sql is not None:
            # The compiled statement goes straight to the driver: no per-row parameter processing.
            with self._sessions.savepoint() as conn:
                for start in range(0, len(rows), CHUNK):
                    conn.exec_driver_sql(self._upsert_sql, rows[start : start + CHUNK])
        elif self._upsert is not None:
            with self._sessions.savepoint() as conn:
                for start in range(0, len(rows), CHUNK):
                    conn.execute(self._upsert, [dict(zip(_COLUMNS, r)) for r in rows[start : start + CHUNK]])
        else:  # another database: portable ORM merge
            with self._sessions.begin() as s:
                for r in rows:
                    values = dict(zip(_COLUMNS, r))
                    values.update({k: Decimal(values[k]) for k in _UPDATED[:5]})
                    s.merge(BarRow(**values))
        return len(rows)

    def load(
        self,
        symbol: str,
        interval: Interval | str,
        start_ms: int | None = None,
        end_ms: int | None = None,
        limit: int | None = None,
        *,
        venue: str = HOME_VENUE,
    ) -> list[Bar]:
        """Bars of (venue, symbol, interval) with ``start_ms <= open_time_ms <= end_ms`` (bounds optional), in
        ascending open time. With ``limit``: the LAST ``limit`` bars of that range, still ascending."""
        iv = Interval(interval)
        t = _BARS  # untyped: the strings are turned into Decimals below, without per-value processors
        stmt = select(
            t.c.open_time_ms, t.c.open, t.c.high, t.c.low, t.c.close, t.c.volume, t.c.closed
        ).where(t.c.venue == venue, t.c.symbol == symbol, t.c.interval == iv.value)
        if start_ms is not None:
            stmt = stmt.where(t.c.open_time_ms >= start_ms)
        if end_ms is not None:
            stmt = stmt.where(t.c.open_time_ms <= end_ms)
        if limit is not None:
            stmt = stmt.order_by(t.c.open_time_ms.desc()).limit(limit)
        else:
            stmt = stmt.order_by(t.c.open_time_ms)
        with self._sessions.read() as conn:
            rows = conn.execute(stmt).all()
        if limit is not None:
            rows.reverse()
        D = Decimal
        return [
            Bar(symbol, iv, int(ot), D(o), D(h), D(lo), D(c), D(v), bool(cl), venue) for ot, o, h, lo, c, v, cl in rows
        ]

    def series(self, venue: str = HOME_VENUE) -> list[tuple[str, Interval, int, int, int]]:
        """Stored series of ``venue``: (symbol, interval, bar count, first open_time_ms, last open_time_ms),
        sorted."""
        t = BarRow.__table__
        stmt = (
            select(t.c.symbol, t.c.interval, func.count(), func.min(t.c.open_time_ms), func.max(t.c.open_time_ms))
            .where(t.c.venue == venue)
            .group_by(t.c.symbol, t.c.interval)
            .order_by(t.c.symbol, t.c.interval)
        )
        with self._sessions.read() as conn:
            return [(sym, Interval(iv), int(n), int(lo), int(hi)) for sym, iv, n, lo, hi in conn.execute(stmt)]

    def delete(self, symbol: str, interval: Interval | str | None = None, *, venue: str = HOME_VENUE) -> int:
        """Delete the bars of ``symbol`` on ``venue`` (one interval, or all). Returns the number of rows deleted."""
        t = BarRow.__table__
        stmt = t.delete().where(t.c.venue == venue, t.c.symbol == symbol)
        if interval is not None:
            stmt = stmt.where(t.c.interval == Interval(interval).value)
        with self._sessions.write() as conn:
            return conn.execute(stmt).rowcount
