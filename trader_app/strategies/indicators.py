"""Indicator helpers over rolling windows, vectorised (numpy float64 in and out, TA-Lib underneath).

``sma``, ``ema``, ``rsi``, ``macd`` are ``trader_app.market.indicators``' (periods >= 2); this module adds
the rolling z-score and the crossing/threshold conditions.

Every output has the input's length with leading ``nan`` during the warm-up, and is causal: the value at
index ``i`` depends only on inputs ``0..i``. Window-based values (SMA, z-score, crosses of them) are the
same over a rolling window of recent bars as over the whole history; EMA-based ones (EMA, RSI, MACD)
depend on their seed and converge within a few hundred bars, so the live runner keeps a long window.

Conditions (:func:`condition`) are the four relations of the original KIS RSI/MACD trader:
``crosses_above``, ``crosses_below``, ``above``, ``below``; a comparison with ``nan`` is False.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import talib

from ..market import indicators as _market

CONDITIONS: tuple[str, ...] = ("crosses_above", "crosses_below", "above", "below")


def _f64(x: Sequence[float] | np.ndarray) -> np.ndarray:
    # TA-Lib wants contiguous float64 (float32 raises "input array type is not double").
    return np.ascontiguousarray(x, dtype=np.float64)


# SMA, EMA, RSI and MACD are the market package's (TA-Lib underneath, leading NaNs kept), so the chart,
# the watchlist and the strategies compute the same numbers.
sma = _market.sma
ema = _market.ema
rsi = _market.rsi
macd = _market.macd


def rolling_std(close: Sequence[float] | np.ndarray, window: int) -> np.ndarray:
    """Population standard deviation (ddof=0) over the last ``window`` values (TA-Lib STDDEV, nbdev=1)."""
    return talib.STDDEV(_f64(close), timeperiod=int(window), nbdev=1.0)


def rolling_zscore(close: Sequence[float] | np.ndarray, window: int = 20) -> np.ndarray:
    """Rolling z-score: ``z_i = (c_i - mean(c_(i-w+1..i))) / std(c_(i-w+1..i), ddof=0)``.

    nan during the warm-up (first ``window-1``) and where the window has zero variance.
    """
    c = _f64(close)
    mean = sma(c, window)
    sd = rolling_std(c, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (c - mean) / sd
    # TA-Lib can leave tiny non-zero variances on flat windows; treat |sd| < 1e-12 * |mean| as zero
    flat = ~(sd > 1e-12 * np.abs(mean))
    z[flat] = np.nan
    return z


def _ref(b: float | Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    if np.isscalar(b):
        return np.full(n, float(b))  # type: ignore[arg-type]
    return _f64(b)


def crosses_above(a: Sequence[float] | np.ndarray, b: float | Sequence[float] | np.ndarray) -> np.ndarray:
    """True at ``i`` when ``a[i-1] <= b[i-1]`` and ``a[i] > b[i]`` (TradingView ``ta.crossover``).
    ``b`` is a series or a constant level. Index 0 is always False."""
    x = _f64(a)
    y = _ref(b, x.size)
    out = np.zeros(x.size, dtype=bool)
    if x.size > 1:
        with np.errstate(invalid="ignore"):
            out[1:] = (x[:-1] <= y[:-1]) & (x[1:] > y[1:])
    return out


def crosses_below(a: Sequence[float] | np.ndarray, b: float | Sequence[float] | np.ndarray) -> np.ndarray:
    """True at ``i`` when ``a[i-1] >= b[i-1]`` and ``a[i] < b[i]`` (TradingView ``ta.crossunder``)."""
    x = _f64(a)
    y = _ref(b, x.size)
    out = np.zeros(x.size, dtype=bool)
    if x.size > 1:
        with np.errstate(invalid="ignore"):
            out[1:] = (x[:-1] >= y[:-1]) & (x[1:] < y[1:])
    return out


def above(a: Sequence[float] | np.ndarray, b: float | Sequence[float] | np.ndarray) -> np.ndarray:
    """True where ``a[i] > b[i]``."""
    x = _f64(a)
    with np.errstate(invalid="ignore"):
        return x > _ref(b, x.size)


def below(a: Sequence[float] | np.ndarray, b: float | Sequence[float] | np.ndarray) -> np.ndarray:
    """True where ``a[i] < b[i]``."""
    x = _f64(a)
    with np.errstate(invalid="ignore"):
        return x < _ref(b, x.size)


def condition(name: str, a: Sequence[float] | np.ndarray, b: float | Sequence[float] | np.ndarray) -> np.ndarray:
    """Evaluate one of :data:`CONDITIONS` (``"crosses_above"``, ``"crosses_below"``, ``"above"``,
    ``"below"``) of series ``a`` against series or level ``b``; ``"off"`` is True everywhere (the
    condition is not used). Raises ``ValueError`` for another name."""
    if name == "crosses_above":
        return crosses_above(a, b)
    if name == "crosses_below":
        return crosses_below(a, b)
    if name == "above":
        return above(a, b)
    if name == "below":
        return below(a, b)
    if name == "off":
        return np.ones(len(a), dtype=bool)
    raise ValueError(f"unknown condition {name!r}; one of {', '.join(CONDITIONS)} or off")
