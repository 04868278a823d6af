"""Return-based performance metrics over an equity curve or a returns series.

Pure functions over numpy arrays (floats: analytics arrays are the one place besides charts and indicators
where money is a float). Modelled on freqtrade's ``freqtrade/data/metrics.py``: small functions, each
handles degenerate input (empty, one point, zero variance, no losses) instead of raising.

Conventions
- ``r`` is a 1-D array of simple per-period returns as fractions (0.01 = 1 %), not percent.
- ``P`` (``periods_per_year``) annualises: 252 for daily stock bars, 365 for crypto (trades every day);
  see :func:`periods_per_year`.
- "undefined" results (no data, zero variance with zero mean) are ``nan``; "no losses at all" with a
  positive numerator is ``+inf``. JSON writers turn both into ``null``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

DAY_MS = 86_400_000
STOCK_PERIODS = 252
CRYPTO_PERIODS = 365

ArrayLike = Sequence[float] | np.ndarray


def _arr(values: ArrayLike) -> np.ndarray:
    a = np.asarray(values, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"expected a 1-D series, got shape {a.shape}")
    return a


def periods_per_year(is_crypto: bool) -> int:
    """P for daily returns: 365 for crypto (markets open every day), 252 for stocks (trading days a year)."""
    return CRYPTO_PERIODS if is_crypto else STOCK_PERIODS


def simple_returns(equity: ArrayLike) -> np.ndarray:
    """Per-period simple returns ``r_t = e_t / e_(t-1) - 1`` (fractions), length ``len(equity) - 1``.

    Empty or one-point equity gives an empty array. A period that starts at equity 0 has return 0 (nothing
    left to lose or gain) rather than inf/nan.
    """
    e = _arr(equity)
    if e.size < 2:
        return np.empty(0, dtype=np.float64)
    prev = e[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(prev != 0, e[1:] / np.where(prev != 0, prev, 1.0) - 1.0, 0.0)
    return r


def total_return_pct(equity: ArrayLike) -> float:
    """Total return in percent: ``(e_last / e_first - 1) x 100``. ``nan`` for empty input or e_first == 0."""
    e = _arr(equity)
    if e.size == 0 or e[0] == 0:
        return math.nan
    return float((e[-1] / e[0] - 1.0) * 100.0)


def cagr(start_equity: float, end_equity: float, days: float) -> float:
    """Compound annual growth rate as a fraction: ``(end / start) ** (365 / days) - 1``.

    Source: freqtrade ``calculate_cagr`` (calendar days, 365-day year). ``nan`` when ``days <= 0`` or
    ``start <= 0``; ``-1.0`` when the account is wiped out (end <= 0); ``+inf`` when compounding a gain
    over a very short span overflows a float (e.g. +1 % over 10 seconds).
    """
    if days <= 0 or start_equity <= 0 or not math.isfinite(start_equity) or not math.isfinite(end_equity):
        return math.nan
    if end_equity <= 0:
        return -1.0
    try:
        return float((end_equity / start_equity) ** (365.0 / days) - 1.0)
    except OverflowError:
        return math.inf


def volatility_ann(r: ArrayLike, periods: int) -> float:
    """Annualised volatility as a fraction: ``std(r, ddof=1) x sqrt(P)``. ``nan`` with fewer than 2 returns."""
    a = _arr(r)
    if a.size < 2:
        return math.nan
    return float(np.std(a, ddof=1) * math.sqrt(periods))


def sharpe(r: ArrayLike, periods: int, risk_free_rate: float = 0.0) -> float:
    """Annualised Sharpe ratio: ``mean(r - rf/P) / std(r, ddof=1) x sqrt(P)``.

    ``risk_free_rate`` is annual, as a fraction. Source: W. F. Sharpe, "The Sharpe Ratio" (1994), ex-post
    form with sample standard deviation (ddof=1), annualised by sqrt(P) as freqtrade and backtesting.py do.
    Degenerate: fewer than 2 returns -> ``nan``; zero variance -> ``nan`` if the excess mean is 0, else
    ``+/-inf``.
    """
    a = _arr(r)
    if a.size < 2:
        return math.nan
    excess = a - risk_free_rate / periods
    mean = float(np.mean(excess))
    sd = float(np.std(a, ddof=1))
    if sd == 0.0 or sd < 1e-15 * max(1.0, abs(mean)):
        return math.nan if mean == 0 else math.copysign(math.inf, mean)
    return mean / sd * math.sqrt(periods)


def downside_deviation(r: ArrayLike, risk_free_rate: float = 0.0, periods: int = 1) -> float:
    """Downside deviation (per period): ``sqrt(mean(min(r - rf/P, 0) ** 2))`` over all periods.

    Source: F. Sortino & L. Price (1994), target return = rf (0 by default). ``nan`` for empty input.
    """
    a = _arr(r)
    if a.size == 0:
        return math.nan
    d = np.minimum(a - risk_free_rate / periods, 0.0)
    return float(math.sqrt(float(np.mean(d * d))))


def sortino(r: ArrayLike, periods: int, risk_free_rate: float = 0.0) -> float:
    """Annualised Sortino ratio: ``mean(r - rf/P) / sqrt(mean(min(r - rf/P, 0) ** 2)) x sqrt(P)``.

    Degenerate: fewer than 2 returns -> ``nan``; no period below the target -> ``+inf`` if the mean excess
    return is positive, ``nan`` if it is 0.
    """
    a = _arr(r)
    if a.size < 2:
        return math.nan
    mean = float(np.mean(a - risk_free_rate / periods))
    dd = downside_deviation(a, risk_free_rate, periods)
    if dd == 0.0:
        return math.nan if mean <= 0 else math.inf
    return mean / dd * math.sqrt(periods)


def calmar(cagr_fraction: float, max_drawdown_fraction: float) -> float:
    """Calmar ratio: ``CAGR / |max drawdown|`` (both fractions). Source: T. W. Young (1991).

    No drawdown -> ``+inf`` for a positive CAGR, ``nan`` otherwise; ``nan`` when either input is ``nan``.
    """
    if math.isnan(cagr_fraction) or math.isnan(max_drawdown_fraction):
        return math.nan
    if max_drawdown_fraction == 0:
        return math.inf if cagr_fraction > 0 else math.nan
    return cagr_fraction / abs(max_drawdown_fraction)
