"""The demo market: live-looking quotes for any set of instruments, published on the event bus.

Prices follow geometric Brownian motion (GBM) per symbol, the textbook model of Black and Scholes (1973):
``log P(t+dt) = log P(t) + sigma * sqrt(dt) * Z - sigma^2 * dt / 2`` with ``Z ~ N(0, 1)`` and ``sigma`` the
annualised volatility of the symbol's :class:`~trader_app.market.catalog.DemoProfile` (``dt`` in years of
365.25 days, on the wall clock). Each quote is on the instrument's tick grid: the mid is rounded to a tick,
the spread is 1 to 3 ticks (so ``bid < ask`` always), the last trade is at the bid or the ask, and the tick
volume is a positive multiple of the lot size (log-normal around the profile's trade notional).

Throughput: quotes are emitted in batches, one batch per timer slice (10 ms by default): each slice
publishes every quote that is due by then at ``tick_rate`` (catching up on lag, at most ``max_catch_up``
slices' worth at once so the loop stays responsive); nothing sleeps per quote.

Determinism: with a ``seed`` the sequence of quotes (symbol, bid, ask, last, volume) is the same however
the quotes are batched, because random numbers are drawn in fixed-size blocks and consumed in order.
Timestamps are the wall clock (epoch ms, UTC).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import zlib
from collections.abc import Iterable
from decimal import Decimal

import numpy as np

from trader_app.core.bus import EventBus
from trader_app.core.enums import Interval
from trader_app.core.errors import UnknownSymbol
from trader_app.core.events import QuoteEvent
from trader_app.core.ids import now_ms
from trader_app.core.instrument import Instrument
from trader_app.core.market_data import Bar, Quote

from .catalog import demo_profile

log = logging.getLogger(__name__)

DEMO_SOURCE = "demo"  # QuoteEvent.source of the demo market's quotes
YEAR_S = 365.25 * 86_400.0
_BLOCK = 8192  # random numbers drawn per block
_MIN_TICKS = 20  # a price never falls below 20 ticks (keeps bid >= 1 tick with a 3-tick spread)


def _stable_seed(seed: int, *parts: str) -> list[int]:
    """A seed sequence that does not depend on Python's randomised ``hash``."""
    return [seed & 0xFFFFFFFF] + [zlib.crc32(p.encode()) for p in parts]


class DemoMarket:
    """Publishes ``QuoteEvent`` on ``bus`` at ``tick_rate`` quotes per second spread over ``instruments``.

    ``tick_rate`` > 0 (quotes/s over all symbols, e.g. 20,000 over 500 symbols); ``seed`` makes the quote
    sequence reproducible; ``slice_s`` is the timer period (s). Quotes carry the instruments' venue
    (the paper venue for the catalog) and ``QuoteEvent.source`` "demo".
    Raises ``ValueError`` for no instruments or a non-positive rate.
    """

    def __init__(
        self,
        bus: EventBus,
        instruments: Iterable[Instrument],
        tick_rate: float,
        seed: int | None = None,
        *,
        slice_s: float = 0.01,
        max_catch_up: int = 5,
    ) -> None:
        self._instruments = list(instruments)
        if not self._instruments:
            raise ValueError("the demo market needs at least one instrument")
        if not tick_rate > 0:
            raise ValueError(f"tick_rate must be > 0 quotes/s, got {tick_rate}")
        self.bus = bus
        self.tick_rate = float(tick_rate)
        self.seed = seed
        self.slice_s = slice_s
        self.max_catch_up = max_catch_up
        self._index = {inst.symbol: i for i, inst in enumerate(self._instruments)}
        self._rng = np.random.default_rng(seed)
        n = len(self._instruments)
        self._symbols = [inst.symbol for inst in self._instruments]
        self._tick = [inst.tick_size for inst in self._instruments]
        self._inv_tick = [1.0 / float(inst.tick_size) for inst in self._instruments]
        self._lot = [inst.lot_size for inst in self._instruments]
        self._venues = [inst.venue for inst in self._instruments]
        profiles = [demo_profile(inst) for inst in self._instruments]
        self._vol = [p.volatility for p in profiles]
        # expected time between two quotes of one symbol, in years
        dt = n / self.tick_rate / YEAR_S
        self._sigma = [p.volatility * math.sqrt(dt) for p in profiles]
        self._drift = [-0.5 * s * s for s in self._sigma]
        self._logp = [math.log(float(p.price)) for p in profiles]
        self._min_logp = [math.log(_MIN_TICKS * float(t)) for t in self._tick]
        self._typ_lots = [
            max(1.0, float(p.trade_notional / p.price / inst.lot_size)) for p, inst in zip(profiles, self._instruments)
        ]
        self._day_open: list[Decimal | None] = [None] * n
        self._day: list[int] = [-1] * n
        self._buf: tuple[list, list, list, list, list] | None = None
        self._pos = 0
        self._task: asyncio.Task | None = None
        self.emitted = 0  # quotes published so far
        self.behind = 0  # quotes due but not yet published at the last slice (lag)

    # ------------------------------------------------------------------ state
    @property
    def instruments(self) -> list[Instrument]:
        return list(self._instruments)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def price(self, symbol: str) -> Decimal:
        """The current mid price of ``symbol`` on its tick grid (Decimal, quote currency). UnknownSymbol."""
        i = self._i(symbol)
        return self._tick[i] * max(_MIN_TICKS, int(math.exp(self._logp[i]) * self._inv_tick[i] + 0.5))

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Move ``symbol``'s price to ``price`` (e.g. the last stored close, for continuity across restarts).
        Raises UnknownSymbol, or ValueError for a price <= 0."""
        i = self._i(symbol)
        if price <= 0:
            raise ValueError(f"price must be > 0, got {price}")
        self._logp[i] = max(self._min_logp[i], math.log(float(price)))

    def _i(self, symbol: str) -> int:
        try:
            return self._index[symbol]
        except KeyError:
            raise UnknownSymbol(symbol, "demo") from None

    # ------------------------------------------------------------------ generation
    def _refill(self) -> None:
        rng = self._rng
        self._buf = (
            rng.integers(0, len(self._symbols), _BLOCK).tolist(),
            rng.standard_normal(_BLOCK).tolist(),
            rng.random(_BLOCK).tolist(),
            rng.random(_BLOCK).tolist(),
            rng.lognormal(0.0, 0.8, _BLOCK).tolist(),
        )
        self._pos = 0

    def generate(self, n: int, ts_ms: int) -> list[Quote]:
        """The next ``n`` quotes of the sequence, all stamped ``ts_ms`` (epoch ms), without publishing."""
        out: list[Quote] = []
        self._produce(n, ts_ms, out.append)
        return out

    def _produce(self, n: int, ts_ms: int, sink) -> None:  # noqa: C901 - the hot loop, kept flat on purpose
        symbols, tick, inv_tick, lot, venues = self._symbols, self._tick, self._inv_tick, self._lot, self._venues
        sigma, drift, logp, min_logp = self._sigma, self._drift, self._logp, self._min_logp
        typ, day_open, day = self._typ_lots, self._day_open, self._day
        today = ts_ms // 86_400_000
        exp = math.exp
        buf, pos = self._buf, self._pos
        for _ in range(n):
            if buf is None or pos >= _BLOCK:
                self._refill()
                buf, pos = self._buf, 0
            s = buf[0][pos]
            lp = logp[s] + sigma[s] * buf[1][pos] + drift[s]
            if lp < min_logp[s]:
                lp = min_logp[s]
            logp[s] = lp
            mid = int(exp(lp) * inv_tick[s] + 0.5)
            u = buf[2][pos]
            spread = 1 if u < 0.6 else (2 if u < 0.9 else 3)
            bid_t = mid - (spread >> 1)
            ask_t = bid_t + spread
            t = tick[s]
            bid = t * bid_t
            ask = t * ask_t
            last = ask if buf[3][pos] >= 0.5 else bid
            lots = int(typ[s] * buf[4][pos]) or 1
            pos += 1
            if day[s] != today:
                day[s] = today
                day_open[s] = last
            sink(Quote(symbols[s], ts_ms, bid, ask, last, lot[s] * lots, day_open[s], venues[s]))
        self._pos = pos

    # ------------------------------------------------------------------ running
    def start(self) -> None:
        """Start publishing on the running loop (idempotent)."""
        if self.running:
            return
        self._task = asyncio.get_running_loop().create_task(self._run(), name="demo-market")

    async def stop(self) -> None:
        """Stop publishing and wait for the timer task to end (idempotent)."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        publish = self.bus.publish
        t0 = loop.time()
        done = 0  # quotes emitted since t0
        per_slice = max(1, int(self.tick_rate * self.slice_s))
        cap = per_slice * self.max_catch_up

        def sink(q: Quote) -> None:
            publish(QuoteEvent(q, DEMO_SOURCE))

        try:
            while True:
                due = int((loop.time() - t0) * self.tick_rate) - done
                if due > 0:
                    n = min(due, cap)
                    try:
                        self._produce(n, int(time.time() * 1000), sink)
                    except Exception:  # noqa: BLE001 - a generation bug must not kill the timer silently
                        log.exception("demo market generation failed")
                        raise
                    done += n
                    self.emitted += n
                    self.behind = due - n
                await asyncio.sleep(self.slice_s)
        except asyncio.CancelledError:
            raise

    # ------------------------------------------------------------------ history
    def backfill(
        self,
        symbol: str,
        interval: Interval,
        n_bars: int,
        end_ms: int | None = None,
        *,
        last_price: Decimal | None = None,
    ) -> list[Bar]:
        """``n_bars`` closed bars of plausible history for ``symbol`` ending just before ``end_ms``.

        The bars fill the ``n_bars`` buckets before the bucket containing ``end_ms`` (epoch ms, default now),
        ascending, and the last close equals ``last_price`` (default: the current price), so a chart joins the
        live bar without a jump. The path is GBM run backwards with the symbol's volatility per bar length;
        each bar opens at the previous close; high/low extend beyond open/close by a half-normal excursion;
        volume is the lot size times the tick volume the live market would produce in that time.
        With a ``seed`` the result depends only on (seed, symbol, interval, n_bars, end bucket, last price).
        Raises UnknownSymbol, or ValueError for ``n_bars`` < 0.
        """
        if n_bars < 0:
            raise ValueError(f"n_bars must be >= 0, got {n_bars}")
        i = self._i(symbol)
        if n_bars == 0:
            return []
        end_ms = now_ms() if end_ms is None else end_ms
        price = float(last_price) if last_price is not None else float(self.price(symbol))
        if self.seed is None:
            rng = np.random.default_rng()
        else:
            rng = np.random.default_rng(_stable_seed(self.seed, symbol, interval.value))
        sigma = self._vol[i] * math.sqrt(interval.ms / 1000.0 / YEAR_S)
        z = rng.standard_normal(n_bars)
        inc = sigma * z
        # log close of bar k = log(price) - sum of the increments after it
        tail = np.concatenate((np.cumsum(inc[::-1])[::-1][1:], [0.0]))
        logc = math.log(price) - tail
        logo = np.empty(n_bars)
        logo[1:] = logc[:-1]
        logo[0] = logc[0] - inc[0]
        up = np.abs(rng.standard_normal(n_bars)) * sigma * 0.6
        down = np.abs(rng.standard_normal(n_bars)) * sigma * 0.6
        inv = self._inv_tick[i]
        floor_t = _MIN_TICKS

        def ticks(logx: np.ndarray) -> np.ndarray:
            return np.maximum(floor_t, np.rint(np.exp(logx) * inv)).astype(np.int64)

        o_t, c_t = ticks(logo), ticks(logc)
        c_t[-1] = max(floor_t, int(round(price * inv)))
        h_t = np.maximum(ticks(np.maximum(logo, logc) + up), np.maximum(o_t, c_t))
        l_t = np.minimum(ticks(np.minimum(logo, logc) - down), np.minimum(o_t, c_t))
        quotes_per_bar = self.tick_rate / len(self._symbols) * interval.ms / 1000.0
        lots = np.maximum(1, np.rint(self._typ_lots[i] * quotes_per_bar * rng.lognormal(0.0, 0.5, n_bars)))
        tick, lot = self._tick[i], self._lot[i]
        first = interval.bucket_start(end_ms) - n_bars * interval.ms
        step = interval.ms
        return [
            Bar(symbol, interval, first + k * step, tick * o, tick * h, tick * low, tick * c, lot * v, True)
            for k, (o, h, low, c, v) in enumerate(
                zip(o_t.tolist(), h_t.tolist(), l_t.tolist(), c_t.tolist(), lots.astype(np.int64).tolist())
            )
        ]
