"""Drawdown of an equity curve: the series, its maximum and the longest time under water."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .returns import DAY_MS, ArrayLike, _arr


def drawdown_series(equity: ArrayLike) -> np.ndarray:
    """Drawdown per point as a fraction (<= 0): ``dd_t = e_t / max(e_0..e_t) - 1``.

    A running peak of 0 or less gives 0 for that point (no meaningful drawdown). Empty in, empty out.
    """
    e = _arr(equity)
    if e.size == 0:
        return e.copy()
    peak = np.maximum.accumulate(e)
    with np.errstate(divide="ignore", invalid="ignore"):
        dd = np.where(peak > 0, e / np.where(peak > 0, peak, 1.0) - 1.0, 0.0)
    return np.minimum(dd, 0.0)


def max_drawdown(equity: ArrayLike) -> float:
    """Maximum drawdown as a fraction (<= 0): ``min_t(e_t / max(e_0..e_t) - 1)``.

    Source: freqtrade ``calculate_max_drawdown`` (relative form). 0.0 for a curve that never falls,
    ``nan`` for an empty curve. Multiply by 100 for percent (``max_drawdown_pct``, negative).
    """
    dd = drawdown_series(equity)
    if dd.size == 0:
        return math.nan
    return float(dd.min())


@dataclass(frozen=True, slots=True)
class DrawdownPeriod:
    """One period under water: from the peak point ``peak_index`` to ``end_index`` (the first point back at
    or above the peak, or the last point if never recovered). Times epoch ms UTC; ``depth`` fraction <= 0."""

    peak_index: int
    trough_index: int
    end_index: int
    start_ms: int
    end_ms: int
    depth: float
    recovered: bool

    @property
    def duration_days(self) -> float:
        return (self.end_ms - self.start_ms) / DAY_MS


def drawdown_periods(equity: ArrayLike, times_ms: ArrayLike) -> list[DrawdownPeriod]:
    """Every period where equity is below its running peak, in time order.

    ``times_ms`` are the points' epoch-ms timestamps (same length as ``equity``); raises ``ValueError``
    otherwise. A period starts at the peak point (the last point at the running maximum before equity
    falls) and ends at the first point that regains the peak, or at the last point if it never does.
    """
    e = _arr(equity)
    t = np.asarray(times_ms, dtype=np.int64)
    if t.shape != e.shape:
        raise ValueError(f"times ({t.shape}) and equity ({e.shape}) differ in length")
    if e.size == 0:
        return []
    under = e < np.maximum.accumulate(e)
    if not under.any():
        return []
    flags = np.concatenate(([False], under, [False])).astype(np.int8)
    edges = np.diff(flags)
    starts = np.flatnonzero(edges == 1)  # first underwater index
    ends = np.flatnonzero(edges == -1)  # one past the last underwater index
    dd = drawdown_series(e)
    out: list[DrawdownPeriod] = []
    n = e.size
    for a, b in zip(starts.tolist(), ends.tolist()):
        peak = a - 1  # a >= 1: point 0 is always at its own peak
        recovered = b < n
        end = b if recovered else n - 1
        trough = a + int(np.argmin(dd[a:b]))
        out.append(
            DrawdownPeriod(peak, trough, end, int(t[peak]), int(t[end]), float(dd[trough]), recovered)
        )
    return out


def max_drawdown_duration_days(equity: ArrayLike, times_ms: ArrayLike) -> float:
    """Longest time under water, in days: ``max over periods (t_end - t_peak) / 86_400_000``.

    ``t_peak`` is the time of the peak before the fall, ``t_end`` the time equity first regains it (or the
    last point if it never does). 0.0 when equity never falls; ``nan`` for an empty curve.
    """
    if np.asarray(equity).size == 0:
        return math.nan
    periods = drawdown_periods(equity, times_ms)
    return max((p.duration_days for p in periods), default=0.0)
