"""A report as one self-contained HTML page (UTF-8): summary (and the model's narrative with its prompt),
then per currency the numbers, the equity picture (a PNG inline as a ``data:`` URI, so the page opens the
same in a browser, in the app's Reports panel and as a file sent elsewhere), the trades; then the signals
with each account's outcome, the risk events and the rejected orders.

Plain HTML 4 tables and a small stylesheet: Qt's rich-text engine (``QTextBrowser``) draws it as a browser does.
"""

from __future__ import annotations

import base64
import html
import re
from decimal import Decimal
from typing import Any

from ..analytics.period import PERIOD_METRIC_KEYS

LABELS = {
    "start": "period start (UTC)", "end": "period end (UTC)", "equity_start": "equity at start",
    "final_equity": "equity at end", "net_deposits": "net deposits", "pnl": "PnL", "total_return_pct": "return %",
    "realized_pnl": "realized PnL", "unrealized_pnl_change": "unrealized PnL change", "commissions": "fees",
    "max_drawdown_pct": "max drawdown %", "volatility_ann_pct": "volatility (ann.) %", "sharpe": "Sharpe (hourly)",
    "sortino": "Sortino (hourly)", "trades": "trades closed", "win_rate_pct": "win rate %",
    "profit_factor": "profit factor", "best_trade_pnl": "best trade", "worst_trade_pnl": "worst trade",
    "fills": "fills", "traded_notional": "traded notional",
}
TRADE_COLUMNS = ("account", "symbol", "side", "quantity", "entry_time", "exit_time", "entry_price", "exit_price",
                 "pnl", "return_pct", "commission")
MAX_TRADE_ROWS = 300


def _e(value: Any) -> str:
    return html.escape(str(value))


def value_text(key: str, value: Any) -> str:
    """A metric as a person reads it: money with thousands separators and 2 places (8 for coins' small
    amounts), ratios with 2 places, ``-`` when undefined."""
    if value is None:
        return "-"
    if key in ("start", "end"):
        return when(str(value))
    if isinstance(value, str):
        d = Decimal(value)
        return f"{d:,.2f}" if abs(d) >= 1 or d == 0 else f"{d:,.8f}".rstrip("0")
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else _e(value)


def when(iso: str) -> str:
    """``2026-12-04T06:00:00Z`` -> ``2026-12-04 06:00`` (UTC, to the minute)."""
    return iso.replace("T", " ")[:16]


def _sign_class(key: str, value: Any) -> str:
    if key in ("pnl", "realized_pnl", "unrealized_pnl_change", "total_return_pct") and value is not None:
        v = float(value)
        return ' class="up"' if v > 0 else (' class="down"' if v < 0 else "")
    return ""


_NUMBER = re.compile(r"^[-+]?[\d,]*\.?\d+$")


def _table(head: list[str], rows: list[list[str]]) -> str:
    """A table; numbers right-aligned, text left-aligned."""
    h = "".join(f"<th>{_e(c)}</th>" for c in head)
    body = "\n".join("<tr>" + "".join(f'<td class="{"n" if _NUMBER.match(c) else "t"}">{c}</td>' for c in row)
                     + "</tr>" for row in rows)
    return f'<table cellspacing="0" cellpadding="4"><tr>{h}</tr>\n{body}</table>'


def _section(section: dict[str, Any], png: bytes | None, names: dict[str, str]) -> str:
    m = section["metrics"]
    rows = "\n".join(f"<tr><th>{_e(LABELS[k])}</th><td{_sign_class(k, m[k])}>{value_text(k, m[k])}</td></tr>"
                     for k in PERIOD_METRIC_KEYS)
    parts = [f"<h2>{_e(section['currency'])}</h2>",
             f'<table class="metrics" cellspacing="0" cellpadding="4">{rows}</table>']
    if section["other_fees"]:
        parts.append("<p>Fees paid in other assets: " + _e(", ".join(f"{v} {k}" for k, v in section["other_fees"].items()))
                     + "</p>")
    if png:
        data = base64.b64encode(png).decode("ascii")
        parts.append(f'<p><img src="data:image/png;base64,{data}" width="1000" alt="equity curve and drawdown"></p>')
    trades = section["trades"]
    parts.append(f"<h3>Trades closed ({len(trades)})</h3>")
    if trades:
        for label, key in (("Best", "best_trade"), ("Worst", "worst_trade")):
            t = section[key]
            parts.append(f"<p>{label}: {_e(t['symbol'])} {_e(t['side'])} {_e(t['quantity'])} on "
                         f"{_e(names.get(t['account_id'], t['account_id']))}, PnL {_e(t['pnl'])} ({_e(t['return_pct'])} %)</p>")
        shown = trades[-MAX_TRADE_ROWS:]
        if len(shown) < len(trades):
            parts.append(f"<p>The last {len(shown)} are listed.</p>")
        rows_t = [[_e(names.get(t["account_id"], t["account_id"]) if c == "account"
                      else when(t[c]) if c.endswith("_time") else t[c]) for c in TRADE_COLUMNS] for t in shown]
        parts.append(_table(list(TRADE_COLUMNS), rows_t))
    return "\n".join(parts)


# The page's light colours and their dark counterparts, for the Reports panel's preview in the window's dark
# theme (the stored page, the browser's copy and Telegram keep the light ones).
DARK_COLOURS = {"background: #ffffff": "background: #15181d", "color: #1d1d1f": "color: #d7dce2",
                "border: 1px solid #cfd3d8": "border: 1px solid #343a44", "background: #eef1f4": "background: #222831",
                "color: #1b7f3b": "color: #26a69a", "color: #c62828": "color: #ef5350", "color: #555": "color: #8a93a0",
                "background: #f5f6f8": "background: #1b1f26"}


def dark_page(html: str) -> str:
    """``html`` (a page of :func:`render_html`) with its stylesheet's colours swapped for the dark theme's."""
    head, sep, rest = html.partition("</style>")
    if not sep:
        return html
    for light, dark in DARK_COLOURS.items():
        head = head.replace(light, dark)
    return head + sep + rest


def render_html(report: dict[str, Any], pngs: dict[str, bytes] | None = None) -> str:
    """The page of ``report`` (``build.build_report``); ``pngs``: ``{currency: PNG}`` from
    ``plot.section_pngs`` (None: no pictures)."""
    pngs = pngs or {}
    names = {a["account_id"]: a["name"] for a in report["accounts"]}
    title = f"Trader App report: {report['label']}, {report['scope_name']}"
    summary = "<br>".join(_e(line) for line in report["summary"].splitlines())
    narrative = ""
    n = report.get("narrative")
    if n:
        narrative = (f"<h2>Narrative ({_e(n['model'])})</h2><p>{'<br>'.join(_e(x) for x in n['text'].splitlines())}</p>"
                     f"<p class=\"small\">Written by the model from this report's numbers only. The prompt:</p>"
                     f"<pre>{_e(n['prompt'])}</pre>")
    sections = "\n".join(_section(s, pngs.get(s["currency"]), names) for s in report["sections"]) \
        or "<p>No account in this scope.</p>"
    sig = report["signals"]
    sig_rows = []
    for s in sig["list"]:
        outcome = "<br>".join(f"{_e(r['account'] or r['account_id'])}: {_e(r['status'])}"
                              + (f" ({_e(r['error'])})" if r["error"] else "") for r in s["results"]) or "-"
        sig_rows.append([_e(when(s["time"])), _e(s["source"]), _e(s["group"]), _e(s["symbol"]), _e(s["side"]),
                         "duplicate" if s["duplicate"] else outcome])
    outcomes = ", ".join(f"{v} {_e(k)}" for k, v in sig["outcomes"].items()) or "none"
    risk_rows = [[_e(when(e["time"])), _e(names.get(e["account_id"], e["account_id"])), _e(e["kind"]), _e(e["reason"])]
                 for e in report["risk_events"]]
    rej_rows = [[_e(when(r["time"])), _e(r["account"]), _e(r["symbol"]), _e(r["side"]), _e(r["reason"])]
                for r in report["rejections"]]
    accounts = ", ".join(f"{a['name']} ({a['broker']})" for a in report["accounts"]) or "none"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #ffffff; color: #1d1d1f; margin: 24px; font-size: 14px; }}
table {{ border-collapse: collapse; margin: 8px 0 16px 0; font-size: 13px; }}
th, td {{ border: 1px solid #cfd3d8; padding: 3px 8px; text-align: right; }}
td.t {{ text-align: left; }}
th {{ background: #eef1f4; text-align: left; font-weight: 600; }}
.up {{ color: #1b7f3b; }} .down {{ color: #c62828; }}
.small {{ color: #555; font-size: 12px; }}
pre {{ background: #f5f6f8; border: 1px solid #cfd3d8; padding: 8px; white-space: pre-wrap; font-size: 12px; }}
h1 {{ font-size: 20px; }} h2 {{ font-size: 16px; margin-top: 24px; }} h3 {{ font-size: 14px; }}
</style></head><body>
<h1>{_e(title)}</h1>
<p class="small">Period {_e(when(report['start']))} to {_e(when(report['end']))} UTC ({_e(report['market'])} calendar)
&middot; generated {_e(when(report['generated']))} UTC &middot; accounts: {_e(accounts)}</p>
<h2>Summary</h2>
<p>{summary}</p>
{narrative}
{sections}
<h2>Signals: {sig['received']} received ({outcomes})</h2>
{_table(["time", "source", "group", "symbol", "side", "outcome per account"], sig_rows) if sig_rows else "<p>None.</p>"}
<h2>Risk events ({len(risk_rows)})</h2>
{_table(["time", "account", "event", "reason"], risk_rows) if risk_rows else "<p>None.</p>"}
<h2>Rejected orders ({len(rej_rows)})</h2>
{_table(["time", "account", "symbol", "side", "reason"], rej_rows) if rej_rows else "<p>None.</p>"}
</body></html>
"""
