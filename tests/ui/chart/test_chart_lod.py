"""Long histories in the chart (issue 13): lines decimated to the pixels, candles merged by level of detail,
a bounded chunk cache, indicators and lines extended per new bar without touching the whole history.
Speed is measured by ``trader-app bench chart``; these tests check the mechanisms and the numbers drawn."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
import talib

from trader_app.core import Bar, Interval
from trader_app.devtools.bench_chart import make_bars
from trader_app.ui.chart import ChartWidget
from trader_app.ui.chart.indicators import Indicators
from trader_app.ui.chart.items import MAX_CHUNKS, group_size, peak_per_group

N = 200_000


@pytest.fixture(scope="module")
def history():
    return make_bars(N)


@pytest.fixture
def chart(qtbot):
    w = ChartWidget(utc=True)
    qtbot.addWidget(w)
    w.resize(1600, 900)
    w.show()
    qtbot.waitExposed(w)
    return w


def _full_range(chart):
    s = chart.series
    chart.price_plot.setXRange(float(s.open_s[0]), float(s.open_s[-1]) + s.interval_s, padding=0)
    chart.graphics.viewport().repaint()


def test_lines_hand_qt_about_two_points_per_pixel_at_any_zoom(chart, history):
    chart.set_bars("BTC/USDT", Interval.M1, history)
    chart.graphics.viewport().repaint()
    assert chart.rsi_line.drawn_points() < 400  # 150 bars in view (and a few beyond the edges)
    _full_range(chart)
    px = chart.rsi_plot.getViewBox().width()
    for line in (chart.rsi_line, chart.macd_line, *chart.ma_lines.values()):
        # peak decimation keeps each pixel's min and max: 2 points a pixel, against 200,000 bars
        assert 0 < line.drawn_points() <= 2.05 * px, line.name


def test_full_range_candles_are_drawn_in_groups_from_a_few_chunks(chart, history):
    chart.set_bars("BTC/USDT", Interval.M1, history)
    _full_range(chart)
    candles = chart.candles
    g = group_size(candles.pixelWidth(), chart.series.interval_s)
    assert g >= 128  # 200,000 bars over ~1,500 px: groups of 2**k bars at least 2 px wide
    assert {key[0] for key in candles._chunks} == {g}
    assert candles.cached_chunks() <= 16  # the old chunking built 1,563 pictures here


def test_the_chunk_cache_is_bounded_while_panning_and_zooming(chart, history):
    chart.set_bars("BTC/USDT", Interval.M1, history)
    s = chart.series
    vb = chart.price_plot.getViewBox()
    for k in range(0, 60):  # pan across fresh history at 1-minute detail, then zoom through every level
        x1 = float(s.open_s[-1]) - k * 400 * 60.0
        vb.setXRange(x1 - 400 * 60.0, x1, padding=0)
        chart.graphics.viewport().repaint()
    for width_bars in (1_000, 4_000, 16_000, 64_000, N):
        vb.setXRange(float(s.open_s[-1]) - width_bars * 60.0, float(s.open_s[-1]), padding=0)
        chart.graphics.viewport().repaint()
    for item in (chart.candles, chart.volume_bars, chart.macd_hist_bars):
        assert item.cached_chunks() <= MAX_CHUNKS


def test_group_size_and_peaks():
    assert group_size(30.0, 60.0) == 1  # 2 px a bar
    assert group_size(60.0, 60.0) == 2
    assert group_size(40_000.0, 60.0) == 2048  # 1,000,000 1-minute bars over 1,500 px
    assert group_size(0.0, 60.0) == 1 and group_size(float("nan"), 60.0) == 1
    values, at = peak_per_group(np.array([1.0, -3.0, 2.0, np.nan, np.nan, np.nan, 5.0]), 3)
    assert values[0] == -3.0 and at[0] == 1
    assert np.isnan(values[1])
    assert values[2] == 5.0 and at[2] == 6


def test_appended_indicators_equal_a_full_computation():
    rng = np.random.default_rng(5)
    closes = 100 * np.cumprod(1 + rng.normal(0, 0.01, 5_000))
    ind = Indicators.compute(closes[:3_000], [20, 50])
    for n in range(3_001, 5_001):
        ind.append(closes[:n])
    assert len(ind) == 5_000
    macd, signal, hist = talib.MACD(closes, 12, 26, 9)
    np.testing.assert_allclose(ind.rsi, talib.RSI(closes, 14), rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(ind.macd, macd, rtol=1e-9, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(ind.macd_signal, signal, rtol=1e-9, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(ind.ma[50], talib.SMA(closes, 50), rtol=1e-12, equal_nan=True)
    with pytest.raises(ValueError):
        ind.append(closes[:5_000])  # nothing new


def test_new_bars_extend_the_line_tail_and_the_closed_part_takes_them_over(chart, history):
    chart.set_bars("BTC/USDT", Interval.M1, history[:2_000])
    last = history[1_999]
    for k in range(1, 301):
        c = last.close + k
        chart.update_bar(Bar("BTC/USDT", Interval.M1, last.open_time_ms + k * 60_000, c, c + 1, c - 1, c, Decimal(1)))
    line = chart.rsi_line
    closed_x = line.closed.xData
    tail_x = line.live.xData
    # closed part + tail (sharing one point) are exactly the 2,300 bar centres
    joined = np.concatenate([closed_x, tail_x[1:]])
    np.testing.assert_array_equal(joined, chart.series.center_s)
    assert len(tail_x) <= line.REBASE + 1  # the tail was taken over once it passed 256 bars
    np.testing.assert_allclose(chart.indicators.rsi, talib.RSI(chart.series.close, 14), rtol=1e-9, equal_nan=True)


def test_bench_chart_prints_every_figure(qapp):
    import argparse
    import io

    from trader_app.devtools import bench_chart

    out = io.StringIO()
    assert bench_chart.run(argparse.Namespace(bars=3_000, repeats=1, json=False), out) == 0
    text = out.getvalue()
    for label in ("repaint", "pan 40 bars", "live tick", "new bar", "zoom out (first)", "RSI points drawn"):
        assert label in text
    assert bench_chart.run(argparse.Namespace(bars=10, repeats=1, json=False), io.StringIO()) == 2
