"""Technical indicators over float64 numpy arrays, computed by TA-Lib (https://ta-lib.org, ``talib`` wheel).

TA-Lib accepts only float64 (``float32`` raises "input array type is not double"), so every input is
converted with ``np.ascontiguousarray(x, dtype=np.float64)`` first; lists, float32 and integer arrays work.
Outputs have the input's length with TA-Lib's leading NaNs kept (the warm-up period):
SMA(n) and EMA(n): n - 1; RSI(n): n; MACD(12, 26, 9): 33 for all three lines.
Definitions (TA-Lib's): SMA is the arithmetic mean of the last n values; EMA uses alpha = 2 / (n + 1),
seeded with the SMA of the first n values; RSI is Wilder's (1978) relative strength index with Wilder's
smoothing (alpha = 1 / n), 100 - 100 / (1 + avg gain / avg loss); MACD = EMA(fast) - EMA(slow),
signal = EMA(signal) of MACD, histogram = MACD - signal.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import talib

ArrayLike = np.ndarray | Sequence[float]


def _f64(values: ArrayLike) -> np.ndarray:
    arr = np.ascontiguousarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"expected a 1-D series, got shape {arr.shape}")
    return arr


def _period(n: int, name: str = "period", minimum: int = 2) -> int:
    if int(n) != n or n < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {n}")
    return int(n)


def sma(values: ArrayLike, period: int = 20) -> np.ndarray:
    """Simple moving average of ``values`` over ``period`` points (float64, first period-1 NaN).
    Raises ValueError for a period < 2 or a non 1-D input."""
    return talib.SMA(_f64(values), timeperiod=_period(period))


def ema(values: ArrayLike, period: int = 20) -> np.ndarray:
    """Exponential moving average (alpha = 2 / (period + 1), seeded with the first SMA), first period-1 NaN."""
    return talib.EMA(_f64(values), timeperiod=_period(period))


def rsi(close: ArrayLike, period: int = 14) -> np.ndarray:
    """Wilder's RSI in percent (0..100) of ``close`` over ``period``; the first ``period`` values are NaN."""
    return talib.RSI(_f64(close), timeperiod=_period(period))


def macd(
    close: ArrayLike, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MACD of ``close``: ``(macd, signal, histogram)`` arrays (price units), leading NaNs kept
    (slow + signal - 2 of them: 33 for 12/26/9). Raises ValueError unless 2 <= fast < slow and signal >= 1."""
    fast, slow = _period(fast, "fast"), _period(slow, "slow")
    signal = _period(signal, "signal", 1)
    if fast >= slow:
        raise ValueError(f"fast ({fast}) must be shorter than slow ({slow})")
    m, s, h = talib.MACD(_f64(close), fastperiod=fast, slowperiod=slow, signalperiod=signal)
    return m, s, h


def last_value(series: np.ndarray) -> float | None:
    """The last element as a float, or None when the series is empty or its last value is NaN."""
    if len(series) == 0:
        return None
    x = float(series[-1])
    return None if np.isnan(x) else x
