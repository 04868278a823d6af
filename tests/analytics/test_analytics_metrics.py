"""Every metric on tiny hand-computed cases, plus the degenerate inputs."""

import math
from decimal import Decimal

import numpy as np
import pytest

from trader_app import analytics as an

DAY = 86_400_000
# equity 100 -> 110 -> 99 -> 108.9: returns +10 %, -10 %, +10 %
EQ = [100.0, 110.0, 99.0, 108.9]
T = [0, DAY, 2 * DAY, 3 * DAY]


def test_simple_and_total_return():
    assert an.simple_returns(EQ) == pytest.approx([0.1, -0.1, 0.1], rel=1e-12)
    assert an.total_return_pct(EQ) == pytest.approx(8.9, rel=1e-12)
    assert an.simple_returns([]).size == 0
    assert an.simple_returns([5.0]).size == 0
    assert math.isnan(an.total_return_pct([]))
    # a period starting at 0 equity counts as 0, not inf
    assert an.simple_returns([0.0, 0.0, 10.0]).tolist() == [0.0, 0.0]


def test_volatility_sharpe_sortino_by_hand():
    r = [0.1, -0.1, 0.1]
    # mean = 1/30, std(ddof=1) = 0.2/sqrt(3)
    assert an.volatility_ann(r, 252) == pytest.approx(0.2 / math.sqrt(3) * math.sqrt(252), rel=1e-12)
    # Sharpe = (1/30) / (0.2/sqrt 3) * sqrt(252) = sqrt(3)/6 * sqrt(252) = sqrt(21)
    assert an.sharpe(r, 252) == pytest.approx(math.sqrt(21), rel=1e-12)
    # downside deviation = sqrt((0 + 0.01 + 0) / 3) = 0.1/sqrt(3); Sortino = sqrt(3)/3 * sqrt(252) = sqrt(84)
    assert an.downside_deviation(r) == pytest.approx(0.1 / math.sqrt(3), rel=1e-12)
    assert an.sortino(r, 252) == pytest.approx(math.sqrt(84), rel=1e-12)
    # crypto: P = 365
    assert an.sharpe(r, 365) == pytest.approx(math.sqrt(3) / 6 * math.sqrt(365), rel=1e-12)
    assert an.periods_per_year(True) == 365 and an.periods_per_year(False) == 252


def test_sharpe_with_risk_free_rate():
    r = [0.01, 0.03]  # mean 0.02, std(ddof=1) = sqrt(0.0002)
    rf = 0.0252  # 2.52 % a year -> 0.0001 per day at P=252
    expected = (0.02 - 0.0001) / math.sqrt(0.0002) * math.sqrt(252)
    assert an.sharpe(r, 252, rf) == pytest.approx(expected, rel=1e-12)
    # Sortino with rf: excess = [0.0099, 0.0299]: no downside -> +inf
    assert an.sortino(r, 252, rf) == math.inf


def test_return_metrics_degenerate():
    assert math.isnan(an.sharpe([], 252))
    assert math.isnan(an.sharpe([0.01], 252))
    assert math.isnan(an.volatility_ann([0.01], 252))
    assert an.sharpe([0.01, 0.01, 0.01], 252) == math.inf  # zero variance, positive mean
    assert math.isnan(an.sharpe([0.0, 0.0], 252))
    assert an.sortino([0.01, 0.02], 252) == math.inf  # no losing period
    assert math.isnan(an.sortino([0.0, 0.0], 252))
    assert math.isnan(an.downside_deviation([]))


def test_cagr_and_calmar():
    assert an.cagr(100, 108.9, 365) == pytest.approx(0.089, rel=1e-12)
    assert an.cagr(100, 121, 730) == pytest.approx(0.1, rel=1e-12)
    assert an.cagr(100, 0, 365) == -1.0
    assert math.isnan(an.cagr(100, 110, 0))
    assert math.isnan(an.cagr(0, 110, 10))
    # +1 % in 10 seconds compounds past a float's range (seen in the frozen smoke test's Performance panel)
    assert an.cagr(100, 101, 10 / 86_400) == math.inf
    assert an.cagr(100, 99, 10 / 86_400) == -1.0  # underflows to a total loss, no error
    assert an.calmar(an.cagr(100, 101, 10 / 86_400), -0.01) == math.inf
    assert an.calmar(0.1, -0.25) == pytest.approx(0.4, rel=1e-12)
    assert an.calmar(0.1, 0.0) == math.inf
    assert math.isnan(an.calmar(-0.1, 0.0))
    assert math.isnan(an.calmar(math.nan, -0.1))


def test_drawdown():
    assert an.drawdown_series(EQ) == pytest.approx([0.0, 0.0, -0.1, -0.01], rel=1e-12, abs=1e-15)
    assert an.max_drawdown(EQ) == pytest.approx(-0.1, rel=1e-12)
    # never recovered: from the peak (day 1) to the last point (day 3)
    assert an.max_drawdown_duration_days(EQ, T) == 2.0
    assert an.max_drawdown([1, 2, 3]) == 0.0
    assert an.max_drawdown_duration_days([1, 2, 3], [0, DAY, 2 * DAY]) == 0.0
    assert math.isnan(an.max_drawdown([]))
    assert math.isnan(an.max_drawdown_duration_days([], []))
    assert an.max_drawdown([7.0]) == 0.0


def test_drawdown_periods_recovery_and_longest():
    # peak 100 at t0, under until t3 (100 again) -> 3 days; peak 120 at t4, under to the end (t6) -> 2 days
    eq = [100, 90, 80, 100, 120, 60, 110]
    t = [i * DAY for i in range(7)]
    periods = an.drawdown_periods(eq, t)
    assert [(p.peak_index, p.trough_index, p.end_index, p.recovered) for p in periods] == [
        (0, 2, 3, True),
        (4, 5, 6, False),
    ]
    assert periods[0].depth == pytest.approx(-0.2) and periods[1].depth == pytest.approx(-0.5)
    assert [p.duration_days for p in periods] == [3.0, 2.0]
    assert an.max_drawdown_duration_days(eq, t) == 3.0
    assert an.max_drawdown(eq) == pytest.approx(-0.5)
    with pytest.raises(ValueError):
        an.drawdown_periods([1, 2], [0])


def test_trade_metrics_by_hand():
    pnl = [10.0, -5.0, 20.0, 0.0, -15.0]
    assert an.win_rate_pct(pnl) == 40.0
    assert an.profit_factor(pnl) == 1.5  # 30 / 20
    assert an.expectancy(pnl) == pytest.approx(2.0)  # 0.4 x 15 - 0.4 x 10
    assert an.avg_trade(pnl) == 2.0
    assert an.expectancy_ratio(pnl) == pytest.approx(0.0)  # (1 + 15/10) x 0.4 - 1
    rets = [0.1, -0.05, 0.2]
    assert an.expectancy_pct(rets) == pytest.approx(25 / 3, rel=1e-12)
    assert an.avg_trade_pct(rets) == pytest.approx((1.254 ** (1 / 3) - 1) * 100, rel=1e-12)
    assert an.exposure_pct([True, False, True, True]) == 75.0


def test_trade_metrics_degenerate():
    assert math.isnan(an.win_rate_pct([]))
    assert math.isnan(an.profit_factor([]))
    assert an.profit_factor([5.0, 1.0]) == math.inf  # no losing trade
    assert an.profit_factor([-5.0]) == 0.0
    assert math.isnan(an.profit_factor([0.0]))
    assert math.isnan(an.expectancy([]))
    assert an.expectancy_ratio([1.0]) == math.inf
    assert math.isnan(an.expectancy_pct([]))
    assert math.isnan(an.avg_trade_pct([]))
    assert an.avg_trade_pct([0.5, -1.0]) == -100.0
    assert math.isnan(an.exposure_pct([]))


def test_daily_and_cumulative_pnl_intraday():
    # four 12-hour points over two days plus a third day; first day measured from initial equity 1000
    h12 = DAY // 2
    eq = [1000.0, 1010.0, 1005.0, 990.0, 1030.0]
    t = [0, h12, DAY, DAY + h12, 2 * DAY]
    daily = an.daily_pnl(eq, t, initial_equity=1000.0)
    assert daily.tolist() == [10.0, -20.0, 40.0]
    assert [str(d.date()) for d in daily.index] == ["1970-01-01", "1970-01-02", "1970-01-03"]
    assert an.cumulative_pnl(eq, t, 1000.0).tolist() == [10.0, -10.0, 30.0]
    assert an.daily_equity(eq, t).tolist() == [1010.0, 990.0, 1030.0]
    assert an.daily_returns(eq, t) == pytest.approx([990 / 1010 - 1, 1030 / 990 - 1], rel=1e-12)
    # days without points are skipped (stock weekends)
    assert an.daily_equity([1.0, 2.0], [0, 3 * DAY]).tolist() == [1.0, 2.0]
    assert an.daily_pnl([], []).empty


def test_performance_metrics_keys_and_values():
    m = an.performance_metrics(
        T,
        EQ,
        periods=252,
        initial_equity=100.0,
        trade_pnl=[10.0, -1.1],
        trade_returns=[0.1, -0.01],
        closes=[50.0, 55.0, 60.0, 40.0],
        in_market=[False, True, True, False],
        final_equity=Decimal("108.9"),
        commissions=Decimal("0.5"),
    )
    assert tuple(m) == an.METRIC_KEYS
    assert m["start"] == "1970-01-01T00:00:00Z" and m["end"] == "1970-01-04T00:00:00Z"
    assert m["bars"] == 4
    assert m["total_return_pct"] == pytest.approx(8.9)
    assert m["buy_hold_return_pct"] == pytest.approx(-20.0)
    assert m["cagr_pct"] == pytest.approx((1.089 ** (365 / 3) - 1) * 100)
    assert m["sharpe"] == pytest.approx(math.sqrt(21))
    assert m["sortino"] == pytest.approx(math.sqrt(84))
    assert m["max_drawdown_pct"] == pytest.approx(-10.0)
    assert m["max_drawdown_duration_days"] == 2.0
    assert m["calmar"] == pytest.approx((1.089 ** (365 / 3) - 1) / 0.1)
    assert m["trades"] == 2 and m["win_rate_pct"] == 50.0
    assert m["profit_factor"] == pytest.approx(10 / 1.1)
    assert m["expectancy_pct"] == pytest.approx(4.5)
    assert m["exposure_pct"] == 50.0
    j = an.metrics_to_json(m)
    assert j["final_equity"] == "108.9" and j["commissions"] == "0.5"


def test_performance_metrics_empty_and_json_nulls():
    m = an.performance_metrics([], [], periods=365)
    assert tuple(m) == an.METRIC_KEYS
    j = an.metrics_to_json(m)
    assert j["bars"] == 0 and j["trades"] == 0 and j["start"] is None
    assert j["sharpe"] is None and j["profit_factor"] is None and j["final_equity"] == "0"
    assert an.json_value(np.float64(math.inf)) is None and an.json_value(np.int64(3)) == 3
