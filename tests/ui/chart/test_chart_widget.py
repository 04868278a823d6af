"""ChartWidget: loading bars, live updates, indicators against TA-Lib, fill markers, interval selector."""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest
import talib

from trader_app.core import Bar, Fill, Interval, Side
from trader_app.ui.chart import ChartWidget
from trader_app.ui.chart.series import BarSeries, price_decimals_of

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000  # 2023-11-14 22:13 UTC, a whole minute
SYM = "BTC/USDT"


def make_bars(n: int, symbol: str = SYM, interval: Interval = Interval.M1, t0: int = T0) -> list[Bar]:
    """Deterministic bars: closes follow a sine plus drift, rounded to cents."""
    bars = []
    for i in range(n):
        o = Decimal(f"{1000 + 25 * math.sin(i / 7) + i * 0.1:.2f}")
        c = Decimal(f"{1000 + 25 * math.sin((i + 1) / 7) + (i + 1) * 0.1:.2f}")
        h = max(o, c) + Decimal("1.25")
        lo = min(o, c) - Decimal("0.75")
        v = Decimal(f"{10 + (i % 9) * 1.5:.2f}")
        bars.append(Bar(symbol, interval, t0 + i * interval.ms, o, h, lo, c, v))
    return bars


def closes_of(bars: list[Bar]) -> np.ndarray:
    return np.array([float(b.close) for b in bars], dtype=np.float64)


@pytest.fixture
def chart(qtbot):
    w = ChartWidget(utc=True)
    qtbot.addWidget(w)
    w.resize(1000, 700)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_set_bars_then_bar_count_and_properties(chart):
    bars = make_bars(300)
    chart.set_bars(SYM, Interval.M1, bars)
    assert chart.bar_count() == 300
    assert chart.symbol == SYM
    assert chart.interval is Interval.M1
    assert chart.toolbar.symbol_label.text() == SYM
    assert chart.series.open_ms[0] == T0 and chart.series.open_ms[-1] == T0 + 299 * 60_000
    assert chart.series.close[-1] == float(bars[-1].close)
    assert chart.series.price_decimals == 2


def test_default_view_shows_last_150_bars_and_fits_y(chart):
    bars = make_bars(300)
    chart.set_bars(SYM, Interval.M1, bars)
    (x0, x1), (y0, y1) = chart.price_plot.getViewBox().viewRange()
    assert x0 == pytest.approx((T0 + 150 * 60_000) / 1000)
    assert x1 == pytest.approx((T0 + 299 * 60_000) / 1000 + 5 * 60)  # last bar + 4 bars of margin
    visible = bars[150:]
    lo = min(float(b.low) for b in visible)
    hi = max(float(b.high) for b in visible)
    assert y0 == pytest.approx(lo - 0.06 * (hi - lo))
    assert y1 == pytest.approx(hi + 0.06 * (hi - lo))
    vol_top = chart.volume_plot.getViewBox().viewRange()[1][1]
    assert vol_top == pytest.approx(max(float(b.volume) for b in visible) * 1.1)


def test_bad_bars_raise_and_change_nothing(chart):
    bars = make_bars(50)
    chart.set_bars(SYM, Interval.M1, bars)
    with pytest.raises(ValueError, match="strictly ascending"):
        chart.set_bars(SYM, Interval.M1, [bars[1], bars[0]])
    with pytest.raises(ValueError, match="does not belong"):
        chart.set_bars("ETH/USDT", Interval.M1, bars)
    with pytest.raises(ValueError, match="does not belong"):
        chart.set_bars(SYM, Interval.M5, bars)
    with pytest.raises(ValueError, match="empty"):
        chart.set_bars("", Interval.M1, [])
    assert chart.bar_count() == 50 and chart.symbol == SYM


def test_update_bar_replaces_last_when_open_time_matches(chart):
    bars = make_bars(300)
    chart.set_bars(SYM, Interval.M1, bars)
    chart.grab()  # paint once so the visible candle chunks are cached
    chunks_before = dict(chart.candles._chunks)
    ma_closed_before = chart.ma_lines[20].closed.yData
    last = bars[-1]
    live = replace(last, high=last.high + 5, close=last.high + 4, volume=last.volume + 3, closed=False)
    assert chart.update_bar(live) is True
    assert chart.bar_count() == 300
    assert chart.series.close[-1] == float(last.high + 4)
    assert chart.series.high[-1] == float(last.high + 5)
    assert chart.series.volume[-1] == float(last.volume + 3)
    # cheap: closed candles' pictures and the long closed indicator curves are untouched
    assert chart.candles._chunks == chunks_before and len(chunks_before) > 0
    assert all(chart.candles._chunks[k] is chunks_before[k] for k in chunks_before)
    assert chart.ma_lines[20].closed.yData is ma_closed_before
    assert chart.ma_lines[20].live.xData.tolist() == [chart.series.center_of(298), chart.series.center_of(299)]


def test_update_bar_appends_a_new_bar_and_scrolls(chart):
    bars = make_bars(300)
    chart.set_bars(SYM, Interval.M1, bars)
    x0, x1 = chart.price_plot.getViewBox().viewRange()[0]
    new = Bar(SYM, Interval.M1, T0 + 300 * 60_000, bars[-1].close, Decimal("1100"), Decimal("990"),
              Decimal("1050.5"), Decimal("7"), closed=False)
    assert chart.update_bar(new) is True
    assert chart.bar_count() == 301
    assert chart.series.open_ms[-1] == T0 + 300 * 60_000
    assert chart.series.close[-1] == 1050.5
    nx0, nx1 = chart.price_plot.getViewBox().viewRange()[0]
    assert (nx0 - x0, nx1 - x1) == (pytest.approx(60.0), pytest.approx(60.0))
    # the previous live candle is now part of the closed candles
    assert chart.candles._closed == 300


def test_update_bar_ignores_other_series_and_older_bars(chart):
    bars = make_bars(100)
    chart.set_bars(SYM, Interval.M1, bars)
    assert chart.update_bar(replace(bars[-1], symbol="ETH/USDT")) is False
    assert chart.update_bar(replace(bars[-1], interval=Interval.M5)) is False
    assert chart.update_bar(replace(bars[-2], close=Decimal("1"))) is False
    assert chart.bar_count() == 100
    assert chart.series.close[-2] == float(bars[-2].close)


def test_update_bar_before_any_set_bars_is_ignored(chart):
    assert chart.update_bar(make_bars(1)[0]) is False
    assert chart.bar_count() == 0
    assert chart.readout_text() == "No data"


def test_empty_series_then_first_live_bar(chart):
    chart.set_bars(SYM, Interval.M5, [])
    assert chart.bar_count() == 0
    assert chart.readout_text() == f"{SYM}: no bars"
    first = make_bars(1, interval=Interval.M5)[0]
    assert chart.update_bar(first) is True
    assert chart.bar_count() == 1
    assert chart.candles.pos().x() == T0 / 1000
    assert chart.readout_text() == (
        "2023-11-14 22:13  O 1,000.00  H 1,004.91  L 999.25  C 1,003.66  V 10  MA20 -  MA50 -  RSI -  MACD - - -"
    )


def test_indicators_match_talib_after_load_append_and_replace(chart):
    bars = make_bars(400)
    chart.set_bars(SYM, Interval.M1, bars)
    closes = closes_of(bars)
    ind = chart.indicators
    np.testing.assert_array_equal(ind.rsi, talib.RSI(closes, timeperiod=14))
    macd, sig, hist = talib.MACD(closes, fastperiod=12, slowperiod=26, signalperiod=9)
    np.testing.assert_array_equal(ind.macd, macd)
    np.testing.assert_array_equal(ind.macd_signal, sig)
    np.testing.assert_array_equal(ind.macd_hist, hist)
    np.testing.assert_array_equal(ind.ma[20], talib.SMA(closes, timeperiod=20))
    np.testing.assert_array_equal(ind.ma[50], talib.SMA(closes, timeperiod=50))
    assert np.isnan(ind.rsi[:14]).all() and not np.isnan(ind.rsi[14])
    assert np.isnan(ind.macd_hist[:33]).all() and not np.isnan(ind.macd_hist[33])

    # a tick of the live bar refreshes only the last value (from a tail window): equal to a full recompute
    live = replace(bars[-1], close=Decimal("1031.17"), high=max(bars[-1].high, Decimal("1031.17")))
    chart.update_bar(live)
    closes[-1] = 1031.17
    full_rsi = talib.RSI(closes, timeperiod=14)
    full_macd = talib.MACD(closes, fastperiod=12, slowperiod=26, signalperiod=9)
    np.testing.assert_allclose(ind.rsi, full_rsi, rtol=1e-12, equal_nan=True)
    for got, want in zip((ind.macd, ind.macd_signal, ind.macd_hist), full_macd):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True)
    np.testing.assert_array_equal(ind.ma[20], talib.SMA(closes, timeperiod=20))

    # a new bar recomputes everything exactly
    nxt = Bar(SYM, Interval.M1, bars[-1].open_time_ms + 60_000, Decimal("1031.17"), Decimal("1040"),
              Decimal("1030"), Decimal("1039.5"), Decimal("4"))
    chart.update_bar(nxt)
    closes = np.append(closes, 1039.5)
    np.testing.assert_array_equal(chart.indicators.rsi, talib.RSI(closes, timeperiod=14))
    np.testing.assert_array_equal(chart.indicators.macd_signal, talib.MACD(closes, 12, 26, 9)[1])


def test_set_overlays_changes_the_moving_averages(chart):
    bars = make_bars(200)
    chart.set_bars(SYM, Interval.M1, bars)
    chart.set_overlays([10, 30, 100])
    assert chart.ma_periods == [10, 30, 100]
    assert sorted(chart.ma_lines) == [10, 30, 100]
    closes = closes_of(bars)
    for p in (10, 30, 100):
        np.testing.assert_array_equal(chart.indicators.ma[p], talib.SMA(closes, timeperiod=p))
    assert "MA10 " in chart.readout_text() and "MA20 " not in chart.readout_text()
    with pytest.raises(ValueError):
        chart.set_overlays([10, 10])
    with pytest.raises(ValueError):
        chart.set_overlays([1])
    assert chart.ma_periods == [10, 30, 100]
    chart.set_overlays([])
    assert chart.ma_lines == {} and chart.indicators.ma == {}


def _fill(trade_id: str, side: Side, price: str, ts_ms: int, symbol: str = SYM) -> Fill:
    return Fill(trade_id, "acc-1", f"c-{trade_id}", symbol, side, Decimal(price), Decimal("0.1"),
                Decimal("0.01"), "USDT", ts_ms)


def test_fills_produce_markers_at_time_and_price(chart):
    bars = make_bars(120)
    chart.set_bars(SYM, Interval.M1, bars)
    fills = [
        _fill("2", Side.SELL, "1012.34", T0 + 100 * 60_000 + 45_000),
        _fill("1", Side.BUY, "998.50", T0 + 80 * 60_000 + 15_000),
        _fill("x", Side.BUY, "3000", T0 + 90 * 60_000, symbol="ETH/USDT"),  # other symbol: ignored
    ]
    assert chart.add_fills(fills) == 2
    assert chart.add_fills(fills[:1]) == 0  # idempotent per (account, trade id)
    expected = [
        ((T0 + 80 * 60_000 + 15_000) / 1000, 998.5, Side.BUY),
        ((T0 + 100 * 60_000 + 45_000) / 1000, 1012.34, Side.SELL),
    ]
    assert chart.fill_markers() == expected
    data = chart.fill_scatter.data
    assert data["x"].tolist() == [expected[0][0], expected[1][0]]
    assert data["y"].tolist() == [998.5, 1012.34]
    assert data["symbol"].tolist() == ["t1", "t"]  # up triangle for the buy, down for the sell
    # a fill lands on its own candle: the bar whose span holds the fill time
    assert chart.series.index_at(expected[0][0]) == 80
    # same symbol reload keeps markers, another symbol drops them
    chart.set_bars(SYM, Interval.M5, make_bars(30, interval=Interval.M5))
    assert len(chart.fill_markers()) == 2
    chart.set_bars("ETH/USDT", Interval.M1, make_bars(30, symbol="ETH/USDT"))
    assert chart.fill_markers() == [] and len(chart.fill_scatter.data) == 0
    with pytest.raises(ValueError):
        chart.add_fills(["not a fill"])


def test_interval_selector_emits_interval_changed(chart, qtbot):
    chart.set_bars(SYM, Interval.M1, make_bars(10))
    seen: list[Interval] = []
    chart.intervalChanged.connect(seen.append)
    chart.toolbar.buttons[Interval.M5].click()
    chart.toolbar.buttons[Interval.M5].click()  # already chosen: no second signal
    chart.toolbar.buttons[Interval.H1].click()
    assert seen == [Interval.M5, Interval.H1]
    assert chart.interval is Interval.H1
    assert chart.toolbar.buttons[Interval.H1].isChecked()
    # loading bars sets the selector without emitting
    chart.set_bars(SYM, Interval.D1, make_bars(5, interval=Interval.D1))
    assert seen == [Interval.M5, Interval.H1]
    assert chart.interval is Interval.D1 and chart.toolbar.buttons[Interval.D1].isChecked()
    assert [b.text() for b in chart.toolbar.buttons.values()] == ["1m", "5m", "15m", "1h", "1d"]


def test_series_index_and_decimals_helpers():
    s = BarSeries()
    s.load(SYM, Interval.M1, make_bars(10))
    assert s.index_at(T0 / 1000) == 0
    assert s.index_at(T0 / 1000 + 59.999) == 0
    assert s.index_at(T0 / 1000 + 60) == 1
    assert s.index_at(T0 / 1000 - 1) is None
    assert s.index_at(T0 / 1000 + 600) is None
    assert s.visible_slice(T0 / 1000 + 30, T0 / 1000 + 150) == slice(0, 3)
    one = make_bars(1)[0]
    assert price_decimals_of([replace(one, open=Decimal("0.00012300"))]) == 6
    assert price_decimals_of([replace(one, open=Decimal("70000"), high=Decimal("70100"), low=Decimal("69900"),
                                      close=Decimal("70000"))]) == 0
    # appends past the initial capacity keep every value
    for i in range(10, 600):
        s.append(Bar(SYM, Interval.M1, T0 + i * 60_000, Decimal(i), Decimal(i + 1), Decimal(i - 1), Decimal(i), Decimal(1)))
    assert s.n == 600 and s.close[599] == 599.0 and s.close[9] == float(make_bars(10)[9].close)
    assert s.open_ms[-1] == T0 + 599 * 60_000


def _order(coid: str, side, otype, price=None, stop=None, status=None, symbol: str = SYM, filled="0", triggered=False):
    from trader_app.core import Order, OrderStatus, TimeInForce

    return Order(
        account_id="acc-1", client_order_id=coid, symbol=symbol, side=side, order_type=otype,
        quantity=Decimal("0.5"), price=None if price is None else Decimal(price),
        stop_price=None if stop is None else Decimal(stop), time_in_force=TimeInForce.GTC,
        status=status or OrderStatus.NEW, created_ms=T0, updated_ms=T0, filled_qty=Decimal(filled),
        triggered=triggered,
    )


def test_open_orders_are_drawn_as_lines_at_their_working_price(chart):
    from trader_app.core import OrderStatus, OrderType

    chart.set_bars(SYM, Interval.M1, make_bars(60))
    chart.set_orders([
        _order("a", Side.BUY, OrderType.LIMIT, price="990.5", filled="0.2"),
        _order("b", Side.SELL, OrderType.STOP_MARKET, stop="980"),
        _order("c", Side.SELL, OrderType.STOP_LIMIT, price="1049", stop="1050"),
        _order("d", Side.BUY, OrderType.STOP_LIMIT, price="1011", stop="1010", triggered=True),
        _order("e", Side.BUY, OrderType.LIMIT, price="900", status=OrderStatus.FILLED),  # final: no line
        _order("f", Side.BUY, OrderType.MARKET),  # no price: no line
        _order("g", Side.BUY, OrderType.LIMIT, price="10", symbol="ETH/USDT"),  # other symbol
    ])
    assert chart.order_lines() == [
        (990.5, Side.BUY, "BUY LIMIT 0.3 @ 990.50"),
        (980.0, Side.SELL, "SELL STOP_MARKET 0.5 @ 980.00"),
        (1050.0, Side.SELL, "SELL STOP_LIMIT 0.5 @ 1,050.00 (limit 1,049.00)"),
        (1011.0, Side.BUY, "BUY STOP_LIMIT 0.5 @ 1,011.00"),
    ]
    chart.set_orders([])
    assert chart.order_lines() == []
    chart.set_orders([_order("a", Side.BUY, OrderType.LIMIT, price="990.5")])
    chart.set_bars("ETH/USDT", Interval.M1, make_bars(10, symbol="ETH/USDT"))
    assert chart.order_lines() == []


def test_live_ticks_keep_the_y_range_until_the_bar_leaves_it(chart):
    bars = make_bars(300)
    chart.set_bars(SYM, Interval.M1, bars)
    vb = chart.price_plot.getViewBox()
    before = vb.viewRange()[1]
    last = bars[-1]
    # a tick inside the current range: no y change (no pane/axis repaint)
    chart.update_bar(replace(last, close=last.low, closed=False))
    assert vb.viewRange()[1] == before
    # a tick above the range: the range is refitted to the visible bars with 6% padding
    chart.update_bar(replace(last, high=Decimal("1100"), close=Decimal("1100"), closed=False))
    lo = min(float(b.low) for b in bars[150:])
    y0, y1 = vb.viewRange()[1]
    assert (y0, y1) == (pytest.approx(lo - 0.06 * (1100 - lo)), pytest.approx(1100 + 0.06 * (1100 - lo)))


def test_after_panning_back_a_new_bar_does_not_scroll_and_y_fits_the_visible_bars(chart):
    bars = make_bars(300)
    chart.set_bars(SYM, Interval.M1, bars)
    x0, x1 = (T0 + 50 * 60_000) / 1000, (T0 + 120 * 60_000) / 1000
    chart.price_plot.setXRange(x0, x1, padding=0)
    visible = bars[50:120]  # centres in [x0, x1]: bars 50..119
    lo, hi = min(float(b.low) for b in visible), max(float(b.high) for b in visible)
    assert chart.price_plot.getViewBox().viewRange()[1] == [pytest.approx(lo - 0.06 * (hi - lo)),
                                                           pytest.approx(hi + 0.06 * (hi - lo))]
    chart.update_bar(replace(bars[-1], open_time_ms=bars[-1].open_time_ms + 60_000))
    assert chart.bar_count() == 301
    assert chart.price_plot.getViewBox().viewRange()[0] == [pytest.approx(x0), pytest.approx(x1)]
    chart.show_latest()
    assert chart.price_plot.getViewBox().viewRange()[0][0] == pytest.approx((T0 + 151 * 60_000) / 1000)


def test_the_view_follows_daily_bars_across_weekends(chart):
    """Issue 13: a replayed stock's daily bars skip weekends; the view scrolled by one day per bar, fell
    behind at every weekend and stayed on the first weeks while the replay ran on for years."""
    monday = 1_704_067_200_000  # 2024-01-01, a Monday
    days = [monday + (w * 7 + d) * Interval.D1.ms for w in range(60) for d in range(5)]  # weekdays only
    bars = [Bar(SYM, Interval.D1, t, Decimal(100), Decimal(101), Decimal(99), Decimal(100), Decimal(1))
            for t in days]
    chart.set_bars(SYM, Interval.D1, bars[:40])
    width = np.diff(chart.price_plot.getViewBox().viewRange()[0])[0]
    for b in bars[40:]:
        assert chart.update_bar(b)
    x0, x1 = chart.price_plot.getViewBox().viewRange()[0]
    assert x0 <= days[-1] / 1000 < x1  # the newest bar is in view after 260 appends over 52 weekends
    assert x1 - x0 == pytest.approx(width)  # the zoom the trader chose is kept
    assert chart.series.visible_slice(x0, x1).stop == len(bars)
