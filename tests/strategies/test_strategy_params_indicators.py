"""Declared parameters, the registry and the indicator/condition helpers."""

import math

import numpy as np
import pytest
import talib

from trader_app.core.errors import ConfigError
from trader_app.strategies import (
    MeanReversion,
    Param,
    RsiMacd,
    SmaCross,
    Weekly,
    available,
    create,
    parse_param_args,
    strategy_class,
)
from trader_app.strategies import indicators as ind
from trader_app.strategies.base import BarData


def test_param_parsing_types_bounds_choices():
    p = Param("n", int, 5, 1, 10, "n")
    assert p.parse("7") == 7 and p.parse(8.0) == 8
    for bad in ("7.5", "x", True, 0, 11):
        with pytest.raises(ConfigError, match="parameter n"):
            p.parse(bad)
    f = Param("x", float, 1.5, 0.0, None)
    assert f.parse("2.25") == 2.25
    with pytest.raises(ConfigError):
        f.parse("nan")
    b = Param("flag", bool, False)
    assert [b.parse(v) for v in ("true", "no", "1", "OFF", True)] == [True, False, True, False, True]
    with pytest.raises(ConfigError):
        b.parse("maybe")
    c = Param("mode", str, "a", choices=("a", "b"))
    assert c.parse(" b ") == "b"
    with pytest.raises(ConfigError, match="one of a, b"):
        c.parse("c")
    with pytest.raises(ConfigError):
        Param("bad", int, 0, 1, 10)  # the default must be valid
    with pytest.raises(TypeError):
        Param("t", list, [])


def test_param_args_and_registry():
    assert parse_param_args(["fast=5", " long_only = true "]) == {"fast": "5", "long_only": "true"}
    with pytest.raises(ConfigError):
        parse_param_args(["fast"])
    assert available() == ["mean_reversion", "rsi_macd", "sma_cross", "weekly"]
    s = create("sma_cross", {"fast": "5", "slow": "12", "long_only": "yes"})
    assert isinstance(s, SmaCross) and s.p.as_dict() == {"fast": 5, "slow": 12, "long_only": True}
    with pytest.raises(ConfigError, match="unknown strategy 'nope'"):
        strategy_class("nope")
    with pytest.raises(ConfigError, match="unknown parameter 'speed'"):
        create("sma_cross", {"speed": 1})
    with pytest.raises(ConfigError, match="fast"):
        SmaCross(fast=20, slow=10)
    with pytest.raises(ConfigError):
        RsiMacd(macd_fast=30)
    with pytest.raises(ConfigError):
        RsiMacd(buy_macd="off", buy_rsi="off")
    with pytest.raises(ConfigError, match="HH:MM"):
        Weekly(entry_time="9am")
    with pytest.raises(ConfigError, match="time zone"):
        Weekly(timezone="Mars/Base")
    # documented defaults from issue 4
    mr = MeanReversion()
    assert (mr.p.window, mr.p.z_threshold, mr.p.stop_loss_pct, mr.p.take_profit_pct) == (20, 2.0, 5.0, 11.0)


def test_crosses_and_conditions_by_hand():
    a = [1.0, 2.0, 2.0, 3.0, 1.0, np.nan, 3.0]
    b = [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]
    assert ind.crosses_above(a, b).tolist() == [False, False, False, True, False, False, False]
    assert ind.crosses_below(a, 2.0).tolist() == [False, False, False, False, True, False, False]
    assert ind.above(a, 2.0).tolist() == [False, False, False, True, False, False, True]
    assert ind.below(a, b).tolist() == [True, False, False, False, True, False, False]
    assert ind.condition("off", a, b).all()
    # touching from below then rising is a cross (previous <=), equality now is not
    assert ind.crosses_above([1.0, 2.0, 2.5], [2.0, 2.0, 2.0]).tolist() == [False, False, True]
    with pytest.raises(ValueError):
        ind.condition("sideways", a, b)
    assert ind.crosses_above([], 1.0).size == 0


def test_sma_zscore_rsi_macd_values():
    c = np.array([10.0, 11.0, 12.0, 9.0, 9.3, 9.6])
    assert ind.sma(c, 3)[2:].tolist() == pytest.approx([11.0, 32 / 3, 10.1, 9.3])
    z = ind.rolling_zscore(c, 3)
    assert np.isnan(z[:2]).all()
    # window [10, 11, 12]: mean 11, pop std sqrt(2/3) -> z = 1/sqrt(2/3)
    assert z[2] == pytest.approx(1 / math.sqrt(2 / 3), rel=1e-9)
    # window [11, 12, 9]: mean 32/3, pop std sqrt(14/9) -> z = (9 - 32/3) / sqrt(14/9)
    assert z[3] == pytest.approx((9 - 32 / 3) / math.sqrt(14 / 9), rel=1e-9)
    # window [9, 9.3, 9.6]: mean 9.3, pop std sqrt(0.06) -> z = 0.3 / sqrt(0.06)
    assert z[5] == pytest.approx(0.3 / math.sqrt(0.06), rel=1e-9)
    assert np.isnan(ind.rolling_zscore([5.0, 5.0, 5.0, 5.0], 3)[2:]).all()  # zero variance
    rng = np.random.default_rng(3)
    x = 100 + np.cumsum(rng.normal(size=200))
    assert np.array_equal(ind.rsi(x, 14), talib.RSI(x, 14), equal_nan=True)
    m, s, h = ind.macd(x)
    tm, ts, th = talib.MACD(x, 12, 26, 9)
    assert np.array_equal(m, tm, equal_nan=True) and np.array_equal(h, th, equal_nan=True)
    assert ind.sma(x.astype(np.float32), 5).dtype == np.float64  # float32 input is converted


@pytest.mark.parametrize("strategy", [SmaCross(), MeanReversion(), RsiMacd(), Weekly()])
def test_builtin_indicators_are_causal(strategy):
    """The value at bar i must not change when later bars are added (live window == backtest)."""
    rng = np.random.default_rng(7)
    n = 400
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, n)))
    t = 1_704_067_200_000 + np.arange(n, dtype=np.int64) * 3_600_000
    full = BarData("X", t, close, close * 1.01, close * 0.99, close, np.ones(n))
    cut = 300
    part = BarData("X", t[:cut], close[:cut], close[:cut] * 1.01, close[:cut] * 0.99, close[:cut], np.ones(cut))
    a, b = strategy.indicators(full), strategy.indicators(part)
    for key in a:
        if key == "week_last":  # calendar: the last bar of the data counts as the week's last
            assert np.array_equal(a[key][: cut - 1], b[key][: cut - 1])
            continue
        assert np.array_equal(np.asarray(a[key])[:cut], np.asarray(b[key]), equal_nan=True), key
