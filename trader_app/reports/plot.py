"""The equity-curve picture of a report section: a PNG (matplotlib's Agg renderer, no display needed), used
in the HTML page, the Reports panel and the Telegram daily report.

Two panes share the time axis (UTC): equity in the section's currency above, drawdown in percent below
(``(e / running peak - 1) x 100``, filled).
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from typing import Any

import numpy as np

WIDTH_IN, HEIGHT_IN, DPI = 10.0, 4.2, 100
MINUTE_MS, DAY_MS = 60_000, 86_400_000


def time_axis_format(span_ms: int) -> str:
    """The ``strftime`` format of the time axis' labels for a curve spanning ``span_ms``: one unit a label,
    never a mix (matplotlib's concise labels read "21:37 / 05 / 10" over a few minutes)."""
    if span_ms <= 10 * MINUTE_MS:
        return "%H:%M:%S"
    if span_ms <= 2 * DAY_MS:
        return "%H:%M"
    if span_ms <= 16 * DAY_MS:
        return "%a %d %b"
    return "%d %b %Y"


def equity_png(points: list[list[float]], currency: str, title: str) -> bytes:
    """PNG bytes of ``points`` (``[[t_ms, equity], ...]`` in time order). With fewer than two points the
    picture says there is no curve to draw."""
    fig = equity_figure(points, currency, title)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def equity_figure(points: list[list[float]], currency: str, title: str) -> Any:
    """The matplotlib ``Figure`` of :func:`equity_png` (equity above, drawdown below, UTC time axis labelled
    with :func:`time_axis_format`, the day named in the axis title for spans of up to two days)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, DateFormatter
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 1, height_ratios=(3, 1), hspace=0.08)
    ax = fig.add_subplot(grid[0])
    dd_ax = fig.add_subplot(grid[1], sharex=ax)
    ax.set_title(title, fontsize=11, loc="left")
    if len(points) >= 2:
        times = [datetime.fromtimestamp(t / 1000, tz=timezone.utc) for t, _ in points]
        equity = np.asarray([e for _, e in points], dtype=np.float64)
        peak = np.maximum.accumulate(equity)
        drawdown = np.where(peak > 0, equity / np.where(peak > 0, peak, 1.0) - 1.0, 0.0) * 100.0
        ax.plot(times, equity, color="#1565c0", linewidth=1.4)
        dd_ax.fill_between(times, drawdown, 0.0, color="#e53935", alpha=0.5, linewidth=0)
        span = int(points[-1][0] - points[0][0])
        dd_ax.xaxis.set_major_locator(AutoDateLocator(tz=timezone.utc, minticks=3, maxticks=9))
        dd_ax.xaxis.set_major_formatter(DateFormatter(time_axis_format(span), tz=timezone.utc))
        days = {t.date() for t in (times[0], times[-1])}
        dd_ax.set_xlabel("UTC, " + " to ".join(sorted(d.isoformat() for d in days)) if span <= 2 * DAY_MS else "UTC")
        dd_ax.set_ylim(top=0.0, bottom=min(float(drawdown.min()) * 1.1, -0.01))
    else:
        ax.text(0.5, 0.5, "no equity curve in this period", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylabel(currency)
    dd_ax.set_ylabel("drawdown %")
    if not dd_ax.get_xlabel():
        dd_ax.set_xlabel("UTC")
    ax.tick_params(labelbottom=False)
    ax.ticklabel_format(axis="y", style="plain", useOffset=False)
    for a in (ax, dd_ax):
        a.grid(True, color="#dddddd", linewidth=0.6)
    fig.subplots_adjust(left=0.09, right=0.98, top=0.92, bottom=0.13)
    return fig


def section_pngs(report: dict[str, Any]) -> dict[str, bytes]:
    """``{currency: PNG}`` for every section of a report."""
    return {s["currency"]: equity_png(s["equity"], s["currency"], f"{report['label']}, {report['scope_name']}: "
                                      f"equity ({s['currency']})") for s in report["sections"]}
