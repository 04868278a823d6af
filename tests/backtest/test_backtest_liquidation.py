"""A wiped-out account (issue 13): equity never goes below zero, the run stops trading, every metric is
defined on the curve that ends at zero, and the optimiser never ranks a wiped-out run first."""

from __future__ import annotations

import argparse
import io
import json
import math
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from trader_app.analytics import performance_metrics, sharpe
from trader_app.backtest import cli
from trader_app.backtest.data import load_csv
from trader_app.backtest.engine import BacktestConfig, run_backtest
from trader_app.backtest.parallel import RunSpec, optimize
from trader_app.strategies import SmaCross, Strategy

from bt_helpers import DAY, MONDAY_2024_01_01, Script, bars

BTCUSD = Path(__import__("backtesting").__file__).parent / "test" / "BTCUSD.csv"
CFG = BacktestConfig(cash=Decimal(10_000), commission=Decimal("0.001"))


def _short_then(rows):
    """Short 99 units at bar 0's close (100), then the given bars; orders keep coming every bar."""
    s = Script({0: lambda s: s.sell(99, at="close"), **{i: (lambda s: s.buy(1)) for i in range(2, 6)}})
    data = bars([(100, 100, 100, 100), (100, 150, 90, 140)] + rows)
    return s, run_backtest(s, data, CFG)


def test_a_short_is_liquidated_where_equity_reaches_zero_and_nothing_trades_after():
    s, res = _short_then([(140, 205, 130, 180), (180, 190, 170, 175), (175, 176, 100, 101)])
    # cash after the short: 10,000 + 9,900 - 9.9 commission; equity 19,890.1 - 99 p x 1.001 = 0 at p = 200.7094
    assert res.liquidation is not None
    assert res.liquidation.bar == 2
    assert res.liquidation.price == Decimal("200.70939162")  # 19890.1 / 99.099, rounded up to 1e-8
    assert res.liquidation.deficit == 0
    assert res.fills[-1].tag == "liquidation" and res.fills[-1].quantity == 99
    assert len(res.fills) == 2  # the buys the script asks for at bars 2..4 never happen
    assert s.seen_positions == [0.0, -99.0]  # no bar after the wipe-out reaches the strategy
    assert res.final_equity == 0 and res.cash == 0
    assert res.equity.tolist()[2:] == [0.0, 0.0, 0.0]
    assert (res.equity >= 0).all()
    m = res.metrics
    assert m["final_equity"] == 0
    assert m["total_return_pct"] == -100.0
    assert m["max_drawdown_pct"] == -100.0
    assert m["cagr_pct"] == -100.0
    assert m["calmar"] == -1.0
    assert res.trades[-1].exit_tag == "liquidation"
    assert res.trades[-1].return_pct == pytest.approx(Decimal("-101.01010101162"), abs=Decimal("1e-9"))


def test_a_gap_through_the_liquidation_price_fills_at_the_open_and_writes_off_the_deficit():
    _, res = _short_then([(250, 260, 240, 255), (255, 256, 250, 251)])
    liq = res.liquidation
    assert liq is not None and liq.bar == 2 and liq.price == 250
    # 19,890.1 cash - 24,750 buy-back - 24.75 commission = -4,884.65: written off, the account stays at zero
    assert liq.deficit == Decimal("4884.65")
    assert res.final_equity == 0
    assert res.equity.min() == 0.0
    assert res.metrics["max_drawdown_pct"] == -100.0
    assert "4884.65 lost beyond zero in a gap was written off" in liq.text()


def test_a_strategy_without_on_bar_open_is_liquidated_too():
    class CloseOnly(Strategy):
        name = "close_only"

        def on_bar(self, i: int) -> None:
            self.last = i
            if i == 0:
                self.sell(99, at="close")

    s = CloseOnly()
    res = run_backtest(s, bars([(100, 100, 100, 100), (250, 300, 250, 290), (290, 291, 289, 290)]), CFG)
    assert res.liquidation is not None and res.liquidation.bar == 1 and res.liquidation.price == 250
    assert s.last == 0
    assert res.equity.tolist() == [pytest.approx(9990.1), 0.0, 0.0]


def test_a_short_that_stays_above_zero_is_not_liquidated():
    _, res = _short_then([(140, 199, 130, 180), (180, 190, 170, 175)])
    assert res.liquidation is None
    assert res.final_equity > 0


def test_returns_based_metrics_end_at_the_wipe_out():
    t = MONDAY_2024_01_01 + np.arange(5) * DAY
    e = [100.0, 110.0, 0.0, 0.0, 0.0]
    m = performance_metrics(t, e, periods=365, initial_equity=100.0, wiped_out_index=2)
    assert m["sharpe"] == pytest.approx(sharpe([0.1, -1.0], 365))  # not diluted by the zeros after it
    assert m["sharpe"] < 0
    assert m["max_drawdown_pct"] == -100.0
    assert m["cagr_pct"] == -100.0
    assert m["volatility_ann_pct"] == pytest.approx(float(np.std([0.1, -1.0], ddof=1)) * math.sqrt(365) * 100)


def test_the_issue_run_on_backtesting_py_btcusd_ends_at_zero_not_below():
    """sma_cross (10/20, long and short, all in) on the monthly BTCUSD bars that ship with backtesting.py
    ended at -13,899.66 with a -126.9 % drawdown before the fix."""
    data = load_csv(BTCUSD, "BTCUSD")
    res = run_backtest(SmaCross({"fast": 10, "slow": 20}), data, BacktestConfig(lot_size=Decimal(1)))
    assert res.liquidation is not None
    assert res.liquidation.bar == 88  # 2019-05: the short from 3,750 met BTC's run to 8,000+
    assert res.final_equity == 0
    assert float(res.equity.min()) == 0.0
    assert res.metrics["max_drawdown_pct"] == -100.0
    assert res.metrics["total_return_pct"] == -100.0
    assert min(t.return_pct for t in res.trades) > -101  # the liquidated short lost its margin, no more


def test_the_optimiser_ranks_every_surviving_run_above_every_wiped_out_run():
    data = load_csv(BTCUSD, "BTCUSD")
    spec = RunSpec("sma_cross", {"slow": 20}, data_path=str(BTCUSD), symbol=data.symbol,
                   config=BacktestConfig(lot_size=Decimal(1)))
    with ThreadPoolExecutor(2) as pool:
        opt = optimize(spec, {"fast": [5, 10], "long_only": [True, False]}, "sharpe", executor=pool)
    wiped = [r["liquidation"] is not None for r in opt.runs]
    assert wiped == [False, False, True, True]
    # the wiped-out runs' Sharpe on the way down is still positive: only the tiering keeps them last
    assert opt.runs[2]["metrics"]["sharpe"] > 0
    assert opt.best["params"]["long_only"] is True


def test_cli_says_the_run_was_wiped_out(capsys):
    ns = argparse.Namespace(list=False, strategy="sma_cross", data=str(BTCUSD), symbol="BTCUSD", param=[],
                            cash=Decimal(10_000), commission=Decimal("0.002"), slippage=Decimal(0),
                            lot_size=Decimal(1), optimize=None, maximize="sharpe", workers=1, top=10, json=False,
                            equity_out=None, trades_out=None, report=None)
    out = io.StringIO()
    assert cli.run(ns, out) == 0
    assert "WIPED OUT at bar 88 (2019-05-31T00:00:00Z)" in out.getvalue()
    ns.json = True
    out = io.StringIO()
    assert cli.run(ns, out) == 0
    payload = json.loads(out.getvalue())
    assert payload["liquidation"]["bar"] == 88
    assert payload["metrics"]["final_equity"] == "0"
