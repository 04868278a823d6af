"""The HTML report of a backtest: equity curve and drawdown (PNG, embedded as base64), the metrics table
and the trades.

The PNG is painted with ``QPainter`` into a ``QImage`` (no window, no matplotlib). Qt is imported only
here and only when a report is made; without a running ``QApplication`` one is created on the
``offscreen`` platform unless ``QT_QPA_PLATFORM`` says otherwise.
"""

from __future__ import annotations

import base64
import html
import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ..analytics import METRIC_KEYS, metrics_to_json
from .result import TRADE_ROW_KEYS, BacktestResult

MAX_TRADE_ROWS = 5_000  # more trades: the first and last half of this many are listed


def _app() -> Any:
    # A QApplication (not just QGuiApplication): if this process later shows widgets (the app, tests), the
    # one application instance it can have must be a widgets one.
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication([])
    return app


def _envelope(y: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """Min/max per pixel column (keeps every extreme of a long curve). Returns (x index, y) pairs."""
    n = y.size
    if n <= 2 * columns:
        return np.arange(n, dtype=np.float64), y
    edges = np.linspace(0, n, columns + 1).astype(np.int64)
    lo = np.minimum.reduceat(y, edges[:-1])
    hi = np.maximum.reduceat(y, edges[:-1])
    xs = np.repeat(edges[:-1].astype(np.float64), 2)
    ys = np.empty(2 * columns)
    ys[0::2], ys[1::2] = lo, hi
    return xs, ys


def _fmt_axis(v: float) -> str:
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.2f}M"
    if a >= 1e4:
        return f"{v / 1e3:.1f}k"
    if a >= 100:
        return f"{v:.0f}"
    return f"{v:.2f}"


def render_equity_png(times_ms: np.ndarray, equity: np.ndarray, drawdown: np.ndarray,
                      width: int = 1000, height: int = 520, title: str = "") -> bytes:
    """PNG bytes: equity (top, 70 %) and drawdown in percent (bottom, filled) against time.

    Long curves are reduced to a min/max envelope per pixel column. Raises ``ValueError`` for arrays of
    different lengths.
    """
    if not (len(times_ms) == len(equity) == len(drawdown)):
        raise ValueError("times, equity and drawdown differ in length")
    _app()
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen

    img = QImage(width, height, QImage.Format.Format_ARGB32)
    img.fill(QColor("#1e1f24"))
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont()
    font.setPixelSize(12)
    p.setFont(font)
    left, right, top, gap, bottom = 70, 16, 28, 18, 28
    plot_w = width - left - right
    eq_h = int((height - top - gap - bottom) * 0.7)
    dd_h = height - top - gap - bottom - eq_h
    eq_rect = QRectF(left, top, plot_w, eq_h)
    dd_rect = QRectF(left, top + eq_h + gap, plot_w, dd_h)
    text = QColor("#c8c8c8")
    grid = QPen(QColor("#3a3c44"))
    p.setPen(text)
    p.drawText(QRectF(left, 4, plot_w, 20), Qt.AlignmentFlag.AlignLeft, title or "Equity")
    p.drawText(QRectF(left, top + eq_h + 2, plot_w, 16), Qt.AlignmentFlag.AlignLeft, "Drawdown %")
    n = len(equity)
    eq = np.asarray(equity, dtype=np.float64)
    dd = np.asarray(drawdown, dtype=np.float64) * 100.0
    if n:
        xs, ys = _envelope(eq, plot_w)
        lo, hi = float(np.nanmin(ys)), float(np.nanmax(ys))
        if not math.isfinite(lo) or hi == lo:
            lo, hi = (lo - 1, hi + 1) if math.isfinite(lo) else (0.0, 1.0)
        span_x = max(n - 1, 1)

        def px(x: float) -> float:
            return left + x / span_x * plot_w

        def py(v: float) -> float:
            return top + (hi - v) / (hi - lo) * eq_h

        for k in range(5):
            v = lo + (hi - lo) * k / 4
            y = py(v)
            p.setPen(grid)
            p.drawLine(QPointF(left, y), QPointF(left + plot_w, y))
            p.setPen(text)
            p.drawText(QRectF(0, y - 8, left - 6, 16), Qt.AlignmentFlag.AlignRight, _fmt_axis(v))
        path = QPainterPath(QPointF(px(xs[0]), py(ys[0])))
        for x, v in zip(xs[1:].tolist(), ys[1:].tolist()):
            path.lineTo(px(x), py(v))
        p.setPen(QPen(QColor("#4fc3f7"), 1.5))
        p.drawPath(path)
        # drawdown pane
        dxs, dys = _envelope(dd, plot_w)
        dlo = min(float(np.nanmin(dys)), -1e-9)

        def qy(v: float) -> float:
            return dd_rect.top() + (v / dlo) * dd_h

        p.setPen(grid)
        p.drawLine(QPointF(left, dd_rect.top()), QPointF(left + plot_w, dd_rect.top()))
        p.setPen(text)
        p.drawText(QRectF(0, dd_rect.top() - 8, left - 6, 16), Qt.AlignmentFlag.AlignRight, "0")
        p.drawText(QRectF(0, dd_rect.bottom() - 8, left - 6, 16), Qt.AlignmentFlag.AlignRight, f"{dlo:.1f}")
        area = QPainterPath(QPointF(px(dxs[0]), dd_rect.top()))
        for x, v in zip(dxs.tolist(), dys.tolist()):
            area.lineTo(px(x), qy(v))
        area.lineTo(px(dxs[-1]), dd_rect.top())
        area.closeSubpath()
        p.fillPath(area, QColor(239, 83, 80, 140))
        # time axis
        for frac in (0.0, 0.5, 1.0):
            k = int(round(frac * (n - 1)))
            label = datetime.fromtimestamp(int(times_ms[k]) / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
            x = px(k)
            align = Qt.AlignmentFlag.AlignLeft if frac == 0 else (Qt.AlignmentFlag.AlignRight if frac == 1 else Qt.AlignmentFlag.AlignHCenter)
            box = QRectF(x - (0 if frac == 0 else (150 if frac == 1 else 75)), height - bottom + 6, 150, 16)
            p.drawText(box, align, label)
    p.setPen(QPen(QColor("#5a5d66")))
    p.drawRect(eq_rect)
    p.drawRect(dd_rect)
    p.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def _cell(v: Any) -> str:
    if v is None:
        return "&ndash;"
    if isinstance(v, float):
        return f"{v:,.4f}"
    return html.escape(str(v))


def render_html(result: BacktestResult, png: bytes | None = None) -> str:
    """The whole report as one self-contained HTML page (UTF-8)."""
    if png is None:
        png = render_equity_png(result.times_ms, result.equity, result.drawdown,
                                title=f"{result.strategy} on {result.symbol}")
    metrics = metrics_to_json(result.metrics)
    params = ", ".join(f"{k}={v}" for k, v in result.params.items())
    rows = "\n".join(f"<tr><th>{html.escape(k)}</th><td>{_cell(metrics[k])}</td></tr>" for k in METRIC_KEYS)
    trades = result.trades
    note = ""
    if len(trades) > MAX_TRADE_ROWS:
        half = MAX_TRADE_ROWS // 2
        note = f"<p>{len(trades):,} trades; the first and last {half:,} are listed.</p>"
        trades = trades[:half] + trades[-half:]
    head = "".join(f"<th>{html.escape(k)}</th>" for k in TRADE_ROW_KEYS)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{_cell(row[k])}</td>" for k in TRADE_ROW_KEYS) + "</tr>"
        for row in (t.as_row() for t in trades)
    )
    b64 = base64.b64encode(png).decode("ascii")
    title = html.escape(f"Backtest: {result.strategy} on {result.symbol}")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #15161a; color: #ddd; margin: 24px; }}
table {{ border-collapse: collapse; margin: 12px 0; font-size: 13px; }}
th, td {{ border: 1px solid #333; padding: 3px 8px; text-align: right; }}
th {{ background: #23252b; text-align: left; }}
h1 {{ font-size: 20px; }} h2 {{ font-size: 16px; margin-top: 28px; }}
</style></head><body>
<h1>{title}</h1>
<p>Parameters: {html.escape(params) or "defaults"} &middot; initial cash {html.escape(str(result.initial_cash))}</p>
<img alt="equity curve and drawdown" src="data:image/png;base64,{b64}">
<h2>Metrics</h2>
<table>{rows}</table>
<h2>Trades ({len(result.trades):,})</h2>
{note}<table><tr>{head}</tr>
{body}
</table>
</body></html>
"""


def write_report(result: BacktestResult, path: str | Path) -> None:
    """Write :func:`render_html` to ``path``."""
    Path(path).write_text(render_html(result), encoding="utf-8")
