"""Replay of stored or imported bars as a live market, so the paper broker trades on real prices.

Each bar becomes four quotes, in the order a backtester conventionally assumes the price travelled inside
the bar: open, then low then high for a rising bar (close >= open) or high then low for a falling one, then
close. Quote times are the bar's open time plus 0, 1/4 and 1/2 of the interval, and its last millisecond
for the close. Each quote's ``last`` is that price; ``bid``/``ask`` are one tick below/above it (the tick is
the instrument's, or the finest price step written in the bars); ``volume`` is a quarter of the bar's
volume, so a bar's quotes add up to its volume. Quotes and bars carry the bars' venue (the paper venue for
imported files); quote events carry ``source="replay"``, so the bar aggregator leaves them to the file's bars.

The bars themselves are republished too: after each of the first three quotes a ``BarEvent`` with the bar
so far (``closed`` False), and after the close quote the bar exactly as stored (``closed`` True).
Bars of several symbols are replayed together in time order. ``speed`` is in bars per second; quotes go out
in batches per timer slice (10 ms), never one sleep per quote.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from decimal import Decimal

from trader_app.core.bus import EventBus
from trader_app.core.events import BarEvent, QuoteEvent
from trader_app.core.market_data import Bar, Quote

log = logging.getLogger(__name__)

REPLAY_SOURCE = "replay"  # QuoteEvent.source of replayed quotes
_STEPS = 4  # quotes per bar
_MAX_STEPS_PER_SLICE = 1000  # keeps one slice short even at "as fast as possible" speeds


def price_step(bars: Iterable[Bar]) -> Decimal:
    """The finest price step written in ``bars`` (e.g. ``0.01`` for ``187.15``), at most 1."""
    exp = 0
    for i, b in enumerate(bars):
        for p in (b.open, b.high, b.low, b.close):
            e = p.as_tuple().exponent
            if isinstance(e, int) and e < exp:
                exp = e
        if i >= 1000:
            break
    return Decimal(1).scaleb(exp)


def bar_path(bar: Bar) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """The four prices a bar is replayed as: open, low, high, close if it rose (close >= open), else
    open, high, low, close."""
    if bar.close >= bar.open:
        return bar.open, bar.low, bar.high, bar.close
    return bar.open, bar.high, bar.low, bar.close


class ReplayMarket:
    """Publishes ``QuoteEvent`` and ``BarEvent`` from ``bars`` at ``speed`` bars per second.

    ``tick_size``: half the quoted spread (default: :func:`price_step` of the bars). ``done`` is set when
    the replay ends (all bars replayed, ``finished`` True) or is stopped. Raises ValueError for
    ``speed`` <= 0. Bars need not be sorted; they are replayed by (open time, symbol).
    """

    def __init__(
        self,
        bus: EventBus,
        bars: Iterable[Bar],
        speed: float = 1.0,
        *,
        tick_size: Decimal | None = None,
        slice_s: float = 0.01,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be > 0 bars per second, got {speed}")
        self.bus = bus
        self.bars = sorted(bars, key=lambda b: (b.open_time_ms, b.symbol))
        self.speed = float(speed)
        self.tick_size = tick_size if tick_size is not None else price_step(self.bars)
        self.slice_s = slice_s
        self.done = asyncio.Event()
        self.finished = False
        self.steps_done = 0  # quotes published
        self._day_open: dict[str, tuple[int, Decimal]] = {}
        self._task: asyncio.Task | None = None
        self._t0 = 0.0

    @property
    def symbols(self) -> list[str]:
        return sorted({b.symbol for b in self.bars})

    @property
    def bars_done(self) -> int:
        """Bars fully replayed (their closed BarEvent published)."""
        return self.steps_done // _STEPS

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start replaying on the running loop (idempotent; a finished replay does not restart)."""
        if self.running or self.done.is_set():
            return
        self._task = asyncio.get_running_loop().create_task(self._run(), name="replay-market")

    async def stop(self) -> None:
        """Stop the replay (``done`` is set, ``finished`` stays False if bars remain). Idempotent."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        self.done.set()

    def set_speed(self, speed: float) -> None:
        """Change the speed (bars per second) from the current position on."""
        if not speed > 0:
            raise ValueError(f"speed must be > 0 bars per second, got {speed}")
        loop_time = asyncio.get_running_loop().time() if self.running else None
        self.speed = float(speed)
        if loop_time is not None:
            self._t0 = loop_time - self.steps_done / (self.speed * _STEPS)

    def step(self) -> None:
        """Publish the next quote (and bar update) of the replay; used by the timer and by tests."""
        k = self.steps_done
        bar = self.bars[k // _STEPS]
        part = k % _STEPS
        path = bar_path(bar)
        price = path[part]
        size = bar.interval.ms
        ts = bar.open_time_ms + (size - 1 if part == 3 else part * size // _STEPS)
        day = ts // 86_400_000
        seen = self._day_open.get(bar.symbol)
        if seen is None or seen[0] != day:
            seen = self._day_open[bar.symbol] = (day, bar.open)
        tick = self.tick_size
        bid = price - tick if price > tick else price
        quote = Quote(bar.symbol, ts, bid, price + tick, price, bar.volume / _STEPS, seen[1], bar.venue)
        self.bus.publish(QuoteEvent(quote, REPLAY_SOURCE))
        if part == 3:
            self.bus.publish(BarEvent(bar))
        else:
            so_far = path[: part + 1]
            partial = Bar(
                bar.symbol, bar.interval, bar.open_time_ms, bar.open, max(so_far), min(so_far), price,
                bar.volume * (part + 1) / _STEPS, False, bar.venue,
            )
            self.bus.publish(BarEvent(partial))
        self.steps_done = k + 1

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        total = len(self.bars) * _STEPS
        self._t0 = loop.time() - self.steps_done / (self.speed * _STEPS)
        try:
            while self.steps_done < total:
                rate = self.speed * _STEPS
                due = min(total, int((loop.time() - self._t0) * rate) + 1)
                end = min(due, self.steps_done + _MAX_STEPS_PER_SLICE)
                while self.steps_done < end:
                    self.step()
                if self.steps_done >= total:
                    break
                wait = self._t0 + self.steps_done / rate - loop.time()
                await asyncio.sleep(max(self.slice_s, wait))
            self.finished = True
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001
            log.exception("replay failed at quote %d", self.steps_done)
        finally:
            self.done.set()
