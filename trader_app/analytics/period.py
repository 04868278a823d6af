"""The numbers of one period (a day or a week) of a live equity curve and its trades: what a daily or weekly
report shows per currency (``reports/`` gathers the inputs from the store and renders the page).

Keys (exactly, in this order): :data:`PERIOD_METRIC_KEYS`. Those also in
:data:`~trader_app.analytics.summary.METRIC_KEYS` (``trader-app backtest --json``) mean the same thing:
``start``, ``end``, ``total_return_pct``, ``volatility_ann_pct``, ``sharpe``, ``sortino``,
``max_drawdown_pct``, ``trades``, ``win_rate_pct``, ``profit_factor``, ``final_equity``, ``commissions``.

Definitions (quote currency, Decimal where money; percent where ``_pct``):

- ``equity_start``: the last equity point at or before the period's start; without one (an account created
  inside the period), the first point inside it less the cash moved in up to that point, i.e. the equity
  before the period's first deposit (0 for a new account); ``final_equity``: the last point before its end.
- ``net_deposits``: deposits minus withdrawals booked inside the period (the paper ledger).
- ``pnl = final_equity - equity_start - net_deposits``; ``total_return_pct = pnl / equity_start x 100``, or
  ``pnl / net_deposits x 100`` when the period started from nothing (``equity_start`` 0).
- ``realized_pnl``: PnL realized by the period's fills (average-price method, before commission);
  ``commissions``: their commission in the quote currency; ``unrealized_pnl_change = pnl - realized_pnl +
  commissions``: what the open positions' mark-to-market added or lost over the period.
- ``max_drawdown_pct``: the deepest fall from a running peak of the period's curve (starting at
  ``equity_start``), ``<= 0``.
- ``volatility_ann_pct``, ``sharpe``, ``sortino``: over **hourly** returns of the curve (the last equity of
  each UTC hour that has one, the start point first), annualised with ``24 x periods`` (``periods`` 365 for
  crypto quote currencies, 252 otherwise): a day has 24 returns where daily returns would give one.
- ``trades``, ``win_rate_pct``, ``profit_factor``, ``best_trade_pnl``, ``worst_trade_pnl``: round trips
  (flat to flat) that closed inside the period, PnL after their commissions.
- ``fills``: the period's fills; ``traded_notional``: the sum of their price x quantity.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from .drawdown import max_drawdown
from .returns import ArrayLike, _arr, sharpe, sortino, volatility_ann
from .summary import iso_utc
from .trades import profit_factor, win_rate_pct

PERIOD_METRIC_KEYS: tuple[str, ...] = (
    "start",
    "end",
    "equity_start",
    "final_equity",
    "net_deposits",
    "pnl",
    "total_return_pct",
    "realized_pnl",
    "unrealized_pnl_change",
    "commissions",
    "max_drawdown_pct",
    "volatility_ann_pct",
    "sharpe",
    "sortino",
    "trades",
    "win_rate_pct",
    "profit_factor",
    "best_trade_pnl",
    "worst_trade_pnl",
    "fills",
    "traded_notional",
)

HOURS_PER_DAY = 24
HOUR_MS = 3_600_000


def period_curve(times_ms: ArrayLike, equity: ArrayLike, start_ms: int, end_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """The curve of ``[start_ms, end_ms)``: the equity at the start (the last point at or before it, stamped
    ``start_ms``) followed by every point inside. Empty arrays when no point falls at or before ``end_ms - 1``.
    Raises ``ValueError`` when the arrays differ in length."""
    t = np.asarray(times_ms, dtype=np.int64)
    e = _arr(equity)
    if t.shape != e.shape:
        raise ValueError(f"times ({t.shape}) and equity ({e.shape}) differ in length")
    before = np.nonzero(t <= start_ms)[0]
    inside = (t > start_ms) & (t < end_ms)
    if before.size:
        k = int(before[-1])
        return (np.concatenate(([start_ms], t[inside])).astype(np.int64), np.concatenate(([e[k]], e[inside])))
    inside = (t >= start_ms) & (t < end_ms)
    return t[inside], e[inside]


def hourly_returns(times_ms: np.ndarray, equity: np.ndarray) -> np.ndarray:
    """Simple returns between the last equities of consecutive UTC hours that have a point (fractions)."""
    if equity.size < 2:
        return np.empty(0, dtype=np.float64)
    s = pd.Series(equity, index=pd.to_datetime(times_ms, unit="ms", utc=True))
    h = s.resample("1h").last().dropna().to_numpy()
    if h.size < 2:
        return np.empty(0, dtype=np.float64)
    prev = h[:-1]
    return np.where(prev != 0, h[1:] / np.where(prev != 0, prev, 1.0) - 1.0, 0.0)


def _money(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def period_metrics(
    times_ms: ArrayLike,
    equity: ArrayLike,
    *,
    start_ms: int,
    end_ms: int,
    periods: int,
    cash_moves: Sequence[tuple[int, Decimal]] = (),
    realized_pnl: Decimal = Decimal(0),
    commissions: Decimal = Decimal(0),
    trade_pnl: Sequence[Decimal] = (),
    fills: int = 0,
    traded_notional: Decimal = Decimal(0),
) -> dict[str, Any]:
    """All of :data:`PERIOD_METRIC_KEYS` for the period ``[start_ms, end_ms)`` (epoch ms UTC) of an equity
    curve (``times_ms`` int, ``equity`` float, any span: the period is cut out here), the period's deposits
    and withdrawals ``cash_moves`` (``(epoch ms, signed amount)``, deposits positive) and its trade figures
    (see the module docstring). Money keys are Decimal; without any equity point the equity keys are
    None and the ratios ``nan``. Raises ``ValueError`` when the arrays differ in length."""
    t, e = period_curve(times_ms, equity, start_ms, end_ms)
    pnl_list = [Decimal(p) for p in trade_pnl]
    pnl_arr = np.asarray([float(p) for p in pnl_list], dtype=np.float64)
    r = hourly_returns(t, e)
    hour_periods = periods * HOURS_PER_DAY
    net_deposits = sum((amount for ts, amount in cash_moves if start_ms <= ts < end_ms), Decimal(0))
    if e.size:
        start_eq, end_eq = _money(e[0]), _money(e[-1])
        if t[0] > start_ms:  # no point at or before the start: take the equity before the period's cash moves
            start_eq -= sum((amount for ts, amount in cash_moves if start_ms <= ts <= t[0]), Decimal(0))
            start_eq = start_eq if start_eq > 0 else Decimal(0)
        pnl: Decimal | None = end_eq - start_eq - net_deposits
        base = start_eq or net_deposits
        ret = float(pnl / base * 100) if base > 0 else math.nan
        mdd = max_drawdown(e) * 100.0
        unrealized: Decimal | None = pnl - realized_pnl + commissions
    else:
        start_eq = end_eq = pnl = unrealized = None
        ret = mdd = math.nan
    return {
        "start": iso_utc(start_ms),
        "end": iso_utc(end_ms),
        "equity_start": start_eq,
        "final_equity": end_eq,
        "net_deposits": net_deposits,
        "pnl": pnl,
        "total_return_pct": ret,
        "realized_pnl": realized_pnl,
        "unrealized_pnl_change": unrealized,
        "commissions": commissions,
        "max_drawdown_pct": mdd,
        "volatility_ann_pct": volatility_ann(r, hour_periods) * 100.0,
        "sharpe": sharpe(r, hour_periods),
        "sortino": sortino(r, hour_periods),
        "trades": len(pnl_list),
        "win_rate_pct": win_rate_pct(pnl_arr),
        "profit_factor": profit_factor(pnl_arr) if pnl_arr.size else math.nan,
        "best_trade_pnl": max(pnl_list) if pnl_list else None,
        "worst_trade_pnl": min(pnl_list) if pnl_list else None,
        "fills": int(fills),
        "traded_notional": traded_notional,
    }
