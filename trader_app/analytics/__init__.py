"""Performance analytics: pure functions over an equity curve, a returns series and a trade list.

Floats in, floats out (analytics arrays); money totals that leave the package (final equity,
commissions) stay Decimal. Every function documents its formula and source.
"""

from .drawdown import DrawdownPeriod, drawdown_periods, drawdown_series, max_drawdown, max_drawdown_duration_days
from .period import PERIOD_METRIC_KEYS, period_metrics
from .pnl import cumulative_pnl, daily_equity, daily_pnl, daily_returns, equity_series
from .returns import (
    CRYPTO_PERIODS,
    STOCK_PERIODS,
    cagr,
    calmar,
    downside_deviation,
    periods_per_year,
    sharpe,
    simple_returns,
    sortino,
    total_return_pct,
    volatility_ann,
)
from .tracker import PerformanceTracker, periods_for_currency
from .summary import METRIC_KEYS, iso_utc, json_value, metrics_to_json, performance_metrics
from .trades import (
    avg_trade,
    avg_trade_pct,
    expectancy,
    expectancy_pct,
    expectancy_ratio,
    exposure_pct,
    profit_factor,
    win_rate_pct,
)

__all__ = [name for name in dir() if not name.startswith("_")]
