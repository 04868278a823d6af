"""``trader-app report --period daily|weekly [--date D] [--scope all|account:ID|group:NAME] [--out FILE.html]
[--json]``: make a report now from the data directory's store, save it there (the Reports panel lists it) and
write its page.

Without ``--date`` the last closed period of the scope's market (``periods.py``); with it, the day (daily) or
the Saturday-to-Friday week containing it (weekly). ``--json`` prints the report (``build.py``): each
section's ``metrics`` share their keys with ``trader-app backtest --json``'s ``metrics`` where they overlap.
The page goes to ``--out`` or ``<data dir>/reports/<period>-<scope>-<first day>.html``. Exit 0 when done, 2
with the reason on stderr (an unknown scope, a malformed date, an unreadable store).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, TextIO


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(subparsers: Any) -> None:
    """Add ``report``."""
    p = subparsers.add_parser("report", help="make a daily or weekly report now",
                              description="Make a daily or weekly report (equity, PnL, drawdown, Sharpe/Sortino, "
                                          "trades, signals, risk events), store it and write its HTML page.")
    p.add_argument("--period", choices=("daily", "weekly"), required=True,
                   help="daily: one day (UTC for crypto); weekly: Saturday to Friday")
    p.add_argument("--date", type=_day, default=None, metavar="YYYY-MM-DD",
                   help="a day of the period (default: the last closed one)")
    p.add_argument("--scope", default="all", metavar="SCOPE", help="all (default), account:ID or group:NAME")
    p.add_argument("--out", metavar="FILE.html", default=None, help="write the page here")
    p.add_argument("--json", action="store_true", help="print the report as one JSON object")
    p.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS, help="data directory")
    p.set_defaults(func=run)


def page_path(data_dir: Path, period: str, scope: str, start_ms: int) -> Path:
    """``<data dir>/reports/<period>-<scope with : as _>-<first day>.html``."""
    first = datetime.fromtimestamp(start_ms / 1000, tz=timezone.utc).date()
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in scope)
    return data_dir / "reports" / f"{period}-{safe}-{first}.html"


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run the command; returns the exit code."""
    from ..config import Settings, resolve_data_dir
    from ..core.errors import TraderError
    from ..store import Store
    from .service import ReportService

    out = out or sys.stdout
    try:
        data_dir = resolve_data_dir(getattr(args, "data_dir", None))
        settings = Settings.load(data_dir)
        store = Store.open(data_dir / "trader.db")
        try:
            service = ReportService(store, settings, None)
            stored = asyncio.run(service.make(args.period, args.date, args.scope))
        finally:
            store.close()
        target = Path(args.out) if args.out else page_path(data_dir, stored.period, stored.scope, stored.start_ms)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(stored.html, encoding="utf-8")
    except (TraderError, OSError) as exc:
        print(f"trader-app report: {exc}", file=sys.stderr)
        return 2
    if args.json:
        out.write(json.dumps(stored.metrics) + "\n")
    else:
        out.write(stored.metrics["summary"] + "\n")
        out.write(f"report #{stored.id} saved; page: {target}\n")
    return 0
