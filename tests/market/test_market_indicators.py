"""Indicators: TA-Lib values on fixed series, checked by hand and against pinned reference values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from trader_app.market.indicators import ema, last_value, macd, rsi, sma

# Wilder's RSI example series (the 14-day example used by StockCharts' ChartSchool, closes of 33 days)
WILDER = [44.34, 44.09, 44.15, 43.61, 44.33, 44.83, 45.10, 45.42, 45.84, 46.08, 45.89, 46.03, 45.61, 46.28,
          46.28, 46.00, 46.03, 46.41, 46.22, 45.64, 46.21, 46.25, 45.71, 46.45, 45.78, 45.35, 44.03, 44.18,
          44.22, 44.57, 43.42, 42.66, 43.13]


def wilder_rsi_by_hand(closes: list[float], n: int = 14) -> list[float]:
    """Wilder (1978): first averages are simple means of the first n gains/losses, then
    avg = (prev_avg * (n - 1) + current) / n; RSI = 100 - 100 / (1 + avg_gain / avg_loss)."""
    ch = [b - a for a, b in zip(closes, closes[1:])]
    gain = sum(max(c, 0.0) for c in ch[:n]) / n
    loss = sum(max(-c, 0.0) for c in ch[:n]) / n
    out = [100 - 100 / (1 + gain / loss)]
    for c in ch[n:]:
        gain = (gain * (n - 1) + max(c, 0.0)) / n
        loss = (loss * (n - 1) + max(-c, 0.0)) / n
        out.append(100 - 100 / (1 + gain / loss))
    return out


def test_rsi_matches_wilders_definition_and_pinned_values():
    r = rsi(np.array(WILDER))
    assert r.dtype == np.float64 and len(r) == 33
    assert np.isnan(r[:14]).all() and not np.isnan(r[14:]).any()
    assert r[14:] == pytest.approx(wilder_rsi_by_hand(WILDER), abs=1e-9)
    # pinned once from talib 0.8.2 (ChartSchool's table, rounded at each step, shows 70.53, 66.32, 66.55)
    assert [round(x, 6) for x in r[14:20]] == [70.464135, 66.249619, 66.480942, 69.346853, 66.294713, 57.915021]


def test_sma_and_ema_by_hand():
    assert sma([1, 2, 3, 4, 5], 3)[2:].tolist() == [2.0, 3.0, 4.0]
    assert np.isnan(sma([1, 2, 3, 4, 5], 3)[:2]).all()
    # EMA(3): alpha = 0.5, seeded with SMA(1, 2, 3) = 2; then 2 + .5 (10 - 2) = 6; 6 + .5 (2 - 6) = 4
    e = ema([1.0, 2.0, 3.0, 10.0, 2.0], 3)
    assert np.isnan(e[:2]).all() and e[2:].tolist() == [2.0, 6.0, 4.0]


def test_macd_pinned_values_and_leading_nans():
    c = 100 + np.sin(np.arange(60) / 5) * 10 + np.arange(60) * 0.1
    m, s, h = macd(c)
    for arr in (m, s, h):
        assert arr.dtype == np.float64 and len(arr) == 60
        assert np.isnan(arr[:33]).all() and not np.isnan(arr[33:]).any()
    # pinned once from talib 0.8.2
    assert m[33] == pytest.approx(-1.4951504713025514, abs=1e-12)
    assert s[33] == pytest.approx(-4.055372214824327, abs=1e-12)
    assert h[33] == pytest.approx(2.560221743521776, abs=1e-12)
    assert m[-1] == pytest.approx(-2.548243460034257, abs=1e-12)
    assert s[-1] == pytest.approx(-2.0280422707300705, abs=1e-12)
    assert np.allclose(h[33:], m[33:] - s[33:])


def test_macd_line_is_fast_ema_minus_slow_ema_once_both_are_warm():
    c = 50 + np.cumsum(np.cos(np.arange(200) / 3.0))
    m, _, _ = macd(c, 12, 26, 9)
    fast, slow = ema(c, 12), ema(c, 26)
    # TA-Lib seeds the fast EMA at the slow EMA's start, so the two agree once the seed has decayed
    assert m[-1] == pytest.approx(fast[-1] - slow[-1], abs=1e-9)


def test_inputs_are_converted_to_float64():
    as32 = np.array(WILDER, dtype=np.float32)
    assert rsi(as32).dtype == np.float64
    assert rsi(list(WILDER))[-1] == pytest.approx(rsi(np.array(WILDER))[-1])
    assert sma(np.arange(10), 5)[-1] == 7.0  # integers work too


def test_bad_arguments():
    with pytest.raises(ValueError):
        sma([1.0, 2.0], 1)
    with pytest.raises(ValueError):
        macd([1.0] * 50, 26, 12)
    with pytest.raises(ValueError):
        rsi(np.zeros((3, 3)))


def test_last_value():
    assert last_value(np.array([1.0, 2.5])) == 2.5
    assert last_value(np.array([1.0, math.nan])) is None
    assert last_value(np.array([])) is None
    assert last_value(rsi([1.0, 2.0, 3.0])) is None  # too short: all NaN
