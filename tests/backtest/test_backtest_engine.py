"""The backtester's fill, cash and trade rules on hand-computed bars."""

from decimal import Decimal

import numpy as np
import pytest
from bt_helpers import DAY, MONDAY_2024_01_01, Script, bars

from trader_app.backtest.engine import BacktestConfig, BacktestEngine, run_backtest
from trader_app.core.enums import Side
from trader_app.core.errors import ConfigError

D = Decimal


def cfg(**kw):
    base = {"cash": D(10000), "commission": D("0.001")}
    base.update(kw)
    return BacktestConfig(**base)


ROWS = [
    (100, 101, 99, 100),
    (102, 103, 101, 102),
    (104, 106, 103, 105),
    (106, 107, 105, 106),
]


def test_market_order_fills_at_next_open_with_commission_and_equity_curve():
    s = Script({0: lambda s: s.buy(10), 2: lambda s: s.sell(10)})
    r = run_backtest(s, bars(ROWS), cfg())
    assert [(f.bar, f.side, f.quantity, f.price, f.commission) for f in r.fills] == [
        (1, Side.BUY, D(10), D("102.0"), D("1.0200")),
        (3, Side.SELL, D(10), D("106.0"), D("1.0600")),
    ]
    # cash: 10000 - 1020 - 1.02 = 8978.98; then + 1060 - 1.06 = 10037.92
    assert r.cash == D("10037.92") and r.final_equity == D("10037.92")
    assert r.commissions == D("2.08")
    assert r.equity.tolist() == pytest.approx([10000.0, 9998.98, 10028.98, 10037.92], abs=1e-9)
    assert r.position.tolist() == [0.0, 10.0, 10.0, 0.0]
    assert s.seen_positions == [0.0, 10.0, 10.0, 0.0]
    (t,) = r.trades
    assert (t.side, t.quantity, t.entry_bar, t.exit_bar, t.entry_price, t.exit_price) == ("LONG", D(10), 1, 3, D(102), D(106))
    assert t.pnl == D("37.92") and t.commission == D("2.08")
    assert t.return_pct == D("37.92") / D("1020") * 100
    assert t.entry_time_ms == MONDAY_2024_01_01 + DAY
    m = r.metrics
    assert m["trades"] == 1 and m["win_rate_pct"] == 100.0 and m["bars"] == 4
    assert m["total_return_pct"] == pytest.approx(0.3792)
    assert m["buy_hold_return_pct"] == pytest.approx(6.0)
    assert m["exposure_pct"] == 50.0
    assert m["final_equity"] == D("10037.92") and m["commissions"] == D("2.08")
    assert [f.price for f in s.fills] == [102.0, 106.0]


def test_market_on_close_and_last_trade_closed_at_final_close():
    s = Script({1: lambda s: s.buy(10, at="close")})
    r = run_backtest(s, bars(ROWS), cfg(commission=D(0)))
    assert [(f.bar, f.price, f.tag) for f in r.fills] == [(1, D(102), ""), (3, D(106), "end_of_data")]
    assert r.final_equity == D(10040)
    assert r.trades[0].exit_tag == "end_of_data"


def test_orders_decided_at_the_last_close_are_dropped():
    s = Script({3: lambda s: s.buy(1)})
    r = run_backtest(s, bars(ROWS), cfg())
    assert r.fills == [] and r.final_equity == D(10000)
    assert r.metrics["trades"] == 0


def test_limit_orders_fill_at_limit_or_at_a_gapping_open():
    rows = [(100, 100, 100, 100), (99, 100, 97, 98), (96, 97, 95, 96), (96, 101, 95, 100), (103, 104, 102, 103)]
    s = Script({
        0: lambda s: s.buy(1, limit=98.0),  # bar 1: open 99 > 98, low 97 -> fills at 98
        1: lambda s: s.buy(1, limit=97.5),  # bar 2: opens at 96 below the limit -> fills at the open 96
        2: lambda s: (s.sell(1, limit=100.5), s.sell(1, limit=102.0)),  # bar 3: high 101 < 102, 100.5 fills; bar 4 gaps to 103
    })
    r = run_backtest(s, bars(rows), cfg(commission=D(0), slippage=D("0.01")))
    assert [(f.bar, f.side.value, f.price) for f in r.fills] == [
        (1, "BUY", D("98.0")), (2, "BUY", D("96.0")), (3, "SELL", D("100.5")), (4, "SELL", D("103.0")),
    ]


def test_stop_market_gap_and_touch_with_slippage():
    rows = [(100, 100, 100, 100), (100, 101, 99, 100), (94, 95, 93, 94), (100, 100, 100, 100), (97, 98, 94, 96)]
    s = Script({
        0: lambda s: s.buy(2),
        1: lambda s: s.sell(1, stop=95.0),  # bar 2 gaps below -> fills at open 94 (less slippage)
        3: lambda s: s.sell(1, stop=95.0),  # bar 4 opens 97 and trades down through 95 -> 95 (less slippage)
    })
    r = run_backtest(s, bars(rows), cfg(commission=D(0), slippage=D("0.01")))
    assert [(f.bar, f.side.value, f.price) for f in r.fills] == [
        (1, "BUY", D("101.00")), (2, "SELL", D("93.06")), (4, "SELL", D("94.05")),
    ]


def test_stop_limit_triggers_then_rests_as_limit():
    rows = [(100, 100, 100, 100), (103, 105.5, 102, 105), (103, 106, 102, 105), (104.5, 105, 103.5, 104)]
    s = Script({
        0: lambda s: s.buy(1, stop=105.0, limit=106.0),  # bar 1 trades through 105 <= 106 -> fills at 105
        1: lambda s: s.buy(1, stop=105.0, limit=104.0),  # bar 2 triggers (high 106); limit 104 rests
    })
    r = run_backtest(s, bars(rows), cfg(commission=D(0)))
    # bar 3: open 104.5 > 104, low 103.5 <= 104 -> the resting limit fills at 104
    assert [(f.bar, f.price) for f in r.fills[:2]] == [(1, D(105)), (3, D(104))]


def test_fraction_sizing_whole_units_and_lot_size():
    rows = [(30, 30, 30, 30), (30, 31, 29, 30), (30, 30, 30, 30)]
    r = run_backtest(Script({0: lambda s: s.buy()}), bars(rows), cfg(cash=D(1000)))
    assert r.fills[0].quantity == D(33)  # floor(1000 / (30 x 1.001)) = floor(33.30)
    r = run_backtest(Script({0: lambda s: s.buy(fraction=0.5)}), bars(rows, symbol="BTC/USDT"),
                     cfg(cash=D(1000), lot_size=D("0.001")))
    assert r.fills[0].quantity == D("16.650")  # floor_0.001(500 / 30.03) = 16.650
    r = run_backtest(Script({0: lambda s: s.buy(value=100)}), bars(rows), cfg(cash=D(1000)))
    assert r.fills[0].quantity == D(3)  # floor(100 / 30)


def test_target_position_flips_long_to_short_in_two_steps():
    rows = [(10, 10, 10, 10), (10, 10, 10, 10), (12, 12, 12, 12), (11, 11, 11, 11)]
    s = Script({0: lambda s: s.target_position(fraction=1.0), 1: lambda s: s.target_position(fraction=-1.0)})
    r = run_backtest(s, bars(rows), cfg(cash=D(1000), commission=D(0)))
    assert [(f.bar, f.side.value, f.quantity, f.price) for f in r.fills] == [
        (1, "BUY", D(100), D(10)), (2, "SELL", D(100), D(12)), (2, "SELL", D(100), D(12)), (3, "BUY", D(100), D(11)),
    ]
    assert [(t.side, t.pnl) for t in r.trades] == [("LONG", D(200)), ("SHORT", D(100))]
    assert r.final_equity == D(1300)
    assert r.equity.tolist() == [1000.0, 1000.0, 1200.0, 1300.0]
    assert r.position.tolist() == [0.0, 100.0, -100.0, 0.0]


def test_target_qty_and_close_fraction():
    rows = [(10, 10, 10, 10)] * 5
    s = Script({0: lambda s: s.target_position(7), 1: lambda s: s.target_position(4), 2: lambda s: s.close(0.5)})
    r = run_backtest(s, bars(rows), cfg(commission=D(0)))
    assert [(f.side.value, f.quantity) for f in r.fills] == [("BUY", D(7)), ("SELL", D(3)), ("SELL", D(2)), ("SELL", D(2))]


def test_rejections_change_nothing():
    rows = [(10, 10, 10, 10)] * 4
    s = Script({0: lambda s: s.buy(value=2000), 1: lambda s: s.sell(1)})
    r = run_backtest(s, bars(rows), cfg(cash=D(1000), allow_short=False))
    assert r.fills == [] and r.final_equity == D(1000)
    assert len(r.rejected) == 2
    assert "insufficient funds" in r.rejected[0] and "shorts disabled" in r.rejected[1]


def test_fill_crossing_zero_splits_trades_and_commission():
    rows = [(10, 10, 10, 10), (10, 10, 10, 10), (12, 12, 12, 12), (12, 12, 12, 12)]
    s = Script({0: lambda s: s.buy(10), 1: lambda s: s.sell(30)})
    r = run_backtest(s, bars(rows), cfg(commission=D("0.01")))
    long_, short = r.trades
    # long: +20 gross, fees 1.0 (entry) + 1.2 (10/30 of the 3.6 sell fee) -> 17.8
    assert (long_.side, long_.pnl, long_.commission) == ("LONG", D("17.8"), D("2.2"))
    # short 20 @ 12, closed at the final close 12: fees 2.4 (20/30 of 3.6) + 2.4 -> -4.8
    assert (short.side, short.quantity, short.pnl) == ("SHORT", D(20), D("-4.8"))


def test_cancel_all_and_on_fill_callbacks():
    rows = [(100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 100, 100), (100, 100, 100, 100)]
    s = Script({0: lambda s: s.buy(1, limit=90.0), 1: lambda s: s.cancel_all()})
    r = run_backtest(s, bars(rows), cfg())
    assert r.fills == []


def test_open_actions_fill_at_that_bars_open():
    s = Script(open_actions={2: lambda s: s.buy(1, at="open")})
    r = run_backtest(s, bars(ROWS), cfg(commission=D(0)))
    assert [(f.bar, f.price) for f in r.fills] == [(2, D(104)), (3, D(106))]
    with pytest.raises(ConfigError):
        run_backtest(Script({1: lambda s: s.buy(1, at="open")}), bars(ROWS), cfg())


def test_progress_and_bad_input():
    seen = []
    run_backtest(Script(), bars(ROWS), cfg(), progress=seen.append)
    assert seen == [1.0]
    with pytest.raises(ConfigError):
        BacktestEngine(Script(), _empty(), cfg())
    with pytest.raises(ConfigError):
        BacktestEngine(Script(), bars([(1, 1, 1, np.nan)]), cfg())
    with pytest.raises(ConfigError):
        BacktestConfig(cash=D(0))
    with pytest.raises(ConfigError):
        BacktestConfig(commission=D("0.5"))
    with pytest.raises(ConfigError, match="lot_size"):
        BacktestConfig(lot_size="abc")


def _empty():
    from trader_app.strategies import BarData

    z = np.zeros(0)
    return BarData("X", np.zeros(0, dtype=np.int64), z, z, z, z, z)
