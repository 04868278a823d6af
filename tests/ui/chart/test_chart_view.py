"""ChartWidget on screen (offscreen Qt): crosshair readout, pixels in every pane, and timing figures."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from decimal import Decimal

import numpy as np
import pytest
import talib
from PySide6.QtCore import QPointF
from PySide6.QtGui import QImage

from trader_app.core import Bar, Fill, Interval, Side
from trader_app.ui.chart import ChartWidget
from trader_app.ui.chart import theme

T0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000  # 2023-11-14 22:13 UTC
SYM = "BTC/USDT"


def make_bars(n: int, interval: Interval = Interval.M1) -> list[Bar]:
    bars = []
    for i in range(n):
        o = Decimal(f"{1000 + 25 * math.sin(i / 7) + i * 0.1:.2f}")
        c = Decimal(f"{1000 + 25 * math.sin((i + 1) / 7) + (i + 1) * 0.1:.2f}")
        bars.append(Bar(SYM, interval, T0 + i * interval.ms, o, max(o, c) + Decimal("1.25"),
                        min(o, c) - Decimal("0.75"), c, Decimal(f"{10 + (i % 9) * 1.5:.2f}")))
    return bars


def random_walk(n: int, seed: int = 3) -> list[Bar]:
    rng = np.random.default_rng(seed)
    price, bars = 37_000.0, []
    for i in range(n):
        path = price * np.cumprod(1 + rng.normal(0, 0.0012, 12))
        o, c = price, float(path[-1])
        h, lo = max(o, c, path.max()) * 1.0003, min(o, c, path.min()) * 0.9997
        bars.append(Bar(SYM, Interval.M1, T0 + i * 60_000, Decimal(f"{o:.2f}"), Decimal(f"{h:.2f}"),
                        Decimal(f"{lo:.2f}"), Decimal(f"{c:.2f}"), Decimal(f"{abs(rng.normal(12, 5)) + 0.5:.4f}")))
        price = c
    return bars


@pytest.fixture
def chart(qtbot):
    w = ChartWidget(utc=True)
    qtbot.addWidget(w)
    w.resize(1100, 720)
    w.show()
    qtbot.waitExposed(w)
    return w


def scene_point(plot, x: float, y: float) -> QPointF:
    return plot.getViewBox().mapViewToScene(QPointF(x, y))


def test_crosshair_readout_at_a_known_bar(chart):
    bars = make_bars(300)
    chart.set_bars(SYM, Interval.M1, bars)
    k = 250
    closes = np.array([float(b.close) for b in bars])
    chart._on_mouse_moved(scene_point(chart.price_plot, chart.series.center_of(k) + 10, float(bars[k].close)))
    assert chart.hover_index() == k
    text = chart.readout_text()
    assert text == (
        "2023-11-15 02:23  O 1,002.11  H 1,003.36  L 1,000.26  C 1,001.01  V 20.5  "
        "MA20 1,025.15  MA50 1,020.29  RSI 18.11  MACD -7.550 -3.926 -3.624"
    )
    # the same figures straight from TA-Lib
    assert float(text.split("RSI ")[1].split()[0]) == pytest.approx(talib.RSI(closes, 14)[k], abs=0.005)
    macd, sig, hist = (a[k] for a in talib.MACD(closes, 12, 26, 9))
    assert text.endswith(f"MACD {macd:.3f} {sig:.3f} {hist:.3f}")
    assert f"MA20 {talib.SMA(closes, 20)[k]:,.2f}" in text
    # vertical lines through every pane snapped to the bar centre; horizontal line only in the price pane
    assert [v.value() for v in chart.crosshair.vlines] == [chart.series.center_of(k)] * 4
    assert all(v.isVisible() for v in chart.crosshair.vlines)
    assert [h.isVisible() for h in chart.crosshair.hlines] == [True, False, False, False]
    assert chart.crosshair.hlines[0].value() == pytest.approx(float(bars[k].close), abs=0.05)
    assert chart.crosshair.vlines[-1].label.format == "2023-11-15 02:23"

    # the RSI pane at the next bar
    chart._on_mouse_moved(scene_point(chart.rsi_plot, chart.series.center_of(k + 1), 50.0))
    assert chart.hover_index() == k + 1
    assert [h.isVisible() for h in chart.crosshair.hlines] == [False, False, True, False]
    assert chart.readout_text().startswith("2023-11-15 02:24  O 1,001.01")

    # outside every pane: crosshair hidden, readout back to the last bar
    chart._on_mouse_moved(QPointF(-50.0, -50.0))
    assert chart.hover_index() is None
    assert not any(v.isVisible() for v in chart.crosshair.vlines)
    assert chart.readout_text().startswith("2023-11-15 03:12  O ")


def _pane_pixels(img: np.ndarray, rect) -> np.ndarray:
    top = rect.top() + 18  # below the pane title
    return img[top: rect.bottom(), rect.left(): rect.right()]


def _as_array(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    w, h = image.width(), image.height()
    buf = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(h, image.bytesPerLine() // 4, 4)
    return buf[:, :w, 2::-1].astype(int)  # BGRA -> RGB


def _near(img: np.ndarray, colour: str, tol: int = 30) -> int:
    rgb = np.array([int(colour[i: i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(img - rgb).max(axis=2) <= tol).sum())


def test_grab_png_has_content_in_every_pane(chart, tmp_path):
    bars = random_walk(300)
    chart.set_bars(SYM, Interval.M1, bars)
    chart.add_fills([
        Fill("t1", "a", "c1", SYM, Side.BUY, bars[-40].low, Decimal("0.5"), Decimal(0), "USDT", bars[-40].open_time_ms + 20_000),
        Fill("t2", "a", "c2", SYM, Side.SELL, bars[-12].high, Decimal("0.5"), Decimal(0), "USDT", bars[-12].open_time_ms + 40_000),
    ])
    path = tmp_path / "chart.png"
    assert chart.graphics.grab().save(str(path))
    img = _as_array(QImage(str(path)))
    bg = np.array([0x13, 0x17, 0x22])
    for plot in chart.plots:
        rect = chart.graphics.mapFromScene(plot.getViewBox().sceneBoundingRect()).boundingRect()
        pane = _pane_pixels(img, rect)
        drawn = int((np.abs(pane - bg).max(axis=2) > 40).sum())
        assert drawn > 300, f"pane at {rect} is nearly empty ({drawn} pixels)"
    price = _pane_pixels(img, chart.graphics.mapFromScene(chart.price_plot.getViewBox().sceneBoundingRect()).boundingRect())
    assert _near(price, theme.UP) > 200 and _near(price, theme.DOWN) > 200  # green and red candles
    assert _near(price, theme.MA_COLOURS[0], 40) > 50  # MA20 line
    rsi = _pane_pixels(img, chart.graphics.mapFromScene(chart.rsi_plot.getViewBox().sceneBoundingRect()).boundingRect())
    assert _near(rsi, theme.RSI_LINE, 40) > 50
    macd = _pane_pixels(img, chart.graphics.mapFromScene(chart.macd_plot.getViewBox().sceneBoundingRect()).boundingRect())
    assert _near(macd, theme.MACD_LINE, 40) > 50 and _near(macd, theme.MACD_SIGNAL, 40) > 50
    # the whole widget (toolbar and readout included) grabs too
    assert chart.grab().save(str(tmp_path / "widget.png"))


def test_timing_figures_5000_bars(chart, qapp, capsys):
    """Prints set_bars / update_bar timings in CPU ms (no timed assertion: the machine is shared)."""
    bars = random_walk(5000, seed=11)
    clock = time.process_time
    t = clock()
    chart.set_bars(SYM, Interval.M1, bars)
    chart.grab()
    load_ms = (clock() - t) * 1000
    last = bars[-1]
    ticks = 200
    t = clock()
    for i in range(ticks):  # the close moves inside the bar's range, like most ticks
        chart.update_bar(replace(last, close=last.low + (last.high - last.low) * Decimal(i % 10) / 10))
    tick_ms = (clock() - t) / ticks * 1000
    t = clock()
    for i in range(ticks):  # the same with Qt repainting what changed after every tick
        chart.update_bar(replace(last, close=last.low + (last.high - last.low) * Decimal(i % 10) / 10))
        qapp.processEvents()
    tick_paint_ms = (clock() - t) / ticks * 1000
    appends = 50
    t = clock()
    for i in range(1, appends + 1):
        chart.update_bar(replace(last, open_time_ms=last.open_time_ms + i * 60_000))
        qapp.processEvents()
    append_ms = (clock() - t) / appends * 1000
    t = clock()
    for _ in range(10):
        chart.graphics.viewport().repaint()
    full_ms = (clock() - t) / 10 * 1000
    assert chart.bar_count() == 5000 + appends
    assert chart.candles.cached_chunks() <= 4  # only the chunks that were on screen were ever drawn
    with capsys.disabled():
        print(f"\n[chart bench, CPU ms] set_bars(5000)+first paint {load_ms:.1f}; update_bar tick {tick_ms:.2f}; "
              f"tick+repaint {tick_paint_ms:.2f}; new bar+repaint {append_ms:.2f}; full repaint {full_ms:.2f}")
