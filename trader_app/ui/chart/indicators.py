"""Indicator arrays of the chart, computed with TA-Lib on float64 closes.

Formulas are TA-Lib's own (``talib.SMA``, ``talib.RSI`` with Wilder smoothing, ``talib.MACD`` with EMA(12)
minus EMA(26) and an EMA(9) signal). Every array has the length of the closes, with TA-Lib's leading NaNs
(RSI(14): 14, MACD(12,26,9): 33, SMA(n): n-1; shared/STACK.md trap 9).

The chart recomputes everything when bars are loaded or a new bar opens, and on a tick of the live bar only
refreshes the LAST value (``Indicators.refresh_last``) from a bounded tail window of closes, so a tick costs
the same whether 300 or 50,000 bars are loaded.
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
    ``macd_hist`` are MACD(12,26,9) in price units.
    """

    ma_periods: list[int]
    ma: dict[int, np.ndarray] = field(default_factory=dict)
    rsi: np.ndarray = field(default_factory=lambda: np.empty(0))
    macd: np.ndarray = field(default_factory=lambda: np.empty(0))
    macd_signal: np.ndarray = field(default_factory=lambda: np.empty(0))
    macd_hist: np.ndarray = field(default_factory=lambda: np.empty(0))

    @classmethod
    def compute(cls, closes: np.ndarray, ma_periods: list[int]) -> "Indicators":
        """All indicators over ``closes`` (1-D, any float; converted to float64)."""
        c = _as_closes(closes)
        ind = cls(ma_periods=list(ma_periods))
        ind.ma = {p: talib.SMA(c, timeperiod=p) for p in ind.ma_periods}
        ind.rsi = talib.RSI(c, timeperiod=RSI_PERIOD)
        ind.macd, ind.macd_signal, ind.macd_hist = talib.MACD(
            c, fastperiod=MACD_FAST, slowperiod=MACD_SLOW, signalperiod=MACD_SIGNAL
        )
        return ind

    def __len__(self) -> int:
        return len(self.rsi)

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
        tail = Indicators.compute(c[-TAIL_WINDOW:], self.ma_periods)
        for p in self.ma_periods:
            self.ma[p][-1] = tail.ma[p][-1]
        self.rsi[-1] = tail.rsi[-1]
        self.macd[-1] = tail.macd[-1]
        self.macd_signal[-1] = tail.macd_signal[-1]
        self.macd_hist[-1] = tail.macd_hist[-1]
