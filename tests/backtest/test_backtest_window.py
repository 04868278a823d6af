"""The Backtest window: parameters form, a run in a worker process, results in plots and tables, optimisation."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from test_backtest_cli import write_csv

from trader_app.backtest.engine import BacktestConfig, run_backtest
from trader_app.backtest.data import load_csv
from trader_app.core.enums import Interval
from trader_app.core.errors import ConfigError
from trader_app.core.market_data import Bar
from trader_app.store import Store
from trader_app.strategies import SmaCross
from trader_app.ui.backtest_window import BacktestWindow
from trader_app.ui.param_editors import ParamEditors
from trader_app.ui.panels.common import spawn


def save_closes(store, symbol: str, interval: Interval, closes: list[int]) -> None:
    """Bars of ``symbol`` whose open, high, low and close are each ``closes[k]`` (volume 1), one per interval."""
    store.bars.save([Bar(symbol, interval, k * interval.ms, Decimal(c), Decimal(c), Decimal(c), Decimal(c),
                         Decimal(1)) for k, c in enumerate(closes)])


def test_param_form_from_declared_params(qtbot):
    form = ParamEditors(SmaCross.params)
    qtbot.addWidget(form)
    assert form.values() == {"fast": 10, "slow": 20, "long_only": False}
    form.set_values({"fast": 3, "long_only": True})
    assert form.values() == {"fast": 3, "slow": 20, "long_only": True}
    assert form.editors["fast"].minimum() == 2
    assert form.editors["fast"].toolTip().splitlines()[0] == "fast SMA period (bars)"


async def test_run_from_csv_in_a_worker_process(qtbot, tmp_path):
    path = str(write_csv(tmp_path / "AAPL.csv"))
    win = BacktestWindow(SimpleNamespace(store=None))
    qtbot.addWidget(win)
    win.set_csv(path)
    win.param_form.set_values({"fast": 2, "slow": 3})
    win.commission_edit.setText("0")
    result = await spawn(win.run_backtest())
    direct = run_backtest(SmaCross(fast=2, slow=3), load_csv(path), BacktestConfig(commission=Decimal(0)))
    assert result.final_equity == direct.final_equity
    assert win.trades.rowCount() == len(direct.trades) > 0
    assert win.equity_plot.points == 20 and win.progress.value() == 1000
    rows = {r[0]: r[2] for r in win.metrics_model.records()}
    assert rows["final_equity"] == str(direct.final_equity) and rows["trades"] == str(len(direct.trades))
    assert len(win.buy_markers.data) + len(win.sell_markers.data) == len(direct.fills)
    assert "final equity" in win.status.text()
    # optimisation over a grid, best first; the best parameters go into the form
    win.grid_edit.setText("fast=2:3 slow=5,8")
    win.maximize_box.setCurrentText("final_equity")
    opt = await spawn(win.run_optimization())
    assert len(opt.runs) == 4 and win.runs.rowCount() == 4
    assert win.param_form.values()["fast"] == opt.best["params"]["fast"]
    assert win.progress.value() == 4
    win.grid_edit.setText("speed=1:2")
    with pytest.raises(ConfigError):
        await spawn(win.run_optimization())
    win.close()


async def test_stored_series_are_offered_and_run(qtbot):
    store = Store.open(":memory:")
    try:
        save_closes(store, "BTC/USDT", Interval.M1, [10, 10, 10, 11, 12, 11, 9, 8, 9, 11, 12])
        win = BacktestWindow(SimpleNamespace(store=store))
        qtbot.addWidget(win)
        await spawn(win.load_series())
        assert win.data_box.itemText(0) == "BTC/USDT 1m (11 bars)"
        win.param_form.set_values({"fast": 2, "slow": 3})
        result = await spawn(win.run_backtest())
        assert result.symbol == "BTC/USDT" and result.metrics["bars"] == 11 and len(result.trades) == 3
        win.close()
    finally:
        store.close()


async def test_the_default_data_fits_the_default_cash_and_a_run_without_trades_says_why(qtbot):
    store = Store.open(":memory:")
    try:
        save_closes(store, "005930", Interval.D1, [72100, 72300, 72000, 73000, 74000, 73500, 72000, 71000, 72500,
                                                   74000, 75000])
        save_closes(store, "BTC/USDT", Interval.M1, [10, 10, 10, 11, 12, 11, 9, 8, 9, 11, 12])
        win = BacktestWindow(SimpleNamespace(store=store))
        qtbot.addWidget(win)
        win.show()
        await spawn(win.load_series())
        # a pair first (fractions fit 10,000 of cash), the KRX stock after it; the combo shows its whole text
        assert [win.data_box.itemText(i) for i in range(win.data_box.count())] == [
            "BTC/USDT 1m (11 bars)", "005930 1d (11 bars)"]
        assert win.data_box.width() >= win.data_box.fontMetrics().horizontalAdvance("005930 1d (11 bars)")
        win.data_box.setCurrentIndex(1)
        win.param_form.set_values({"fast": 2, "slow": 3})
        result = await spawn(win.run_backtest())
        assert result.trades == []
        assert win.status.text().endswith("0 trades: one share costs more than the cash (72100.00 > 10000.00)")
        win.close()
    finally:
        store.close()
