"""``trader-app bench ui``: the demo market at a given quote rate through the bus into the open window.

What runs is the app itself: ``build_services`` (store, paper exchange, order manager, portfolio, market
service with its bar aggregator) and the ``MainWindow`` (offscreen when ``QT_QPA_PLATFORM=offscreen``), with
every symbol on the watchlist. The demo market publishes ``--rate`` quotes/s spread over ``--symbols``
symbols for ``--seconds``. Printed:

- quotes published (the bus's QuoteEvents) and quotes handled by the window's bridge, total and per second;
- bridge flushes per second and the watchlist rows repainted per flush;
- event-loop lag p50/p99/max in ms, measured by a periodic asyncio timer: each wake-up's lateness
  ``actual - expected`` (``loop.time()``), every ``--probe-ms`` ms.

Target (issue 2): every quote handled and p99 lag < 50 ms on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.events import QuoteEvent


@dataclass
class UiBenchResult:
    """Figures of one run (per second = over the measured ``seconds``)."""

    symbols: int
    target_rate: float
    seconds: float
    published: int
    handled: int
    flushes: int
    rows_repainted: int
    lag_ms: list[float]

    @property
    def lag_p50(self) -> float:
        return percentile(self.lag_ms, 50)

    @property
    def lag_p99(self) -> float:
        return percentile(self.lag_ms, 99)

    @property
    def all_handled(self) -> bool:
        return self.published > 0 and self.handled == self.published

    def lines(self) -> list[str]:
        s = self.seconds
        return [
            f"bench ui: {self.symbols} symbols, target {self.target_rate:,.0f} quotes/s, {s:g} s measured",
            f"quotes published: {self.published:,} ({self.published / s:,.0f}/s)",
            f"quotes handled:   {self.handled:,} ({self.handled / s:,.0f}/s)"
            f" - {'all handled' if self.all_handled else f'{self.published - self.handled:,} NOT handled'}",
            f"bridge flushes:   {self.flushes:,} ({self.flushes / s:.1f}/s), "
            f"{self.rows_repainted / max(self.flushes, 1):,.0f} watchlist rows repainted per flush",
            f"event-loop lag:   p50 {self.lag_p50:.1f} ms, p99 {self.lag_p99:.1f} ms, "
            f"max {max(self.lag_ms, default=0.0):.1f} ms ({len(self.lag_ms)} samples)",
            f"target (all handled, p99 < 50 ms): {'met' if self.all_handled and self.lag_p99 < 50 else 'NOT met'}",
        ]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0..100) of ``values``; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-pct * len(ordered) // 100))))
    return ordered[rank - 1]


class LagProbe:
    """A periodic asyncio timer recording how late each wake-up is (ms): ``loop.time()`` after
    ``asyncio.sleep(period)`` minus the time it was due."""

    def __init__(self, period_s: float = 0.01) -> None:
        self.period_s = period_s
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self.period_s
            await asyncio.sleep(self.period_s)
            self.samples.append(max(0.0, (loop.time() - due) * 1000.0))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass


async def bench_ui(data_dir: Path, symbols: int, rate: float, seconds: float, probe_ms: float = 10.0,
                   warmup_s: float = 1.0) -> UiBenchResult:
    """Run the bench on ``data_dir`` (must be empty or a bench dir). Returns the figures."""
    from ..app import build_services
    from ..app.window import open_window
    from ..config import Settings

    settings = Settings()
    settings.demo.tick_rate = rate
    settings.demo.symbols = []
    services = build_services(data_dir, settings, demo=False, extra_symbols=max(0, symbols - 5),
                              start_webhook=False)
    window = None
    probe = LagProbe(probe_ms / 1000.0)
    published = [0]

    def count(_event: QuoteEvent) -> None:
        published[0] += 1

    try:
        await services.start()
        instruments = services.market.instruments()[:symbols]
        for inst in instruments:
            await services.market.add_to_watchlist(inst.symbol)
        window = await open_window(services)
        unsubscribe = services.bus.subscribe(QuoteEvent, count)
        services.market.start_demo(rate, backfill=False)
        await asyncio.sleep(warmup_s)
        window.bridge.flush()
        pub0, handled0 = published[0], window.bridge.quotes_received
        flushes0 = window.bridge.flushes
        rows0 = window.watchlist.model.changed_rows
        probe.start()
        t0 = time.perf_counter()
        await asyncio.sleep(seconds)
        await services.market.stop()  # no more quotes: what was published must all be handled
        elapsed = time.perf_counter() - t0
        await probe.stop()
        unsubscribe()
        window.bridge.flush()
        return UiBenchResult(
            symbols=len(instruments),
            target_rate=rate,
            seconds=elapsed,
            published=published[0] - pub0,
            handled=window.bridge.quotes_received - handled0,
            flushes=window.bridge.flushes - flushes0,
            rows_repainted=window.watchlist.model.changed_rows - rows0,
            lag_ms=probe.samples,
        )
    finally:
        if window is not None:
            window.close()
        await services.stop()


def run(args: argparse.Namespace) -> int:
    """Entry point of ``trader-app bench ui``; exit code 0 when the target is met, 1 otherwise."""
    from ..app.window import run_on_qasync

    if args.symbols < 1 or args.rate <= 0 or args.seconds <= 0 or args.probe_ms <= 0:
        print("trader-app bench ui: --symbols >= 1, --rate, --seconds and --probe-ms > 0", flush=True)
        return 2
    logging.getLogger("trader_app").setLevel(logging.WARNING)

    async def main(directory: Path) -> int:
        result = await bench_ui(directory, args.symbols, args.rate, args.seconds, args.probe_ms)
        for line in result.lines():
            print(line, flush=True)
        return 0 if result.all_handled and result.lag_p99 < 50 else 1

    with tempfile.TemporaryDirectory(prefix="trader-app-bench-") as tmp:
        return run_on_qasync(lambda: main(Path(tmp)))


def register_bench(bench_subparsers: Any) -> None:
    """Add ``ui`` under ``trader-app bench``."""
    p = bench_subparsers.add_parser("ui", help="quotes through the bus into the open window; loop lag")
    p.add_argument("--symbols", type=int, default=500, help="number of symbols (default 500)")
    p.add_argument("--rate", type=float, default=20000.0, help="quotes per second over all symbols (default 20000)")
    p.add_argument("--seconds", type=float, default=10.0, help="measured duration (default 10)")
    p.add_argument("--probe-ms", type=float, default=10.0, help="lag probe period in ms (default 10)")
    p.set_defaults(func=run)
