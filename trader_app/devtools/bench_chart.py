"""``trader-app bench chart``: the app's own ``ChartWidget`` (1600x900, offscreen unless a display is set)
with a long history, as a trader uses it.

Steps, each timed on the wall clock and reported as the median of its repeats (ms):

- ``load``: ``set_bars`` with ``--bars`` 1-minute bars plus the first paint (once);
- ``repaint``: a full repaint of the panes with the last 150 bars in view;
- ``pan``: the view moved by 40 bars, then repainted;
- ``tick``: a live tick (``update_bar`` with the last bar's open time) then the repaint;
- ``new bar``: a bar that opens a new interval, then the repaint; every 256th new bar also hands the
  lines' tails to their closed parts (timed on its own);
- ``zoom out``: the whole history in view and repainted (the first time, then again);
- ``drawn points``: the points of the RSI line handed to Qt at the full range (about the plot's width in
  pixels when the line is decimated; the bar count when it is not);
- memory: the process's RSS after loading and after the zoom out, and the cached chunk pictures.

Target (issue 13): repaint, pan, tick and new bar under 16 ms (one frame at 60 Hz), zoom out under 100 ms,
memory bounded. Figures vary with the machine; the ratio to the 16 ms frame is printed beside each.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from typing import Any, Callable, TextIO

import numpy as np

FRAME_MS = 16.0
ZOOM_TARGET_MS = 100.0
T0_MS = 1_500_000_000_000 - 1_500_000_000_000 % 60_000


def _rss_mib() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_bars(n: int, seed: int = 7) -> list[Any]:
    """``n`` 1-minute BTC/USDT bars of a random walk (prices to the cent), oldest first."""
    from ..core import Bar, Interval

    rng = np.random.default_rng(seed)
    close = 30_000 * np.cumprod(1 + rng.normal(0, 0.0008, n))
    open_ = np.concatenate(([close[0]], close[:-1]))
    spread = np.abs(rng.normal(0, 0.0005, n)) * close
    high = np.maximum(open_, close) + spread
    low = np.minimum(open_, close) - spread
    vol = np.abs(rng.normal(10, 4, n)) + 0.1
    cols = [np.char.mod("%.2f", a).tolist() for a in (open_, high, low, close, vol)]
    return [Bar("BTC/USDT", Interval.M1, T0_MS + i * 60_000, Decimal(o), Decimal(h), Decimal(lo), Decimal(c), Decimal(v))
            for i, (o, h, lo, c, v) in enumerate(zip(*cols))]


def _median_ms(fn: Callable[[], None], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bench(bars: int, repeats: int = 15) -> dict[str, Any]:
    """Run every step on ``bars`` bars; returns the figures (ms, MiB, counts)."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from ..core import Bar, Interval
    from ..ui.chart import ChartWidget

    app = QApplication.instance() or QApplication(sys.argv[:1])
    history = make_bars(bars)
    rss_start = _rss_mib()
    chart = ChartWidget(utc=True)
    chart.resize(1600, 900)
    chart.show()
    app.processEvents()
    view = chart.graphics.viewport()

    def paint() -> None:
        view.repaint()

    t0 = time.perf_counter()
    chart.set_bars("BTC/USDT", Interval.M1, history)
    paint()
    load_ms = (time.perf_counter() - t0) * 1000
    rss_loaded = _rss_mib()
    repaint_ms = _median_ms(paint, repeats)

    step = [40 * 60.0]

    def pan() -> None:
        x0, x1 = chart.price_plot.getViewBox().viewRange()[0]
        chart.price_plot.setXRange(x0 - step[0], x1 - step[0], padding=0)
        step[0] = -step[0]
        paint()

    pan_ms = _median_ms(pan, repeats)
    chart.show_latest()
    paint()
    last = history[-1]
    price = [float(last.close)]

    def tick() -> None:
        price[0] += 0.5 if price[0] < float(last.close) + 20 else -20
        p = Decimal(f"{price[0]:.2f}")
        chart.update_bar(Bar(last.symbol, Interval.M1, chart.series.last_open_ms(), last.open, max(last.high, p),
                             min(last.low, p), p, last.volume, closed=False))
        paint()

    tick_ms = _median_ms(tick, repeats * 3)

    def new_bar() -> None:
        t = chart.series.last_open_ms() + 60_000
        c = last.close
        chart.update_bar(Bar(last.symbol, Interval.M1, t, c, c + 1, c - 1, c, Decimal(1), closed=False))
        paint()

    new_bar_ms = _median_ms(new_bar, repeats)
    # every 256th new bar the lines' closed parts take over their tails: that bar costs more
    rebase_ms = _median_ms(lambda: (chart._set_all_lines(), paint()), 3)
    s = chart.series
    full = (float(s.open_s[0]), float(s.open_s[-1]) + s.interval_s)

    def zoom_out() -> None:
        chart.price_plot.setXRange(*full, padding=0)
        paint()

    t0 = time.perf_counter()
    zoom_out()
    zoom_first_ms = (time.perf_counter() - t0) * 1000
    chart.show_latest()
    paint()
    zoom_again_ms = _median_ms(lambda: (chart.show_latest(), zoom_out()), 3)
    drawn = chart.rsi_line.drawn_points()
    plot_px = int(chart.rsi_plot.getViewBox().width())
    rss_zoomed = _rss_mib()
    chunks = sum(item.cached_chunks() for item in (chart.candles, chart.volume_bars, chart.macd_hist_bars))
    chart.close()
    return {
        "bars": bars,
        "load_ms": round(load_ms, 1),
        "repaint_ms": round(repaint_ms, 2),
        "pan_ms": round(pan_ms, 2),
        "tick_ms": round(tick_ms, 2),
        "new_bar_ms": round(new_bar_ms, 2),
        "new_bar_rebase_ms": round(rebase_ms, 2),
        "zoom_out_first_ms": round(zoom_first_ms, 1),
        "zoom_out_ms": round(zoom_again_ms, 1),
        "drawn_points_full_range": drawn,
        "plot_width_px": plot_px,
        "rss_before_load_mib": round(rss_start, 1),
        "rss_loaded_mib": round(rss_loaded, 1),
        "rss_after_zoom_mib": round(rss_zoomed, 1),
        "cached_chunks": chunks,
    }


def _ratio(ms: float, target: float) -> str:
    return f"{ms:8.2f} ms  ({ms / target:5.2f} x the {target:g} ms target)"


def lines(f: dict[str, Any]) -> list[str]:
    """The figures as text, each against its target."""
    return [
        f"bench chart: {f['bars']:,} 1-minute bars, 1600x900, last 150 bars in view",
        f"load + first paint {f['load_ms']:10.1f} ms",
        f"repaint           {_ratio(f['repaint_ms'], FRAME_MS)}",
        f"pan 40 bars       {_ratio(f['pan_ms'], FRAME_MS)}",
        f"live tick         {_ratio(f['tick_ms'], FRAME_MS)}",
        f"new bar           {_ratio(f['new_bar_ms'], FRAME_MS)}",
        f"every 256th bar   {_ratio(f['new_bar_rebase_ms'], FRAME_MS)}  (the lines take over their tails)",
        f"zoom out (first)  {_ratio(f['zoom_out_first_ms'], ZOOM_TARGET_MS)}",
        f"zoom out (again)  {_ratio(f['zoom_out_ms'], ZOOM_TARGET_MS)}",
        f"RSI points drawn at the full range: {f['drawn_points_full_range']:,} for a plot "
        f"{f['plot_width_px']} px wide",
        f"memory: {f['rss_before_load_mib']:.0f} MiB before the chart, {f['rss_loaded_mib']:.0f} MiB loaded, "
        f"{f['rss_after_zoom_mib']:.0f} MiB after the zoom out; {f['cached_chunks']:,} cached chunk pictures",
    ]


def register_bench(bench_subparsers: Any) -> None:
    """Add ``bench chart``."""
    p = bench_subparsers.add_parser("chart", help="chart repaint, pan, tick, new bar and zoom-out times")
    p.add_argument("--bars", type=int, default=1_000_000, help="1-minute bars of history (default 1,000,000)")
    p.add_argument("--repeats", type=int, default=15, help="repeats per step; the median is printed")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``bench chart``; 0 ok, 2 bad input."""
    out = out or sys.stdout
    if args.bars < 200:
        sys.stderr.write("trader-app bench chart: error: --bars must be >= 200\n")
        return 2
    figures = bench(args.bars, max(1, args.repeats))
    out.write(json.dumps(figures) + "\n" if args.json else "\n".join(lines(figures)) + "\n")
    return 0
