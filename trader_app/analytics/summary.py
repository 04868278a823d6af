"""One metrics dictionary for a run: what ``trader-app backtest --json`` prints under ``metrics``, what the
Performance panel shows and what ``GET /api/v1/dashboard/performance`` returns.

Keys (exactly, in this order): see :data:`METRIC_KEYS`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import numpy as np

from .drawdown import max_drawdown, max_drawdown_duration_days
from .pnl import daily_returns
from .returns import DAY_MS, ArrayLike, _arr, cagr, calmar, sharpe, sortino, volatility_ann
from .trades import avg_trade_pct, exposure_pct, expectancy_pct, profit_factor, win_rate_pct

METRIC_KEYS: tuple[str, ...] = (
    "start",
    "end",
    "bars",
    "total_return_pct",
    "buy_hold_return_pct",
    "cagr_pct",
    "volatility_ann_pct",
    "sharpe",
    "sortino",
    "calmar",
    "max_drawdown_pct",
    "max_drawdown_duration_days",
    "trades",
    "win_rate_pct",
    "profit_factor",
    "expectancy_pct",
    "avg_trade_pct",
    "exposure_pct",
    "final_equity",
    "commissions",
)


def iso_utc(ts_ms: int) -> str:
    """Epoch ms -> ``2024-01-02T03:04:05Z`` (UTC, second precision; milliseconds kept when non-zero)."""
    dt = datetime.fromtimestamp(ts_ms / 1000, tz=timezone.utc)
    if ts_ms % 1000:
        return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")


def performance_metrics(
    times_ms: ArrayLike,
    equity: ArrayLike,
    *,
    periods: int,
    initial_equity: float | None = None,
    trade_pnl: ArrayLike = (),
    trade_returns: ArrayLike = (),
    closes: ArrayLike | None = None,
    in_market: ArrayLike | None = None,
    final_equity: Decimal | None = None,
    commissions: Decimal = Decimal(0),
    risk_free_rate: float = 0.0,
    wiped_out_index: int | None = None,
) -> dict[str, Any]:
    """All metrics of :data:`METRIC_KEYS` for an equity curve (one point per bar) and a trade list.

    - ``times_ms``: epoch ms per point; ``equity``: equity per point (quote currency, float);
      ``initial_equity``: the capital the run started with (default: the first point).
    - Returns-based metrics (volatility, Sharpe, Sortino) use daily returns of the curve
      (:func:`~trader_app.analytics.pnl.daily_returns`) annualised with ``periods`` (252 stocks / 365 crypto).
    - CAGR over calendar days between the first and last point; max drawdown on every point.
    - ``closes`` (price per point) gives ``buy_hold_return_pct = (close_last / close_first - 1) x 100``;
      ``in_market`` (bool per point) gives ``exposure_pct``.
    - ``final_equity`` and ``commissions`` are Decimal (quote currency); ``final_equity`` defaults to the
      last point. Undefined numbers are ``nan``/``inf`` here; :func:`metrics_to_json` makes them ``null``.
    - ``wiped_out_index``: the point where the account was liquidated (equity zero from there on). Volatility,
      Sharpe and Sortino then use the returns up to and including the wipe-out (the flat zeros after it are
      no returns); CAGR is -100 % and the drawdown exactly -100 %.

    Raises ``ValueError`` when the arrays differ in length.
    """
    t = np.asarray(times_ms, dtype=np.int64)
    e = _arr(equity)
    if t.shape != e.shape:
        raise ValueError(f"times ({t.shape}) and equity ({e.shape}) differ in length")
    n = int(e.size)
    start_eq = float(initial_equity) if initial_equity is not None else (float(e[0]) if n else math.nan)
    end_eq = float(e[-1]) if n else math.nan
    days = float(t[-1] - t[0]) / DAY_MS if n else 0.0
    if n and wiped_out_index is not None:
        w = int(wiped_out_index) + 1
        r = daily_returns(e[:w], t[:w])
    else:
        r = daily_returns(e, t) if n else np.empty(0)
    growth = cagr(start_eq, end_eq, days)
    mdd = max_drawdown(e) if n else math.nan
    pnl = _arr(trade_pnl)
    rets = _arr(trade_returns)
    buy_hold = math.nan
    if closes is not None:
        c = _arr(closes)
        if c.size and c[0] != 0:
            buy_hold = float((c[-1] / c[0] - 1.0) * 100.0)
    if final_equity is None:
        final_equity = Decimal(repr(end_eq)) if n else Decimal(0)
    return {
        "start": iso_utc(int(t[0])) if n else None,
        "end": iso_utc(int(t[-1])) if n else None,
        "bars": n,
        "total_return_pct": (end_eq / start_eq - 1.0) * 100.0 if n and start_eq else math.nan,
        "buy_hold_return_pct": buy_hold,
        "cagr_pct": growth * 100.0,
        "volatility_ann_pct": volatility_ann(r, periods) * 100.0,
        "sharpe": sharpe(r, periods, risk_free_rate),
        "sortino": sortino(r, periods, risk_free_rate),
        "calmar": calmar(growth, mdd),
        "max_drawdown_pct": mdd * 100.0,
        "max_drawdown_duration_days": max_drawdown_duration_days(e, t) if n else math.nan,
        "trades": int(pnl.size),
        "win_rate_pct": win_rate_pct(pnl),
        "profit_factor": profit_factor(pnl) if pnl.size else math.nan,
        "expectancy_pct": expectancy_pct(rets),
        "avg_trade_pct": avg_trade_pct(rets),
        "exposure_pct": exposure_pct(in_market) if in_market is not None else math.nan,
        "final_equity": final_equity,
        "commissions": commissions,
    }


def json_value(value: Any) -> Any:
    """A metric value as JSON: Decimal -> plain decimal string, non-finite float -> ``None``,
    numpy scalars -> Python numbers; everything else unchanged."""
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text
    if isinstance(value, (np.floating, float)):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def metrics_to_json(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The metrics dict with :func:`json_value` applied to every value (key order kept)."""
    return {k: json_value(v) for k, v in metrics.items()}
