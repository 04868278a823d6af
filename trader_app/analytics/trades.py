"""Trade-list metrics: win rate, profit factor, expectancy, average trade, exposure.

A trade is a round trip (flat -> position -> flat). Inputs are 1-D arrays: ``pnl`` per trade in quote
currency after commission, ``returns`` per trade as fractions of the entry notional. Undefined results
(no trades) are ``nan``; "no losing trades" gives ``+inf`` where the formula divides by the losses.
"""

from __future__ import annotations

import math

import numpy as np

from .returns import ArrayLike, _arr


def win_rate_pct(pnl: ArrayLike) -> float:
    """Percent of trades with ``pnl > 0`` (break-even trades count as not winning). ``nan`` with no trades."""
    a = _arr(pnl)
    if a.size == 0:
        return math.nan
    return float(np.count_nonzero(a > 0) / a.size * 100.0)


def profit_factor(pnl: ArrayLike) -> float:
    """Gross profit / gross loss in currency: ``sum(pnl > 0) / |sum(pnl < 0)|``.

    Source: freqtrade ``calculate_expectancy``/backtesting reports. ``nan`` with no trades or nothing won
    nor lost; ``+inf`` when there is profit but no losing trade; 0.0 when nothing was won.
    """
    a = _arr(pnl)
    gross_profit = float(a[a > 0].sum())
    gross_loss = float(-a[a < 0].sum())
    if gross_loss == 0:
        return math.inf if gross_profit > 0 else math.nan
    return gross_profit / gross_loss


def expectancy(pnl: ArrayLike) -> float:
    """Expected profit per trade in currency: ``W x avg_win - L x avg_loss`` where W, L are the win and loss
    rates. Source: freqtrade ``calculate_expectancy``. Equal to ``mean(pnl)``. ``nan`` with no trades."""
    a = _arr(pnl)
    if a.size == 0:
        return math.nan
    wins, losses = a[a > 0], a[a < 0]
    w, l_ = wins.size / a.size, losses.size / a.size
    avg_win = float(wins.mean()) if wins.size else 0.0
    avg_loss = float(-losses.mean()) if losses.size else 0.0
    return w * avg_win - l_ * avg_loss


def expectancy_ratio(pnl: ArrayLike) -> float:
    """Risk-reward-weighted expectancy: ``(1 + avg_win / avg_loss) x W - 1``. Source: freqtrade
    ``calculate_expectancy``. ``nan`` with no trades; ``+inf`` with wins but no losing trade."""
    a = _arr(pnl)
    if a.size == 0:
        return math.nan
    wins, losses = a[a > 0], a[a < 0]
    if losses.size == 0:
        return math.inf if wins.size else math.nan
    avg_win = float(wins.mean()) if wins.size else 0.0
    avg_loss = float(-losses.mean())
    return (1.0 + avg_win / avg_loss) * (wins.size / a.size) - 1.0


def expectancy_pct(returns: ArrayLike) -> float:
    """Arithmetic mean trade return in percent: ``mean(r) x 100``. Source: backtesting.py
    ``Expectancy [%]``. ``nan`` with no trades."""
    a = _arr(returns)
    if a.size == 0:
        return math.nan
    return float(a.mean() * 100.0)


def avg_trade_pct(returns: ArrayLike) -> float:
    """Geometric mean trade return in percent: ``((prod(1 + r)) ** (1/n) - 1) x 100``.

    Source: backtesting.py ``Avg. Trade [%]``. A trade that lost everything (``1 + r <= 0``) makes it
    -100.0; ``nan`` with no trades.
    """
    a = _arr(returns)
    if a.size == 0:
        return math.nan
    g = 1.0 + a
    if np.any(g <= 0):
        return -100.0
    return float((math.exp(float(np.log(g).sum()) / a.size) - 1.0) * 100.0)


def avg_trade(pnl: ArrayLike) -> float:
    """Average profit per trade in currency: ``sum(pnl) / n``. ``nan`` with no trades."""
    a = _arr(pnl)
    return float(a.mean()) if a.size else math.nan


def exposure_pct(in_market: ArrayLike) -> float:
    """Percent of bars with an open position: ``count(in_market) / bars x 100``.

    ``in_market`` is a boolean (or 0/1) array, one entry per bar. ``nan`` for no bars.
    """
    a = np.asarray(in_market, dtype=bool)
    if a.size == 0:
        return math.nan
    return float(np.count_nonzero(a) / a.size * 100.0)
