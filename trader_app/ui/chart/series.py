"""The chart's bar series: OHLCV as growable float64 numpy arrays (floats are fine in charts; DESIGN.md)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from trader_app.core import Bar, Interval
from trader_app.core.instrument import parse_market_id

_MIN_CAPACITY = 256
_ROWS = 7  # open_s, open, high, low, close, volume, centre_s
MAX_PRICE_DECIMALS = 8


class BarSeries:
    """OHLCV bars of one symbol and interval, oldest first, with amortised O(1) append.

    ``open_s`` is each bar's open time in epoch seconds (UTC) and ``center_s`` the middle of the bar
    (open + interval/2): candles are drawn there so that anything timed inside the bar (a fill) lands on it.
    The accessors return views of length ``n`` (valid until the next append).
    """

    def __init__(self, symbol: str = "", interval: Interval = Interval.M1) -> None:
        self.symbol = symbol
        self.interval = interval
        self.n = 0
        self.price_decimals = 2
        # the instrument's tick places (``ChartWidget.set_tick``): the readout then shows prices as the venue
        # quotes them, not a mid price's 64,999.995 or an aggregate's noise; None: from the bars' own digits
        self.tick_decimals: int | None = None
        self._open_ms = np.empty(_MIN_CAPACITY, dtype=np.int64)
        self._f = np.empty((_ROWS, _MIN_CAPACITY), dtype=np.float64)  # open_s, open, high, low, close, volume, centre

    # -- views ---------------------------------------------------------------------------------------
    @property
    def open_ms(self) -> np.ndarray:
        return self._open_ms[: self.n]

    @property
    def open_s(self) -> np.ndarray:
        return self._f[0, : self.n]

    @property
    def open(self) -> np.ndarray:
        return self._f[1, : self.n]

    @property
    def high(self) -> np.ndarray:
        return self._f[2, : self.n]

    @property
    def low(self) -> np.ndarray:
        return self._f[3, : self.n]

    @property
    def close(self) -> np.ndarray:
        return self._f[4, : self.n]

    @property
    def volume(self) -> np.ndarray:
        return self._f[5, : self.n]

    @property
    def interval_s(self) -> float:
        """Bar length in seconds."""
        return self.interval.ms / 1000.0

    @property
    def center_s(self) -> np.ndarray:
        """Bar centres in epoch seconds (open + interval / 2; a view like the others)."""
        return self._f[6, : self.n]

    def center_of(self, i: int) -> float:
        return float(self._f[0, i]) + self.interval_s / 2

    # -- changes -------------------------------------------------------------------------------------
    def load(self, symbol: str, interval: Interval, bars: list[Bar]) -> None:
        """Replace everything with ``bars``.

        Raises ``ValueError`` (and changes nothing) when a bar has another symbol or interval, or when open
        times are not strictly ascending.
        """
        if not isinstance(interval, Interval):
            raise ValueError(f"interval must be an Interval, got {interval!r}")
        venue, bare = parse_market_id(symbol) if symbol else ("", "")
        n = len(bars)
        flat = np.fromiter(_walk(bars, symbol, bare, venue, interval), dtype=np.float64, count=6 * n).reshape(n, 6)
        times = flat[:, 0].astype(np.int64)  # epoch ms, exact in a float64 (< 2**53)
        if n > 1:
            bad = np.flatnonzero(np.diff(times) <= 0)
            if len(bad):
                i = int(bad[0]) + 1
                raise ValueError(f"bar open times must be strictly ascending: bar {i} at {times[i]} ms follows {times[i - 1]} ms")
        cap = max(_MIN_CAPACITY, 1 << (n + 1).bit_length())
        f = np.empty((_ROWS, cap), dtype=np.float64)
        f[:6, :n] = flat.T
        f[0, :n] /= 1000.0
        f[6, :n] = f[0, :n] + interval.ms / 2000.0
        open_ms = np.empty(cap, dtype=np.int64)
        open_ms[:n] = times
        self.symbol, self.interval, self.n = symbol, interval, n
        self._f, self._open_ms = f, open_ms
        self.price_decimals = self.tick_decimals if self.tick_decimals is not None else (
            price_decimals_of(bars[-64:]) if bars else 2)

    def last_open_ms(self) -> int | None:
        return int(self._open_ms[self.n - 1]) if self.n else None

    def replace_last(self, bar: Bar) -> None:
        """Overwrite the last bar's OHLCV (same open time)."""
        self._write(self.n - 1, bar)

    def append(self, bar: Bar) -> None:
        """Add ``bar`` after the last one (the caller checked that it is newer)."""
        if self.n == self._f.shape[1]:
            cap = self._f.shape[1] * 2
            f = np.empty((_ROWS, cap), dtype=np.float64)
            f[:, : self.n] = self._f[:, : self.n]
            open_ms = np.empty(cap, dtype=np.int64)
            open_ms[: self.n] = self._open_ms[: self.n]
            self._f, self._open_ms = f, open_ms
        self.n += 1
        self._write(self.n - 1, bar)
        if self.tick_decimals is None:  # no tick known: as many places as the prices are written with
            self.price_decimals = max(self.price_decimals, price_decimals_of([bar]))

    def _write(self, i: int, bar: Bar) -> None:
        self._open_ms[i] = bar.open_time_ms
        self._f[:, i] = (
            bar.open_time_ms / 1000.0,
            float(bar.open),
            float(bar.high),
            float(bar.low),
            float(bar.close),
            float(bar.volume),
            bar.open_time_ms / 1000.0 + self.interval_s / 2,
        )

    def index_at(self, x_s: float) -> int | None:
        """Index of the bar whose time span [open, open + interval) holds ``x_s`` (epoch s), else None."""
        if not self.n:
            return None
        i = int(np.searchsorted(self.open_s, x_s, side="right")) - 1
        if i < 0 or x_s >= self._f[0, i] + self.interval_s:
            return None
        return i

    def visible_slice(self, x0: float, x1: float) -> slice:
        """Indices of the bars whose centre lies in [x0, x1] (epoch s); possibly empty."""
        c0 = x0 - self.interval_s / 2
        c1 = x1 - self.interval_s / 2
        i0 = int(np.searchsorted(self.open_s, c0, side="left"))
        i1 = int(np.searchsorted(self.open_s, c1, side="right"))
        return slice(max(0, i0), min(self.n, i1))


def _walk(bars: list[Bar], market: str, symbol: str, venue: str, interval: Interval):
    """One pass over ``bars``: yields open time (ms), open, high, low, close, volume of each as floats and
    raises ``ValueError`` at the first bar of another symbol, venue or interval than ``market``'s."""
    for b in bars:
        if b.symbol != symbol or b.venue != venue or b.interval != interval:
            raise ValueError(f"bar {b.symbol} {b.interval.value} @ {b.open_time_ms} does not belong to {market} {interval.value}")
        yield b.open_time_ms
        yield float(b.open)
        yield float(b.high)
        yield float(b.low)
        yield float(b.close)
        yield float(b.volume)


def price_decimals_of(bars: list[Bar]) -> int:
    """Decimal places needed to show the prices of ``bars`` (trailing zeros dropped), clamped to 0..8."""
    best = 0
    for b in bars:
        for v in (b.open, b.high, b.low, b.close):
            if isinstance(v, Decimal) and v.is_finite():
                exp = v.normalize().as_tuple().exponent
                if isinstance(exp, int) and -exp > best:
                    best = -exp
    return min(best, MAX_PRICE_DECIMALS)
