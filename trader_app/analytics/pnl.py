"""Daily equity, daily returns, daily and cumulative PnL from an equity curve with timestamps."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .returns import ArrayLike, _arr


def equity_series(equity: ArrayLike, times_ms: ArrayLike) -> pd.Series:
    """The curve as a ``pandas.Series`` of floats on a UTC ``DatetimeIndex`` (from epoch-ms times).

    Raises ``ValueError`` if the lengths differ.
    """
    e = _arr(equity)
    t = np.asarray(times_ms, dtype=np.int64)
    if t.shape != e.shape:
        raise ValueError(f"times ({t.shape}) and equity ({e.shape}) differ in length")
    return pd.Series(e, index=pd.to_datetime(t, unit="ms", utc=True), name="equity")


def daily_equity(equity: ArrayLike, times_ms: ArrayLike) -> pd.Series:
    """Equity at the end of each UTC calendar day that has points (last point of the day).

    Days without any point (weekends for stocks) are left out, so daily bars of a stock give one value per
    trading day, matching P = 252.
    """
    s = equity_series(equity, times_ms)
    if s.empty:
        return s
    return s.resample("D").last().dropna()


def daily_returns(equity: ArrayLike, times_ms: ArrayLike) -> np.ndarray:
    """Simple returns between consecutive daily equities (fractions), length ``days - 1``.

    Source: backtesting.py ``compute_stats`` (``resample('D').last().dropna().pct_change()``).
    """
    d = daily_equity(equity, times_ms).to_numpy()
    if d.size < 2:
        return np.empty(0, dtype=np.float64)
    prev = d[:-1]
    return np.where(prev != 0, d[1:] / np.where(prev != 0, prev, 1.0) - 1.0, 0.0)


def daily_pnl(equity: ArrayLike, times_ms: ArrayLike, initial_equity: float | None = None) -> pd.Series:
    """Profit or loss per UTC day in currency: ``E_day - E_previous_day``.

    The first day is measured from ``initial_equity`` (default: the curve's first point).
    Index: UTC midnight of each day with points.
    """
    d = daily_equity(equity, times_ms)
    if d.empty:
        return d.rename("pnl")
    base = float(initial_equity) if initial_equity is not None else float(_arr(equity)[0])
    prev = d.shift(1)
    prev.iloc[0] = base
    return (d - prev).rename("pnl")


def cumulative_pnl(equity: ArrayLike, times_ms: ArrayLike, initial_equity: float | None = None) -> pd.Series:
    """Running sum of :func:`daily_pnl`: ``E_day - initial_equity`` at the end of each day."""
    return daily_pnl(equity, times_ms, initial_equity).cumsum().rename("cumulative_pnl")
