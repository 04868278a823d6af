"""``trader-app bench report``: how long a weekly report of all accounts takes on a busy book.

A temporary store gets ``--accounts`` paper accounts, each with a week of equity at one point per minute
(10,080 points, as the performance tracker saves it), ``--fills`` fills (round trips on three symbols) and
``--signals`` signals fanned out to every account, in the week Saturday 2026-11-28 to Friday 2026-12-04.
Then, each timed on the wall clock (median of ``--repeats``, ms):

- ``numbers``: ``build_report`` (store reads, trades, metrics, signals with each order's final status);
- ``picture``: the equity PNG (matplotlib Agg);
- ``page``: the HTML page;
- ``make``: the whole ``ReportService.make`` as the app runs it (equity from the running tracker, the three
  steps, saving the report in the store).

Printed beside them: fills per second through ``numbers``, the stored report's size (JSON and HTML bytes),
and the latency of store writes made every 5 ms during ``make`` (as the order journal makes them: a report
must not hold them; its reads run off the store's worker thread).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

WEEK_START_MS = int(datetime(2026, 11, 28, tzinfo=timezone.utc).timestamp() * 1000)
MINUTE_MS = 60_000


def fill_store(store: Any, accounts: int, fills: int, signals: int, seed: int = 11) -> list[str]:
    """Write the synthetic week into ``store``; returns the account ids."""
    import numpy as np

    from ..analytics.tracker import KV_KEY
    from ..core import Account, AccountMode, Fill, Side
    from ..core.enums import SignalSource
    from ..core.groups import SignalRecord

    rng = np.random.default_rng(seed)
    ids = [f"bench-{k:03d}" for k in range(accounts)]
    series = {}
    for acc in ids:
        store.accounts.save(Account(acc, f"Bench {acc[-3:]}", "paper", AccountMode.PAPER, "USDT"))
        equity = 10_000 * np.cumprod(1 + rng.normal(0, 0.0004, 7 * 1440))
        series[f"{acc}|USDT"] = [[WEEK_START_MS + i * MINUTE_MS, round(float(e), 2)] for i, e in enumerate(equity)]
        batch = []
        step = 7 * 86_400_000 // max(fills, 1)
        for i in range(fills):
            symbol = ("BTC/USDT", "ETH/USDT", "SOL/USDT")[(i // 2) % 3]
            side = Side.BUY if i % 2 == 0 else Side.SELL
            price = Decimal(str(round(100 * (1 + rng.normal(0, 0.01)), 2)))
            batch.append(Fill(f"{acc}-{i}", acc, f"c-{acc}-{i}", symbol, side, price, Decimal("1"), Decimal("0.1"),
                              "USDT", WEEK_START_MS + i * step))
        store.fills.add_many(batch)
    store.kv.set(KV_KEY, series)
    for s in range(signals):
        results = tuple({"account_id": acc, "status": "FILLED", "client_order_id": f"c-{acc}-{s}"} for acc in ids)
        store.signals.save(SignalRecord(f"sig-{s}", SignalSource.WEBHOOK, "bench", {"symbol": "BTC/USDT", "side": "buy"},
                                        WEEK_START_MS + s * 3_600_000, results=results))
    return ids


async def _make_while_journalling(service: Any, store: Any) -> tuple[Any, list[float]]:
    """Make the weekly report while writing to the store every 5 ms, as the journal does for orders; returns
    the report and each write's latency (ms)."""
    latencies: list[float] = []
    task = asyncio.ensure_future(service.make("weekly", date(2026, 12, 4)))
    n = 0
    while not task.done():
        t = time.perf_counter()
        await store.run(store.kv.set, "bench.journal", n)
        latencies.append((time.perf_counter() - t) * 1000)
        n += 1
        await asyncio.sleep(0.005)
    return await task, latencies


def bench(accounts: int, fills: int, signals: int, repeats: int) -> dict[str, Any]:
    """Run the steps; returns the figures."""
    from ..analytics.tracker import KV_KEY, PerformanceTracker
    from ..config import Settings
    from ..heap import settle_heap
    from ..reports.build import build_report
    from ..reports.periods import period_bounds
    from ..reports.plot import section_pngs
    from ..reports.render import render_html
    from ..reports.service import ReportService
    from ..store import Store

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "trader.db")
        try:
            t0 = time.perf_counter()
            fill_store(store, accounts, fills, signals)
            setup_s = time.perf_counter() - t0
            start, end = period_bounds("weekly", date(2026, 12, 4))
            now = end + 600_000
            timings: dict[str, list[float]] = {"numbers": [], "picture": [], "page": [], "make": []}
            report: dict[str, Any] = {}
            pngs: dict[str, bytes] = {}
            for _ in range(repeats):
                t = time.perf_counter()
                report = build_report(store, "weekly", "all", start, end, now)
                timings["numbers"].append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                pngs = section_pngs(report)
                timings["picture"].append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                render_html(report, pngs)
                timings["page"].append((time.perf_counter() - t) * 1000)
            tracker = PerformanceTracker(bus=None)  # as in the app: the running tracker's series
            tracker.load_saved(store.kv.get(KV_KEY))
            service = ReportService(store, Settings(), None, tracker=tracker, clock=lambda: now)
            settle_heap()  # as the app does once started
            writes: list[float] = []
            for _ in range(repeats):
                t = time.perf_counter()
                stored, lat = asyncio.run(_make_while_journalling(service, store))
                timings["make"].append((time.perf_counter() - t) * 1000)
                writes += lat
        finally:
            store.close()
    med = {k: round(statistics.median(v), 1) for k, v in timings.items()}
    total_fills = accounts * fills
    return {
        "accounts": accounts, "fills": total_fills, "signals": signals, "equity_points": accounts * 7 * 1440,
        "setup_s": round(setup_s, 1), "ms": med,
        "fills_per_s_numbers": round(total_fills / (med["numbers"] / 1000)) if med["numbers"] else None,
        "trades": report["sections"][0]["metrics"]["trades"] if report.get("sections") else 0,
        "json_bytes": len(json.dumps(stored.metrics)), "html_bytes": len(stored.html),
        "png_bytes": sum(len(p) for p in pngs.values()),
        "store_writes_during_make": len(writes),
        "store_write_ms_p50": round(statistics.median(writes), 1) if writes else None,
        "store_write_ms_max": round(max(writes), 1) if writes else None,
    }


def lines(f: dict[str, Any]) -> list[str]:
    """The figures as the lines ``bench report`` prints."""
    m = f["ms"]
    return [
        f"weekly report of {f['accounts']} accounts: {f['fills']:,} fills, {f['signals']:,} signals x {f['accounts']} "
        f"accounts, {f['equity_points']:,} equity points (store filled in {f['setup_s']} s)",
        f"numbers {m['numbers']} ms ({f['fills_per_s_numbers']:,} fills/s, {f['trades']:,} trades), picture "
        f"{m['picture']} ms, page {m['page']} ms, whole make (with the store write) {m['make']} ms",
        f"stored: JSON {f['json_bytes']:,} bytes, HTML {f['html_bytes']:,} bytes (PNG {f['png_bytes']:,} bytes)",
        f"store writes (as the order journal makes them) while the report was made: {f['store_writes_during_make']}, "
        f"p50 {f['store_write_ms_p50']} ms, max {f['store_write_ms_max']} ms",
    ]


def register_bench(bench_subparsers: Any) -> None:
    """Add ``bench report``."""
    p = bench_subparsers.add_parser("report", help="time a weekly report of a busy book")
    p.add_argument("--accounts", type=int, default=20)
    p.add_argument("--fills", type=int, default=500, help="fills per account in the week")
    p.add_argument("--signals", type=int, default=100)
    p.add_argument("--repeats", type=int, default=3, help="repeats per step; the median is printed")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``bench report``; 0 ok, 2 bad input."""
    out = out or sys.stdout
    if args.accounts < 1 or args.fills < 0 or args.signals < 0:
        sys.stderr.write("trader-app bench report: error: --accounts >= 1, --fills and --signals >= 0\n")
        return 2
    figures = bench(args.accounts, args.fills, args.signals, max(1, args.repeats))
    out.write(json.dumps(figures) + "\n" if args.json else "\n".join(lines(figures)) + "\n")
    return 0
