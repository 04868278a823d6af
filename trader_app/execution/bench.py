"""``trader-app bench fanout``: how long one signal takes to reach every linked account.

Set-up: a ``FakeVenue`` on 127.0.0.1 (Starlette on uvicorn, in-process; by default on its own thread and
event loop, like a remote venue that does not share our loop; ``--venue loop`` runs it on the bench's loop)
answering every request after ``--latency-ms``; ``--accounts`` accounts, each with its own
``FakeVenueBroker`` (own httpx client and connection), attached to a real ``OrderManager`` (risk pipeline,
SQLite journal in a temporary directory) and linked to one FUTURES group (weight 0.01).

Measured (``loop.time()``):
- one round trip: ``FakeVenueBroker.place_order`` alone, one order at a time (adapter -> venue -> ack);
- per signal: from ``Executor.execute`` being called to the last account's venue acknowledgement
  ("signal-to-last-ack"), and to the signal being fully recorded (every order tracked and saved, the signal
  row written); p50/p99 over ``--signals`` signals (alternating MARKET buy/sell, qty_per 1);
- the same with the fan-out made sequential (``Executor(max_concurrency=1)``) for contrast.

The ratio is signal-to-last-ack p50 / one round trip p50 (the issue's target: <= 1.5 at 100 accounts).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import statistics
import tempfile
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..core.bus import EventBus
from ..core.enums import MarketType, OrderType, Side, SignalSource
from ..core.events import QuoteEvent
from ..core.groups import AccountLink, StrategyGroup
from ..core.ids import new_client_order_id, now_ms
from ..core.instrument import Instrument
from ..core.market_data import Quote
from ..core.orders import OrderRequest
from ..core.portfolio import Account
from .executor import Executor, new_signal
from .fakevenue import VENUE, FakeVenue, FakeVenueBroker
from .signal import SignalOrder, SignalOrderType

BENCH_SYMBOL = "BTC/USDT"
BENCH_PRICE = Decimal("30000")
BENCH_GROUP = "bench-fanout"


@dataclass
class FanoutFigures:
    """Times in milliseconds."""

    accounts: int
    latency_ms: float
    venue_mode: str
    round_trip: list[float]
    concurrent_ack: list[float]
    concurrent_done: list[float]
    sequential_ack: list[float]
    sequential_done: list[float]
    orders_ok: int
    orders_total: int


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation (``statistics.quantiles`` inclusive method)."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return values[0] if q <= 0 else cuts[min(98, max(0, int(round(q)) - 1))]


class _VenueRunner:
    """Runs a ``FakeVenue`` under uvicorn on the current loop or on a thread with its own loop."""

    def __init__(self, venue: FakeVenue, mode: str) -> None:
        self.venue = venue
        self.mode = mode
        self.server: Any = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    async def start(self) -> str:
        from ..webhook.server import WebhookServer

        if self.mode == "loop":
            self.server = WebhookServer(None, "127.0.0.1", 0, app=self.venue.app)
            await self.server.start()
            return self.server.url

        def serve() -> None:
            async def main() -> None:
                self.server = WebhookServer(None, "127.0.0.1", 0, app=self.venue.app)
                try:
                    await self.server.start()
                finally:
                    self._started.set()
                while self.server.running:
                    await asyncio.sleep(0.05)

            try:
                asyncio.run(main())
            except BaseException as exc:  # noqa: BLE001 - reported by start()
                self._error = exc
                self._started.set()

        self._thread = threading.Thread(target=serve, name="fake-venue", daemon=True)
        self._thread.start()
        await asyncio.to_thread(self._started.wait, 30)
        if self._error is not None:
            raise self._error
        return self.server.url

    async def stop(self) -> None:
        if self.server is None:
            return
        if self.mode == "loop":
            await self.server.stop()
            return
        self.server._server.should_exit = True  # noqa: SLF001 - the thread's loop notices within 0.1 s
        await asyncio.to_thread(self._thread.join, 10)


async def run_fanout(accounts: int = 100, latency_ms: float = 20.0, signals: int = 30, sequential_signals: int = 3,
                     round_trips: int = 30, venue_mode: str = "thread", warmup: int = 2) -> FanoutFigures:
    """Run the bench (see the module docstring) and return the figures."""
    from ..store import Store
    from ..trading import OrderManager, PortfolioService, RiskPipeline
    from ..trading.risk.rules import RiskBook

    tmp = Path(tempfile.mkdtemp(prefix="trader-bench-"))
    inst = Instrument(BENCH_SYMBOL, VENUE, MarketType.FUTURES, "BTC", "USDT", Decimal("0.1"), Decimal("0.0001"))
    venue = FakeVenue([inst], {BENCH_SYMBOL: BENCH_PRICE}, latency_s=latency_ms / 1000, cash=Decimal("1000000"))
    runner = _VenueRunner(venue, venue_mode)
    store = Store.open(tmp / "bench.db")
    bus = EventBus()
    brokers: list[FakeVenueBroker] = []
    om = None
    portfolio = None
    try:
        url = await runner.start()
        book = RiskBook(store, bus)
        om = OrderManager(store, bus, risk=RiskPipeline(rules_for_account=book.rules_for))
        portfolio = PortfolioService(bus, instrument_of=om.instrument)
        om.set_equity_source(portfolio.equity)
        ids = [f"bench-{i:03d}" for i in range(accounts)]
        store.groups.save(StrategyGroup(BENCH_GROUP, MarketType.FUTURES, created_ms=now_ms()))
        for acc in ids:
            store.accounts.save(Account(acc, acc, VENUE))
            store.links.add(AccountLink(BENCH_GROUP, acc, Decimal("0.01")))
        brokers = [FakeVenueBroker(url, acc) for acc in ids]
        await asyncio.gather(*(b.connect() for b in brokers))
        for b in brokers:
            om.attach(b.account_id, b)
        await asyncio.gather(*(om.ready(a) for a in ids))
        bus.publish(QuoteEvent(Quote(BENCH_SYMBOL, now_ms(), BENCH_PRICE, BENCH_PRICE, BENCH_PRICE)))
        loop = asyncio.get_running_loop()

        rtts = []
        for i in range(round_trips + warmup):
            req = OrderRequest(ids[0], BENCH_SYMBOL, Side.BUY if i % 2 == 0 else Side.SELL, OrderType.MARKET,
                               Decimal("0.0001"), new_client_order_id("rt"))
            t0 = loop.time()
            await brokers[0].place_order(req)
            if i >= warmup:
                rtts.append((loop.time() - t0) * 1000)

        async def measure(executor: Executor, n: int) -> tuple[list[float], list[float], int, int]:
            acks, dones, ok, total = [], [], 0, 0
            for k in range(n + warmup):
                side = Side.BUY if k % 2 == 0 else Side.SELL
                signal = new_signal(BENCH_GROUP, [SignalOrder(BENCH_SYMBOL, SignalOrderType.MARKET, side, Decimal("1"))],
                                    SignalSource.STRATEGY, {"bench": k})
                marks = [len(b.ack_times) for b in brokers]
                t0 = loop.time()
                out = await executor.execute(signal)
                t_done = loop.time()
                last_ack = max(b.ack_times[-1] for b, m in zip(brokers, marks) if len(b.ack_times) > m)
                await om.flush()
                if k < warmup:
                    continue
                acks.append((last_ack - t0) * 1000)
                dones.append((t_done - t0) * 1000)
                total += len(out.results)
                ok += sum(1 for r in out.results if r.status == "FILLED")
            return acks, dones, ok, total

        concurrent = Executor(store, bus, om, portfolio, None, dedupe_window_ms=-1)
        c_ack, c_done, ok1, n1 = await measure(concurrent, signals)
        sequential = Executor(store, bus, om, portfolio, None, max_concurrency=1, dedupe_window_ms=-1)
        s_ack, s_done, ok2, n2 = await measure(sequential, sequential_signals)
        return FanoutFigures(accounts, latency_ms, venue_mode, rtts, c_ack, c_done, s_ack, s_done, ok1 + ok2, n1 + n2)
    finally:
        if om is not None:
            with contextlib.suppress(Exception):
                await om.close()
        for b in brokers:
            with contextlib.suppress(Exception):
                await b.close()
        if portfolio is not None:
            portfolio.close()
        with contextlib.suppress(Exception):
            await runner.stop()
        await bus.drain()
        store.close()
        shutil.rmtree(tmp, ignore_errors=True)


def report(f: FanoutFigures) -> str:
    """The figures as printed by the command."""
    rt = pct(f.round_trip, 50)
    lines = [
        f"fan-out bench: {f.accounts} accounts, fake venue latency {f.latency_ms:g} ms "
        f"(venue {'on its own thread' if f.venue_mode == 'thread' else 'on the bench loop'}), "
        f"{len(f.concurrent_ack)} concurrent + {len(f.sequential_ack)} sequential signals",
        f"one round trip (adapter -> venue -> ack):   p50 {rt:8.1f} ms   p99 {pct(f.round_trip, 99):8.1f} ms",
        f"concurrent  signal-to-last-ack:            p50 {pct(f.concurrent_ack, 50):8.1f} ms   "
        f"p99 {pct(f.concurrent_ack, 99):8.1f} ms   ratio to one round trip {pct(f.concurrent_ack, 50) / rt:6.2f} "
        f"(p99 {pct(f.concurrent_ack, 99) / rt:.2f}; target <= 1.5)",
        f"concurrent  signal fully recorded:         p50 {pct(f.concurrent_done, 50):8.1f} ms   "
        f"p99 {pct(f.concurrent_done, 99):8.1f} ms",
        f"sequential  signal-to-last-ack:            p50 {pct(f.sequential_ack, 50):8.1f} ms   "
        f"p99 {pct(f.sequential_ack, 99):8.1f} ms   ratio to one round trip {pct(f.sequential_ack, 50) / rt:6.2f}",
        f"orders acknowledged FILLED: {f.orders_ok}/{f.orders_total}",
    ]
    return "\n".join(lines)


def register_bench(bench_subparsers: Any) -> None:
    """Add ``fanout`` to ``trader-app bench``."""
    p = bench_subparsers.add_parser("fanout", help="one signal to N accounts on a fake venue: concurrent vs sequential",
                                    description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--accounts", type=int, default=100, help="linked accounts (default 100)")
    p.add_argument("--latency-ms", type=float, default=20.0, help="venue answer delay in ms (default 20)")
    p.add_argument("--signals", type=int, default=30, help="concurrent signals measured (default 30)")
    p.add_argument("--sequential-signals", type=int, default=3, help="sequential signals measured (default 3)")
    p.add_argument("--venue", choices=("thread", "loop"), default="thread",
                   help="run the fake venue on its own thread (default) or on the bench's event loop")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.accounts < 1 or args.signals < 1 or args.sequential_signals < 0 or args.latency_ms < 0:
        print("trader-app bench fanout: --accounts and --signals must be >= 1, --latency-ms >= 0")
        return 2
    figures = asyncio.run(run_fanout(args.accounts, args.latency_ms, args.signals, args.sequential_signals,
                                     venue_mode=args.venue))
    print(report(figures), flush=True)
    return 0 if figures.orders_ok == figures.orders_total else 1
