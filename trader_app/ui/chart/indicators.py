"""Indicator arrays of the chart, computed with TA-Lib on float64 closes.

Formulas are TA-Lib's own (``talib.SMA``, ``talib.RSI`` with Wilder smoothing, ``talib.MACD`` with EMA(12)
minus EMA(26) and an EMA(9) signal). Every array has the length of the closes, with TA-Lib's leading NaNs
(RSI(14): 14, MACD(12,26,9): 33, SMA(n): n-1; shared/STACK.md trap 9).

The chart computes everything when bars are loaded; a new bar appends one value to each array
(``Indicators.append``) and a tick of the live bar refreshes the LAST value (``Indicators.refresh_last``),
both from a bounded tail window of closes, so neither costs more with 1,000,000 bars than with 300.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import talib

RSI_PERIOD = 14
MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9

# Length of the close window used to refresh the last value. The EMA/Wilder memory of the seed decays as
# (1 - alpha)^k: after 1024 bars the slowest factor here (25/27, MACD's EMA(26)) is below 1e-34, so the
# tail result equals the full-array result to float64 precision.
TAIL_WINDOW = 1024


def _as_closes(closes: np.ndarray) -> np.ndarray:
    arr = np.ascontiguousarray(closes, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"closes must be a 1-D array, got shape {arr.shape}")
    return arr


def validate_periods(periods: list[int]) -> list[int]:
    """Check moving-average periods: integers >= 2, no duplicates. Returns them as a list; ``ValueError`` else."""
    out: list[int] = []
    for p in periods:
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or int(p) < 2:
            raise ValueError(f"moving-average period must be an integer >= 2, got {p!r}")
        if int(p) in out:
            raise ValueError(f"moving-average period {int(p)} given twice")
        out.append(int(p))
    return out


@dataclass
class Indicators:
    """Indicator arrays over one bar series (all float64, same length as the closes).

    ``ma`` maps a period to its SMA; ``rsi`` is RSI(14) in points 0..100; ``macd``, ``macd_signal`` and
    ``macd_hist`` are MACD(12,26,9) in price units. The arrays are views of buffers with spare room, so
    :meth:`append` is amortised O(1); a view is valid until the next ``append``.
    """

    ma_periods: list[int]
    ma: dict[int, np.ndarray] = field(default_factory=dict)
    rsi: np.ndarray = field(default_factory=lambda: np.empty(0))
    macd: np.ndarray = field(default_factory=lambda: np.empty(0))
    macd_signal: np.ndarray = field(default_factory=lambda: np.empty(0))
    macd_hist: np.ndarray = field(default_factory=lambda: np.empty(0))
    _buffers: np.ndarray | None = field(default=None, repr=False)  # rows: rsi, macd, signal, hist, then the MAs
    _n: int = 0

    @classmethod
    def compute(cls, closes: np.ndarray, ma_periods: list[int]) -> "Indicators":
        """All indicators over ``closes`` (1-D, any float; converted to float64)."""
        c = _as_closes(closes)
        ind = cls(ma_periods=list(ma_periods))
        rows = cls._rows(c, ind.ma_periods)
        n = len(c)
        buf = np.empty((len(rows), max(256, 1 << (n + 1).bit_length())), dtype=np.float64)
        for r, values in enumerate(rows):
            buf[r, :n] = values
        ind._buffers, ind._n = buf, n
        ind._views()
        return ind

    @staticmethod
    def _rows(c: np.ndarray, periods: list[int]) -> list[np.ndarray]:
        macd, signal, hist = talib.MACD(c, fastperiod=MACD_FAST, slowperiod=MACD_SLOW, signalperiod=MACD_SIGNAL)
        return [talib.RSI(c, timeperiod=RSI_PERIOD), macd, signal, hist] + [talib.SMA(c, timeperiod=p) for p in periods]

    def _views(self) -> None:
        assert self._buffers is not None
        b, n = self._buffers, self._n
        self.rsi, self.macd, self.macd_signal, self.macd_hist = b[0, :n], b[1, :n], b[2, :n], b[3, :n]
        self.ma = {p: b[4 + k, :n] for k, p in enumerate(self.ma_periods)}

    def __len__(self) -> int:
        return len(self.rsi)

    def append(self, closes: np.ndarray) -> None:
        """The closes grew by one or more bars: add their values at the end of every array.

        ``closes`` is the whole series (longer than the arrays; ``ValueError`` otherwise). Only the last
        ``TAIL_WINDOW`` closes are read (see :data:`TAIL_WINDOW` for why the values equal a full compute).
        """
        c = _as_closes(closes)
        k = len(c) - self._n
        if k <= 0:
            raise ValueError(f"append needs more than {self._n} closes, got {len(c)}")
        if self._buffers is None or self._n < TAIL_WINDOW:  # short series: a full compute is as cheap
            fresh = Indicators.compute(c, self.ma_periods)
            self._buffers, self._n = fresh._buffers, fresh._n
            self._views()
            return
        rows = Indicators._rows(c[-(TAIL_WINDOW + k):], self.ma_periods)
        n = len(c)
        if n > self._buffers.shape[1]:
            grown = np.empty((self._buffers.shape[0], self._buffers.shape[1] * 2), dtype=np.float64)
            grown[:, : self._n] = self._buffers[:, : self._n]
            self._buffers = grown
        for r, values in enumerate(rows):
            self._buffers[r, self._n:n] = values[-k:]
        self._n = n
        self._views()

    def refresh_last(self, closes: np.ndarray) -> None:
        """Recompute only the last value of every array after the last close changed.

        ``closes`` must have the same length as the arrays (``ValueError`` otherwise). Works on the last
        ``TAIL_WINDOW`` closes, so the cost does not grow with the number of bars.
        """
        c = _as_closes(closes)
        if len(c) != len(self):
            raise ValueError(f"refresh_last needs {len(self)} closes, got {len(c)}")
        if not len(c):
            return
        rows = Indicators._rows(c[-TAIL_WINDOW:], self.ma_periods)
        assert self._buffers is not None
        for r, values in enumerate(rows):
            self._buffers[r, self._n - 1] = values[-1]
