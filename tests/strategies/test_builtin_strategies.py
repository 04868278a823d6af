"""Every built-in strategy's rules on hand-checked bar sequences, run through the backtester."""

from decimal import Decimal

import numpy as np
import pytest
from bt_helpers import DAY, MONDAY_2024_01_01, bars, closes_only

from trader_app.backtest.engine import BacktestConfig, run_backtest
from trader_app.strategies import MeanReversion, RsiMacd, SmaCross, Weekly
from trader_app.strategies.weekly import venue_timezone, week_flags

D = Decimal
NO_FEES = BacktestConfig(cash=D(1000), commission=D(0))


def fills(result):
    return [(f.bar, f.side.value, f.quantity, f.price, f.tag) for f in result.fills]


# ---------------------------------------------------------------------------------------------- sma_cross
# closes:            10  10  10  11    12    11     9    8    9    11    12
# SMA2 (fast):           10  10  10.5  11.5  11.5  10    8.5  8.5  10    11.5
# SMA3 (slow):               10  10.33 11    11.33 10.67 9.33 8.67 9.33  10.67
# fast - slow:                0  +.17  +.5   +.17  -.67  -.83 -.17 +.67  +.83
# golden cross at bar 3, death cross at bar 6, golden cross at bar 9; fills at the next open (= prev close)
SMA_CLOSES = [10, 10, 10, 11, 12, 11, 9, 8, 9, 11, 12]


def test_sma_cross_long_short_by_hand():
    s = SmaCross(fast=2, slow=3)
    r = run_backtest(s, closes_only(SMA_CLOSES), NO_FEES)
    assert s.ind["cross"] == [0, 0, 0, 1, 0, 0, -1, 0, 0, 1, 0]
    assert fills(r) == [
        (4, "BUY", D(90), D(11), "golden_cross"),   # floor(1000 / 11) = 90, cash 10
        (7, "SELL", D(90), D(9), "death_cross"),    # close long: cash 820
        (7, "SELL", D(91), D(9), "death_cross"),    # short floor(820 / 9) = 91: cash 1639
        (10, "BUY", D(91), D(11), "golden_cross"),  # cover: cash 638
        (10, "BUY", D(58), D(11), "golden_cross"),  # long floor(638 / 11) = 58: cash 0
        (10, "SELL", D(58), D(12), "end_of_data"),  # final close at 12: cash 696
    ]
    assert [(t.side, t.pnl) for t in r.trades] == [("LONG", D(-180)), ("SHORT", D(-182)), ("LONG", D(58))]
    assert r.final_equity == D(696)


def test_sma_cross_long_only_goes_flat():
    r = run_backtest(SmaCross(fast=2, slow=3, long_only=True), closes_only(SMA_CLOSES), NO_FEES)
    assert fills(r) == [
        (4, "BUY", D(90), D(11), "golden_cross"),
        (7, "SELL", D(90), D(9), "death_cross"),
        (10, "BUY", D(74), D(11), "golden_cross"),  # floor(820 / 11) = 74, cash 6
        (10, "SELL", D(74), D(12), "end_of_data"),
    ]
    assert r.final_equity == D(894)


def test_sma_cross_commission_in_sizing():
    r = run_backtest(SmaCross(fast=2, slow=3), closes_only(SMA_CLOSES), BacktestConfig(cash=D(1000), commission=D("0.01")))
    assert r.fills[0].quantity == D(90)  # floor(1000 / (11 x 1.01)) = floor(90.009)
    assert r.fills[0].commission == D("9.90")


# ------------------------------------------------------------------------------------------ mean_reversion
# window 3, z 1.0. Bar 3 closes at 9 with window [11, 12, 9]: z = (9 - 32/3) / sqrt(14/9) = -1.336 -> buy
# at bar 4's open (= 9).

def test_mean_reversion_take_profit():
    # bar 4 closes at 10 >= 9 x 1.11 = 9.99 -> take profit at bar 5's open (10)
    r = run_backtest(MeanReversion(window=3, z_threshold=1.0), closes_only([10, 11, 12, 9, 10, 12, 12.5]), NO_FEES)
    assert fills(r)[:2] == [(4, "BUY", D(111), D(9), "z_entry"), (5, "SELL", D(111), D(10), "take_profit")]


def test_mean_reversion_stop_loss():
    # bar 4 closes at 8.5 <= 9 x 0.95 = 8.55 -> stop-loss at bar 5's open (8.5)
    r = run_backtest(MeanReversion(window=3, z_threshold=1.0), closes_only([10, 11, 12, 9, 8.5, 8.6, 8.7]), NO_FEES)
    assert fills(r)[:2] == [(4, "BUY", D(111), D(9), "z_entry"), (5, "SELL", D(111), D("8.5"), "stop_loss")]


def test_mean_reversion_z_exit_and_no_reentry_without_signal():
    # bar 4 (9.3): window [12, 9, 9.3] z = -0.59: hold. bar 5 (9.6): window [9, 9.3, 9.6] z = +1.22 > 1 -> exit
    s = MeanReversion(window=3, z_threshold=1.0, fraction=0.5)
    r = run_backtest(s, closes_only([10, 11, 12, 9, 9.3, 9.6, 9.7]), NO_FEES)
    assert fills(r) == [(4, "BUY", D(55), D(9), "z_entry"), (6, "SELL", D(55), D("9.6"), "z_exit")]
    assert s.ind["z"][5] == pytest.approx(0.3 / np.sqrt(0.06))


# ------------------------------------------------------------------------------------------------ rsi_macd
class InjectedRsiMacd(RsiMacd):
    """RsiMacd with hand-written RSI and MACD series instead of TA-Lib's."""

    name = "rsi_macd_injected"

    def __init__(self, r, m, s, **params):
        super().__init__(**params)
        self._r, self._m, self._s = (np.asarray(x, dtype=float) for x in (r, m, s))

    def indicators(self, data):
        return self.rules(self._r, self._m, self._s)


def _flat(n, v):
    return [v] * n


def test_rsi_macd_buy_needs_both_conditions_and_sells_on_its_own():
    n = 8
    # MACD crosses above its signal at bar 1 (RSI 60: not below 50 -> no buy) and bar 3 (RSI 40 -> buy)
    m = [-1, 1, -1, 1, 1, 1, -1, -1]
    s = _flat(n, 0.0)
    r = [60, 60, 40, 40, 55, 60, 60, 60]
    # MACD crosses below at bar 6 with RSI 60 > 50 -> sell
    strat = InjectedRsiMacd(r, m, s, stop_loss_pct=0, take_profit_pct=0, trail_pct=0)
    res = run_backtest(strat, closes_only(_flat(n, 10.0)), NO_FEES)
    assert fills(res) == [(4, "BUY", D(100), D(10), "buy_signal"), (7, "SELL", D(100), D(10), "sell_signal")]
    assert strat.ind["buy"][:4] == [False, False, False, True]


def test_rsi_macd_above_below_conditions_and_amount_per_buy_with_max_buys():
    n = 6
    # buy when MACD above signal and RSI above 30, 200 per buy, up to 2 buys
    strat = InjectedRsiMacd(_flat(n, 40), _flat(n, 1.0), _flat(n, 0.0), buy_macd="above", buy_rsi="above",
                            buy_rsi_level=30, sell_macd="below", sell_rsi="off", buy_amount=200, max_buys=2,
                            stop_loss_pct=0, take_profit_pct=0, trail_pct=0)
    res = run_backtest(strat, closes_only(_flat(n, 10.0)), NO_FEES)
    assert fills(res) == [
        (1, "BUY", D(20), D(10), "buy_signal"),
        (2, "BUY", D(20), D(10), "buy_signal"),
        (5, "SELL", D(40), D(10), "end_of_data"),
    ]
    assert strat.get_state() == {"trail_high": 10.0, "buys": 2}


def test_rsi_macd_trailing_stop_by_hand():
    # buy signal at bar 0 -> entry at bar 1's open 100. Activation 3 % -> high >= 103; trail 1.5 %.
    rows = [
        (100, 100, 100, 100),
        (100, 101, 99, 100.5),   # high 101: not armed
        (100.5, 104, 100, 103.5),  # high 104 >= 103: armed, stop 104 x 0.985 = 102.44; close 103.5 above
        (103.5, 103.8, 102, 102.44),  # close 102.44 <= 102.44 -> trailing stop, exit at next open
        (102, 102, 101, 101),
    ]
    n = len(rows)
    m = _flat(n, 1.0)  # MACD above its signal on every bar: the buy condition holds from bar 0
    strat = InjectedRsiMacd(_flat(n, 40), m, _flat(n, 0.0), buy_macd="above", max_buys=1,
                            sell_macd="off", sell_rsi="below", sell_rsi_level=0,
                            stop_loss_pct=10, take_profit_pct=50)
    res = run_backtest(strat, bars(rows), NO_FEES)
    assert fills(res) == [(1, "BUY", D(10), D(100), "buy_signal"), (4, "SELL", D(10), D(102), "trailing_stop")]
    # flat again at bar 4: the trailing high is reset; the buy decided at the last close never fills
    assert strat.trail_high is None and strat.buys == 1


def test_rsi_macd_trailing_state_for_watchlist():
    rows = [(100, 100, 100, 100), (100, 104, 99, 103.5), (103.5, 103.6, 103, 103.2)]
    strat = InjectedRsiMacd(_flat(3, 40), _flat(3, 1.0), _flat(3, 0.0), buy_macd="above", sell_macd="off",
                            sell_rsi="off", stop_loss_pct=0, take_profit_pct=0)
    states = []
    orig = strat.on_bar

    def spy(i):
        orig(i)
        states.append(strat.trailing_state())

    strat.on_bar = spy
    run_backtest(strat, bars(rows), NO_FEES)
    assert states[0] == {"trail_high": None, "trail_stop": None, "armed": False}
    assert states[1] == {"trail_high": 104.0, "trail_stop": pytest.approx(102.44), "armed": True}


def test_rsi_macd_stop_loss_and_take_profit():
    n = 5
    m = _flat(n, 1.0)
    sl = InjectedRsiMacd(_flat(n, 40), m, _flat(n, 0.0), buy_macd="above", sell_macd="off", sell_rsi="off",
                         stop_loss_pct=5, take_profit_pct=10, trail_pct=0)
    # entry at bar 1's open 100; bar 2 closes at 95 <= 95 -> stop-loss at bar 3's open 95
    res = run_backtest(sl, closes_only([100, 100, 95, 96, 97]), NO_FEES)
    assert fills(res)[:2] == [(1, "BUY", D(10), D(100), "buy_signal"), (3, "SELL", D(10), D(95), "stop_loss")]
    # after the exit, the buy condition still holds -> it buys again at bar 4's open
    assert fills(res)[2][:2] == (4, "BUY")
    tp = InjectedRsiMacd(_flat(n, 40), m, _flat(n, 0.0), buy_macd="above", sell_macd="off", sell_rsi="off",
                         stop_loss_pct=5, take_profit_pct=10, trail_pct=0, max_buys=1)
    res = run_backtest(tp, closes_only([100, 100, 110, 96, 97]), NO_FEES)
    assert fills(res)[1] == (3, "SELL", D(10), D(110), "take_profit")


def test_rsi_macd_real_indicators_run():
    rng = np.random.default_rng(11)
    c = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 500)))
    strat = RsiMacd()
    res = run_backtest(strat, closes_only(c.tolist()), BacktestConfig(cash=D(10000)))
    assert res.metrics["bars"] == 500
    assert np.isnan(strat.ind["macd"][32]) and not np.isnan(strat.ind["macd"][33])  # TA-Lib MACD warm-up 33
    assert all(f.tag in {"buy_signal", "sell_signal", "stop_loss", "take_profit", "trailing_stop", "end_of_data"} for f in res.fills)


# -------------------------------------------------------------------------------------------------- weekly
def _weekdays(n_weeks, skip=()):
    """Open times of weekdays from Monday 2024-01-01, leaving out dates in ``skip`` (day offsets)."""
    return [MONDAY_2024_01_01 + d * DAY for w in range(n_weeks) for d in range(w * 7, w * 7 + 5) if d not in skip]


def test_weekly_enters_monday_open_exits_friday_close_and_stops_mid_week():
    times = _weekdays(3, skip=(18,))  # 2024-01-19 (Friday of week 3) is a holiday: Thursday is last
    rows = [
        # week 1: Mon..Fri, no SL/TP
        (100, 101, 99, 100), (100, 102, 99, 101), (101, 103, 100, 102), (102, 103, 101, 102), (102, 104, 101, 103),
        # week 2: Wednesday closes at 96 <= 104 x 0.95 = 98.8 -> stop-loss at Thursday's open 95
        (104, 105, 103, 104), (104, 104, 100, 100), (100, 100, 96, 96), (95, 96, 94, 95), (95, 96, 94, 95),
        # week 3: Mon..Thu; take-profit 10 %: Tuesday closes at 111 >= 110 -> exit at Wednesday's open 111
        (100, 101, 99, 100), (100, 111, 100, 111), (111, 112, 110, 111), (111, 112, 110, 112),
    ]
    strat = Weekly()
    res = run_backtest(strat, bars(rows, times=times), BacktestConfig(cash=D(10000), commission=D(0)))
    assert fills(res) == [
        (0, "BUY", D(100), D(100), "week_open"),
        (4, "SELL", D(100), D(103), "week_close"),
        (5, "BUY", D(99), D(104), "week_open"),   # floor(10300 / 104) = 99
        (8, "SELL", D(99), D(95), "stop_loss"),
        (10, "BUY", D(94), D(100), "week_open"),  # cash 10300 - 10296 + 9405 = 9409 -> floor(94.09)
        (12, "SELL", D(94), D(111), "take_profit"),
    ]
    assert strat.ind["week_last"][13] is True and strat.ind["week_first"][10] is True


def test_week_flags_follow_the_time_zone_and_venue_schedule():
    t = np.array([MONDAY_2024_01_01 + d * DAY for d in range(9)], dtype=np.int64)
    first, last = week_flags(t, "UTC")
    assert first.tolist() == [True, False, False, False, False, False, False, True, False]
    assert last.tolist() == [False, False, False, False, False, False, True, False, True]
    # 00:00 UTC Monday is still Sunday in New York: the week turns one bar later
    first_ny, _ = week_flags(t, "America/New_York")
    assert first_ny.tolist() == [True, True, False, False, False, False, False, False, True]
    assert venue_timezone("KRX") == "Asia/Seoul" and venue_timezone("binance") == "UTC"
    jobs = Weekly(entry_time="09:05", exit_time="15:20").schedules("krx")
    assert jobs == [
        ({"day_of_week": "mon", "hour": 9, "minute": 5, "timezone": "Asia/Seoul"}, "scheduled_entry"),
        ({"day_of_week": "fri", "hour": 15, "minute": 20, "timezone": "Asia/Seoul"}, "scheduled_exit"),
    ]
