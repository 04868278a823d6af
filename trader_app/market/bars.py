"""Tick-to-bar aggregation: quotes in, OHLCV bars out (live updates, closed bars, persistence).

A bar of interval ``iv`` covers ``[iv.bucket_start(ts), + iv.ms)`` (UTC epoch ms; 1d bars are UTC days).
From each quote's ``last`` price: the first quote of a bucket opens the bar, ``high``/``low`` are the
extremes, ``close`` the latest; ``volume`` is the sum of the quotes' tick volumes (``Quote.volume``, base units).
A bucket without quotes has no bar (gaps stay gaps).

A bar closes when the first quote of a later bucket arrives, or, with a ``clock``, once the clock has passed
its end by ``close_grace_ms`` (so a quiet symbol's bar still closes). Each closed bar is published once as
``BarEvent(bar)`` with ``bar.closed`` True and queued for the store, which receives closed bars in batches
through ``await store.run(store.bars.save, bars)`` (off the loop). The forming bar of each symbol and
interval is published as ``BarEvent`` with ``closed`` False at most once per ``live_period_s`` (0.2 s: <= 5/s);
the timer runs ten times per period and publishes at most a tenth of the symbols per run, so with many
symbols the live updates spread evenly over time instead of arriving in one burst.
Quotes older than the bar being built (late ticks) are ignored by that interval and counted in ``late``.
Bars are kept per (venue, symbol): the same symbol on two venues builds two series. Quote events whose
``source`` is in ``skip_sources`` (default: ``"replay"``, whose bars come from the file; the market service adds
each venue feed that streams its own klines) are ignored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from trader_app.core.bus import EventBus
from trader_app.core.enums import Interval
from trader_app.core.events import BarEvent, QuoteEvent
from trader_app.core.ids import now_ms
from trader_app.core.instrument import HOME_VENUE
from trader_app.core.market_data import Bar

log = logging.getLogger(__name__)

_TICKS_PER_PERIOD = 10


class _Building:
    """A bar being built (mutable; turned into a frozen ``Bar`` when published)."""

    __slots__ = ("open_time", "open", "high", "low", "close", "volume", "closed")

    def __init__(self, open_time: int, price: Decimal, volume: Decimal) -> None:
        self.open_time = open_time
        self.open = self.high = self.low = self.close = price
        self.volume = volume
        self.closed = False


class BarAggregator:
    """Builds bars of ``intervals`` from every ``QuoteEvent`` on ``bus`` and persists closed ones in ``store``.

    ``store``: a :class:`trader_app.store.Store` or None (no persistence). ``clock``: epoch-ms clock used to
    close bars of quiet symbols (None: bars close only on a later quote or :meth:`close_all`).
    ``save_batch``: closed bars per store write; ``save_period_s``: longest time a closed bar waits unsaved.
    """

    def __init__(
        self,
        bus: EventBus,
        store: Any | None = None,
        intervals: Iterable[Interval] = tuple(Interval),
        *,
        live_period_s: float = 0.2,
        save_batch: int = 1000,
        save_period_s: float = 1.0,
        clock: Callable[[], int] | None = now_ms,
        close_grace_ms: int = 2000,
        skip_sources: Iterable[str] = ("replay",),
    ) -> None:
        self.bus = bus
        self.store = store
        self.intervals = tuple(intervals)
        self._ms = tuple(iv.ms for iv in self.intervals)
        self.live_period_s = live_period_s
        self.save_batch = save_batch
        self.save_period_s = save_period_s
        self.clock = clock
        self.close_grace_ms = close_grace_ms
        self.skip_sources = set(skip_sources)
        self._bars: dict[tuple[str, str], list[_Building | None]] = {}  # (venue, symbol) -> one slot per interval
        self._dirty: dict[tuple[str, str], None] = {}  # series with unpublished changes, oldest first
        self._published_at: dict[tuple[str, str], float] = {}  # loop time of each series' last live publish
        self._sweep_due = [None] * len(self.intervals)  # earliest end (ms) of an open bar, per interval
        self._pending: list[Bar] = []
        self._last_save = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._save_task: asyncio.Task | None = None
        self.late = 0  # quotes ignored because their bucket had already closed
        self.save_errors = 0
        self.saved = 0  # closed bars written to the store
        self._unsubscribe = bus.subscribe(QuoteEvent, self.on_quote)

    # ------------------------------------------------------------------ input
    def on_quote(self, event: QuoteEvent) -> None:
        """Fold one quote into every interval's bar (sync, O(number of intervals))."""
        if event.source in self.skip_sources:
            return
        q = event.quote
        price = q.last
        if price <= 0:
            return
        sym = (q.venue, q.symbol)
        ts = q.ts_ms
        vol = q.volume
        slots = self._bars.get(sym)
        if slots is None:
            slots = self._bars[sym] = [None] * len(self._ms)
        late = False
        for j, size in enumerate(self._ms):
            start = ts - ts % size
            b = slots[j]
            if b is None or start > b.open_time:
                if b is not None and not b.closed:
                    self._close(sym, j, b)
                slots[j] = _Building(start, price, vol)
                due = self._sweep_due[j]
                if due is None or start + size < due:
                    self._sweep_due[j] = start + size
            elif start == b.open_time and not b.closed:
                if price > b.high:
                    b.high = price
                elif price < b.low:
                    b.low = price
                b.close = price
                b.volume += vol
            else:
                late = True
        if late:
            self.late += 1
        if sym not in self._dirty:
            self._dirty[sym] = None
        if self._timer is None:
            self._arm()

    # ------------------------------------------------------------------ output
    def live_bar(self, symbol: str, interval: Interval, venue: str = HOME_VENUE) -> Bar | None:
        """The forming bar of ``symbol`` on ``venue`` at ``interval`` (``closed`` False), or None if none."""
        slots = self._bars.get((venue, symbol))
        if slots is None or interval not in self.intervals:
            return None
        b = slots[self.intervals.index(interval)]
        if b is None or b.closed:
            return None
        return self._bar((venue, symbol), self.intervals.index(interval), b, False)

    def unsaved(self, symbol: str, interval: Interval, venue: str = HOME_VENUE) -> list[Bar]:
        """Closed bars of ``symbol`` on ``venue`` at ``interval`` not yet written to the store (ascending)."""
        return [b for b in self._pending if b.symbol == symbol and b.venue == venue and b.interval is interval]

    def keep(self, bars: list[Bar]) -> None:
        """Queue closed ``bars`` that came from elsewhere (a venue's kline stream) for the store, in the same
        batched writes as the aggregator's own."""
        if self.store is None:
            return
        self._pending.extend(b for b in bars if b.closed)
        if self._pending and self._timer is None:
            self._arm()

    def _bar(self, key: tuple[str, str], j: int, b: _Building, closed: bool) -> Bar:
        return Bar(key[1], self.intervals[j], b.open_time, b.open, b.high, b.low, b.close, b.volume, closed, key[0])

    def _close(self, sym: tuple[str, str], j: int, b: _Building) -> None:
        b.closed = True
        bar = self._bar(sym, j, b, True)
        self.bus.publish(BarEvent(bar))
        if self.store is not None:
            self._pending.append(bar)

    def close_all(self) -> int:
        """Close every open bar now (e.g. at the end of a scripted run). Returns how many closed."""
        n = 0
        for sym, slots in self._bars.items():
            for j, b in enumerate(slots):
                if b is not None and not b.closed:
                    self._close(sym, j, b)
                    n += 1
        self._dirty.clear()
        return n

    def publish_live(self) -> None:
        """Publish the forming bar of every symbol that changed since the last call (normally on the timer)."""
        dirty, self._dirty = self._dirty, {}
        for sym in dirty:
            self._publish_symbol(sym)

    def _publish_symbol(self, sym: tuple[str, str]) -> None:
        publish = self.bus.publish
        for j, b in enumerate(self._bars[sym]):
            if b is not None and not b.closed:
                publish(BarEvent(self._bar(sym, j, b, False)))

    def _publish_due(self, now: float) -> None:
        """Publish the oldest changed symbols whose last live publish is a period old, a tenth of all
        symbols at most."""
        budget = -(-len(self._bars) // _TICKS_PER_PERIOD)
        period = self.live_period_s
        published_at = self._published_at
        done = []
        for sym in self._dirty:
            if now - published_at.get(sym, -1e18) >= period:
                self._publish_symbol(sym)
                published_at[sym] = now
                done.append(sym)
                if len(done) >= budget:
                    break
        for sym in done:
            del self._dirty[sym]

    def sweep(self, now: int) -> int:
        """Close the bars whose end is at least ``close_grace_ms`` before ``now`` (epoch ms). Returns the count."""
        limit = now - self.close_grace_ms
        n = 0
        for j, size in enumerate(self._ms):
            due = self._sweep_due[j]
            if due is None or due > limit:
                continue
            nxt = None
            for sym, slots in self._bars.items():
                b = slots[j]
                if b is None or b.closed:
                    continue
                end = b.open_time + size
                if end <= limit:
                    self._close(sym, j, b)
                    n += 1
                elif nxt is None or end < nxt:
                    nxt = end
            self._sweep_due[j] = nxt
        return n

    # ------------------------------------------------------------------ timer and persistence
    def _arm(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (plain sync use): publish at once, nothing to schedule
            self.publish_live()
            return
        self._timer = loop.call_later(self.live_period_s / _TICKS_PER_PERIOD, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        loop = asyncio.get_running_loop()
        try:
            self._publish_due(loop.time())
            if self.clock is not None:
                self.sweep(self.clock())
            if self._pending and (
                len(self._pending) >= self.save_batch or loop.time() - self._last_save >= self.save_period_s
            ):
                self._start_save()
        finally:
            open_bars = self.clock is not None and any(d is not None for d in self._sweep_due)
            if self._timer is None and (self._dirty or self._pending or open_bars):
                self._arm()

    def _start_save(self) -> asyncio.Task | None:
        if self.store is None or not self._pending:
            return self._save_task
        if self._save_task is None or self._save_task.done():
            self._save_task = asyncio.get_running_loop().create_task(self._save_loop(), name="bar-save")
        return self._save_task

    async def _save_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                self.saved += await self.store.run(self.store.bars.save, batch)
            except Exception:  # noqa: BLE001 - a failed write is logged; the live market goes on
                self.save_errors += 1
                log.exception("saving %d closed bars failed", len(batch))
            self._last_save = loop.time()

    async def flush(self) -> None:
        """Write every closed bar still waiting to the store and wait for it."""
        task = self._start_save()
        while task is not None and not task.done():
            await asyncio.shield(task)
            task = self._start_save()

    async def stop(self) -> None:
        """Stop listening, cancel the timer and write the closed bars still waiting (open bars are dropped)."""
        self._unsubscribe()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await self.flush()
