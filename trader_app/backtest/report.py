"""The HTML report of a backtest: equity curve and drawdown (an inline SVG), the metrics table and the trades.

The chart is SVG text written here (W3C SVG 1.1 ``path``/``text`` elements): no Qt, no matplotlib, so the
backtester runs in any process (the optimiser's workers, ``trader-app backtest`` on a server) and the page
stays one self-contained file that every browser draws sharp at any size.
"""

from __future__ import annotations

import html
import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from ..analytics import METRIC_KEYS, metrics_to_json
from .result import TRADE_ROW_KEYS, BacktestResult, wiped_out

MAX_TRADE_ROWS = 5_000  # more trades: the first and last half of this many are listed


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


def render_equity_svg(times_ms: np.ndarray, equity: np.ndarray, drawdown: np.ndarray,
                      width: int = 1000, height: int = 520, title: str = "") -> str:
    """An ``<svg>`` element: equity (top, 70 %) and drawdown in percent (bottom, filled; ``drawdown`` is a
    fraction <= 0) against time (epoch ms UTC, labelled at the start, middle and end).

    Long curves are reduced to a min/max envelope per pixel column. Raises ``ValueError`` for arrays of
    different lengths.
    """
    if not (len(times_ms) == len(equity) == len(drawdown)):
        raise ValueError("times, equity and drawdown differ in length")
    left, right, top, gap, bottom = 70, 16, 28, 18, 28
    plot_w = width - left - right
    eq_h = int((height - top - gap - bottom) * 0.7)
    dd_h = height - top - gap - bottom - eq_h
    dd_top = top + eq_h + gap
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="#1e1f24"/>',
           _text(left, 18, title or "Equity"), _text(left, top + eq_h + 14, "Drawdown %")]
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
            out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#3a3c44"/>')
            out.append(_text(left - 6, y + 4, _fmt_axis(v), "end"))
        line = " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in zip(xs.tolist(), ys.tolist()) if math.isfinite(v))
        out.append(f'<polyline points="{line}" fill="none" stroke="#4fc3f7" stroke-width="1.5"/>')
        dxs, dys = _envelope(dd, plot_w)
        dlo = min(float(np.nanmin(dys)), -1e-9)

        def qy(v: float) -> float:
            return dd_top + (v / dlo) * dd_h

        area = " ".join(f"{px(x):.1f},{qy(v):.1f}" for x, v in zip(dxs.tolist(), dys.tolist()) if math.isfinite(v))
        out.append(f'<polygon points="{px(dxs[0]):.1f},{dd_top} {area} {px(dxs[-1]):.1f},{dd_top}" '
                   f'fill="rgb(239,83,80)" fill-opacity="0.55"/>')
        out.append(_text(left - 6, dd_top + 4, "0", "end"))
        out.append(_text(left - 6, dd_top + dd_h + 4, f"{dlo:.1f}", "end"))
        for frac, anchor in ((0.0, "start"), (0.5, "middle"), (1.0, "end")):
            k = int(round(frac * (n - 1)))
            label = datetime.fromtimestamp(int(times_ms[k]) / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
            out.append(_text(px(k), height - bottom + 18, label, anchor))
    for y, h in ((top, eq_h), (dd_top, dd_h)):
        out.append(f'<rect x="{left}" y="{y}" width="{plot_w}" height="{h}" fill="none" stroke="#5a5d66"/>')
    out.append("</svg>")
    return "\n".join(out)


def _text(x: float, y: float, text: str, anchor: str = "start") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" fill="#c8c8c8" text-anchor="{anchor}">{html.escape(text)}</text>'


def _cell(v: Any) -> str:
    if v is None:
        return "&ndash;"
    if isinstance(v, float):
        return f"{v:,.4f}"
    return html.escape(str(v))


RANK_KEYS = ("total_return_pct", "sharpe", "max_drawdown_pct", "trades", "win_rate_pct")


def ranking_rows(optimization: dict[str, Any], top: int | None = None) -> list[list[str]]:
    """The grid's runs, best first, as text rows: rank, parameters, the ranking metric, then ``RANK_KEYS``."""
    key = optimization["maximize"]
    out = []
    for i, run in enumerate(optimization["runs"][:top] if top else optimization["runs"], 1):
        m = run["metrics"]
        params = ", ".join(f"{k}={v}" for k, v in run["params"].items())
        if wiped_out(run):
            params += " (wiped out)"
        out.append([str(i), params, _plain(m.get(key))] + [_plain(m.get(k)) for k in RANK_KEYS if k != key])
    return out


def ranking_header(optimization: dict[str, Any]) -> list[str]:
    key = optimization["maximize"]
    return ["#", "parameters", key] + [k for k in RANK_KEYS if k != key]


def _plain(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.4f}"
    return str(v)


def render_html(result: BacktestResult, optimization: dict[str, Any] | None = None) -> str:
    """The whole report as one self-contained HTML page (UTF-8), the chart inline as SVG; with
    ``optimization`` (the CLI's ``{"maximize", "grid", "runs", "skipped"}``) the grid and every run ranked."""
    svg = render_equity_svg(result.times_ms, result.equity, result.drawdown,
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
    title = html.escape(f"Backtest: {result.strategy} on {result.symbol}")
    wiped = (f'<p class="wiped">{html.escape(result.liquidation.text())}</p>\n'
             if result.liquidation is not None else "")
    grid_html = ""
    if optimization is not None:
        grid = "; ".join(f"{k} = {', '.join(str(x) for x in v)}" for k, v in optimization["grid"].items())
        head_o = "".join(f"<th>{html.escape(h)}</th>" for h in ranking_header(optimization))
        body_o = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                            for row in ranking_rows(optimization))
        skipped = optimization.get("skipped") or []
        note_o = f" ({len(skipped)} skipped)" if skipped else ""
        grid_html = (f"<h2>Optimisation: {len(optimization['runs']):,} runs ranked by "
                     f"{html.escape(optimization['maximize'])}</h2>\n<p>Grid: {html.escape(grid)}{note_o}</p>\n"
                     f"<table><tr>{head_o}</tr>\n{body_o}\n</table>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #15161a; color: #ddd; margin: 24px; }}
table {{ border-collapse: collapse; margin: 12px 0; font-size: 13px; }}
th, td {{ border: 1px solid #333; padding: 3px 8px; text-align: right; }}
th {{ background: #23252b; text-align: left; }}
.wiped {{ color: #ff6b6b; font-weight: bold; }}
h1 {{ font-size: 20px; }} h2 {{ font-size: 16px; margin-top: 28px; }}
</style></head><body>
<h1>{title}</h1>
<p>Parameters: {html.escape(params) or "defaults"} &middot; initial cash {html.escape(str(result.initial_cash))}</p>
{wiped}<figure role="img" aria-label="equity curve and drawdown">{svg}</figure>
<h2>Metrics</h2>
<table>{rows}</table>
{grid_html}
<h2>Trades ({len(result.trades):,})</h2>
{note}<table><tr>{head}</tr>
{body}
</table>
</body></html>
"""


def write_report(result: BacktestResult, path: str | Path, optimization: dict[str, Any] | None = None) -> None:
    """Write :func:`render_html` to ``path``."""
    Path(path).write_text(render_html(result, optimization), encoding="utf-8")
