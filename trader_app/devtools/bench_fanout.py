"""``trader-app bench fanout``: how long one signal takes to reach every linked account.

Set-up: a ``FakeVenueServer`` on 127.0.0.1 (REST: Starlette on uvicorn; WebSocket API: picows) answering every
request after ``--latency-ms``,
by default in a separate process (``--venue process``: its CPU work runs on another interpreter and core, like
a remote venue's, so only our side is measured; ``--venue thread`` runs it on a thread of the bench's process,
sharing our GIL, and ``--venue loop`` on the bench's own event loop, both for comparison); ``--accounts``
accounts, each with its own ``FakeVenueBroker`` (own httpx client and keep-alive connection for queries; orders
over its own WebSocket order-entry session, or with ``--order-entry rest`` as httpx requests), attached to
a real ``OrderManager`` (risk pipeline, SQLite journal in a temporary directory) and linked to one FUTURES
group (weight 0.01); the executor reads the group and its links through a ``GroupService`` (cached), as the
webhook wires it.

Measured (``loop.time()``):
- one round trip: ``FakeVenueBroker.place_order`` alone, one order at a time (adapter -> venue -> ack);
- venue ping from every account at once: each adapter's ``ping()`` (over its order entry) at once: what
  the transport alone costs for N requests on this machine (both ends' sockets, framing, JSON, the venue's
  scheduling), with no order work on either side: no fan-out of N orders can beat it;
- adapters alone: every account's ``place_order`` at once (``asyncio.gather``), without the executor, risk
  checks or journal: the floor this HTTP adapter and venue set for any fan-out (p50/p99 over up to 10 rounds);
- per signal: from ``Executor.execute`` being called to the last account's order going out
  ("signal-to-last-order-sent": what the executor, risk checks and journal cost before the wire), to the last
  account's venue acknowledgement ("signal-to-last-ack"), and to the signal being fully recorded (every order tracked and saved, the signal
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
from ..brokers.venues import BENCH_KITS
from ..heap import settle_heap
from ..execution.executor import Executor, new_signal
from ..trading.groups import GroupService
from .fakevenue import ORDER_ENTRY, VENUE, FakeVenueBroker
from .fakevenue.runner import MODES, VenueRunner
from ..execution.signal import SignalOrder, SignalOrderType

BENCH_SYMBOL = "BTC/USDT"
# an order the venue took: filled at the answer, or NEW with its fill coming on the account's private stream
ACKNOWLEDGED = ("NEW", "PARTIALLY_FILLED", "FILLED")
BENCH_PRICE = Decimal("30000")
BENCH_GROUP = "bench-fanout"


@dataclass
class FanoutFigures:
    """Times in milliseconds."""

    accounts: int
    latency_ms: float
    venue_mode: str
    order_entry: str
    round_trip: list[float]
    ping_fanout: list[float]
    adapter_fanout: list[float]
    concurrent_sent: list[float]
    concurrent_ack: list[float]
    concurrent_done: list[float]
    sequential_ack: list[float]
    sequential_done: list[float]
    orders_ok: int
    orders_total: int
    venue: str = VENUE


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation (``statistics.quantiles`` inclusive method)."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return values[0] if q <= 0 else cuts[min(98, max(0, int(round(q)) - 1))]


class TimedBroker:
    """A venue adapter with the fan-out bench's clocks: ``send_times`` when ``place_order`` is called (before
    the adapter's own work, so "sent" includes it), ``ack_times`` when it returns; ``ping()`` asks the venue's
    time. Everything else is the adapter's."""

    def __init__(self, broker: Any) -> None:
        self._broker = broker
        self.send_times: list[float] = []
        self.ack_times: list[float] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._broker, name)

    async def place_order(self, request: OrderRequest) -> Any:
        loop = asyncio.get_running_loop()
        self.send_times.append(loop.time())
        order = await self._broker.place_order(request)
        self.ack_times.append(loop.time())
        return order

    async def ping(self) -> None:
        rest = self._broker.rest
        await (rest.ping() if hasattr(rest, "ping") else rest.server_time_ms())


async def _binance_accounts(accounts: int, latency_ms: float, order_entry: str) -> tuple[Any, Any, list[Any], MarketType, Decimal]:
    """The fake Binance in its own process and ``accounts`` spot adapters on one shared network."""
    from ..brokers.live.network import ConnectGate
    from ..brokers.venues import PROFILES
    from .bench_venue import FakeBinanceProcess, spot_account

    fake = FakeBinanceProcess(accounts, latency_ms)
    rest, stream = await fake.start()
    network = PROFILES["binance"].network("binance", gate=ConnectGate(limit=10_000))
    brokers = [TimedBroker(spot_account(rest, stream, i, network, order_entry)) for i in range(accounts)]
    return fake, network, brokers, MarketType.SPOT, Decimal("65000")


async def _kit_accounts(kit: Any, accounts: int, latency_ms: float,
                        order_entry: str) -> tuple[Any, Any, list[Any], MarketType, Decimal]:
    """A registry venue's fake (``BENCH_KITS``) in its own process and ``accounts`` of its adapters on one network."""
    from ..brokers.live.network import ConnectGate
    from ..brokers.venues import PROFILES
    from .bench_venue import FakeBinanceProcess

    fake = FakeBinanceProcess(accounts, latency_ms, module=kit.fake_module)
    rest, stream = await fake.start()
    network = PROFILES[kit.venue].network(kit.venue, gate=ConnectGate(limit=10_000))
    brokers = [TimedBroker(kit.account(rest, stream, i, network, order_entry)) for i in range(accounts)]
    return fake, network, brokers, MarketType.SPOT, kit.price


async def run_fanout(accounts: int = 100, latency_ms: float = 20.0, signals: int = 30, sequential_signals: int = 3,
                     round_trips: int = 30, venue_mode: str = "process", warmup: int = 2,
                     order_entry: str = "ws", private_stream: bool = False, venue: str = "fake") -> FanoutFigures:
    """Run the bench (see the module docstring) and return the figures. ``private_stream``: the accounts also
    follow the venue's private update stream (every change arrives twice: in the answer and on the stream).
    ``venue`` "binance": the Binance spot adapter against the fake Binance in its own process (orders over each
    account's WebSocket API connection, which also carries its user data, or REST), a SPOT group."""
    from ..store import Store
    from ..trading import OrderManager, PortfolioService, RiskPipeline
    from ..trading.risk.rules import RiskBook

    tmp = Path(tempfile.mkdtemp(prefix="trader-bench-"))
    store = Store.open(tmp / "bench.db")
    bus = EventBus()
    brokers: list[Any] = []
    om = None
    portfolio = None
    runner: Any = None
    fake = network = None
    venue_name, market_type, price = VENUE, MarketType.FUTURES, BENCH_PRICE
    kit = BENCH_KITS.get(venue)
    symbol = kit.symbol if kit is not None else BENCH_SYMBOL

    def bench_order(account_id: str, i: int, prefix: str) -> OrderRequest:
        """Order ``i`` of an account: the venue kit's (a market buy by amount where the venue buys so), else a
        MARKET BUY/SELL of 0.0001."""
        if kit is not None:
            return kit.order(account_id, i, new_client_order_id(prefix))
        return OrderRequest(account_id, BENCH_SYMBOL, Side.BUY if i % 2 == 0 else Side.SELL, OrderType.MARKET,
                            Decimal("0.0001"), new_client_order_id(prefix))

    try:
        if venue == "binance":
            fake, network, brokers, market_type, price = await _binance_accounts(accounts, latency_ms, order_entry)
            venue_name, venue_mode = "binance", "process"
        elif venue in BENCH_KITS:
            fake, network, brokers, market_type, price = await _kit_accounts(BENCH_KITS[venue], accounts, latency_ms,
                                                                             order_entry)
            venue_name, venue_mode = venue, "process"
        else:
            inst = Instrument(BENCH_SYMBOL, VENUE, MarketType.FUTURES, "BTC", "USDT", Decimal("0.1"), Decimal("0.0001"))
            runner = VenueRunner([inst], {BENCH_SYMBOL: BENCH_PRICE}, latency_s=latency_ms / 1000,
                                 cash=Decimal("1000000"), mode=venue_mode)
            url, ws_url = await runner.start()
        book = RiskBook(store, bus)
        om = OrderManager(store, bus, risk=RiskPipeline(rules_for_account=book.rules_for))
        portfolio = PortfolioService(bus, instrument_of=om.instrument)
        om.set_equity_source(portfolio.equity)
        ids = [f"bench-{i:03d}" for i in range(accounts)]
        store.groups.save(StrategyGroup(BENCH_GROUP, market_type, created_ms=now_ms()))
        for acc in ids:
            store.accounts.save(Account(acc, acc, venue_name))
            store.links.add(AccountLink(BENCH_GROUP, acc, Decimal("0.01")))
        if runner is not None:
            brokers = [FakeVenueBroker(url, acc, ws_url=ws_url, order_entry=order_entry, private_stream=private_stream)
                       for acc in ids]
        await asyncio.gather(*(b.connect() for b in brokers))
        for b in brokers:
            om.attach(b.account_id, b)
        await asyncio.gather(*(om.ready(a) for a in ids))
        bus.publish(QuoteEvent(Quote(symbol, now_ms(), price, price, price, venue=venue_name)))
        loop = asyncio.get_running_loop()
        settle_heap()  # as the window and ``serve`` do once started

        rtts = []
        for i in range(round_trips + warmup):
            req = bench_order(ids[0], i, "rt")
            t0 = loop.time()
            await brokers[0].place_order(req)
            if i >= warmup:
                rtts.append((loop.time() - t0) * 1000)
        await om.flush()

        pings = []  # the transport's floor: every account pings the venue at once, no order work on either side
        for i in range(min(signals, 10) + warmup):
            t0 = loop.time()
            await asyncio.gather(*(b.ping() for b in brokers))
            if i >= warmup:
                pings.append((loop.time() - t0) * 1000)

        raw = []  # the adapters' floor: every adapter's place_order at once, no executor, no journal, no risk
        for i in range(min(signals, 10) + warmup):
            reqs = [bench_order(b.account_id, i, "raw") for b in brokers]
            t0 = loop.time()
            await asyncio.gather(*(b.place_order(r) for b, r in zip(brokers, reqs)))
            if i >= warmup:
                raw.append((loop.time() - t0) * 1000)
            await om.flush()

        async def measure(executor: Executor, n: int) -> tuple[list[float], list[float], list[float], int, int]:
            sents, acks, dones, ok, total = [], [], [], 0, 0
            for k in range(n + warmup):
                side = Side.BUY if k % 2 == 0 else Side.SELL
                signal = new_signal(BENCH_GROUP, [SignalOrder(symbol, SignalOrderType.MARKET, side, Decimal("1"))],
                                    SignalSource.STRATEGY, {"bench": k})
                marks = [len(b.ack_times) for b in brokers]
                sent_marks = [len(b.send_times) for b in brokers]
                t0 = loop.time()
                out = await executor.execute(signal)
                t_done = loop.time()
                last_ack = max(b.ack_times[-1] for b, m in zip(brokers, marks) if len(b.ack_times) > m)
                last_sent = max(b.send_times[-1] for b, m in zip(brokers, sent_marks) if len(b.send_times) > m)
                await om.flush()
                if k < warmup:
                    continue
                sents.append((last_sent - t0) * 1000)
                acks.append((last_ack - t0) * 1000)
                dones.append((t_done - t0) * 1000)
                total += len(out.results)
                ok += sum(1 for r in out.results if r.status in ACKNOWLEDGED)
            return sents, acks, dones, ok, total

        groups = GroupService(store, bus)  # cached groups and links, as the webhook wires the executor
        concurrent = Executor(store, bus, om, portfolio, None, dedupe_window_ms=-1, groups=groups)
        c_sent, c_ack, c_done, ok1, n1 = await measure(concurrent, signals)
        sequential = Executor(store, bus, om, portfolio, None, max_concurrency=1, dedupe_window_ms=-1, groups=groups)
        _, s_ack, s_done, ok2, n2 = await measure(sequential, sequential_signals)
        return FanoutFigures(accounts, latency_ms, venue_mode, order_entry, rtts, pings, raw, c_sent, c_ack, c_done,
                             s_ack, s_done, ok1 + ok2, n1 + n2, venue_name)
    finally:
        if om is not None:
            with contextlib.suppress(Exception):
                await om.close()
        for b in brokers:
            with contextlib.suppress(Exception):
                await b.close()
        if portfolio is not None:
            portfolio.close()
        if runner is not None:
            with contextlib.suppress(Exception):
                await runner.stop()
        if network is not None:
            for shared in list(network.shared.values()):
                with contextlib.suppress(Exception):
                    await shared.close()
            await network.close()
        if fake is not None:
            fake.stop()
        await bus.drain()
        store.close()
        shutil.rmtree(tmp, ignore_errors=True)


_ENTRY = {"ws": "one WebSocket per account", "rest": "REST (httpx, keep-alive)"}
_NAMES = {"fakevenue": "fake venue", "binance": "fake Binance (Binance spot adapter)"}
_WHERE = {"process": "in its own process", "thread": "on a thread of this process", "loop": "on the bench loop"}


def _name(venue: str) -> str:
    kit = BENCH_KITS.get(venue)
    return f"the fake of {kit.label}" if kit is not None else _NAMES.get(venue, venue)


def report(f: FanoutFigures) -> str:
    """The figures as printed by the command."""
    rt = pct(f.round_trip, 50)
    lines = [
        f"fan-out bench: {f.accounts} accounts, {_name(f.venue)} latency {f.latency_ms:g} ms "
        f"(venue {_WHERE[f.venue_mode]}), orders over {_ENTRY[f.order_entry]}, "
        f"{len(f.concurrent_ack)} concurrent + {len(f.sequential_ack)} sequential signals",
        f"one round trip (adapter -> venue -> ack):   p50 {rt:8.1f} ms   p99 {pct(f.round_trip, 99):8.1f} ms",
        f"venue ping from every account at once:     p50 {pct(f.ping_fanout, 50):8.1f} ms   "
        f"p99 {pct(f.ping_fanout, 99):8.1f} ms   ratio to one round trip {pct(f.ping_fanout, 50) / rt:6.2f}",
        f"adapters alone, all at once (no executor): p50 {pct(f.adapter_fanout, 50):8.1f} ms   "
        f"p99 {pct(f.adapter_fanout, 99):8.1f} ms   ratio to one round trip {pct(f.adapter_fanout, 50) / rt:6.2f}",
        f"concurrent  signal-to-last-order-sent:     p50 {pct(f.concurrent_sent, 50):8.1f} ms   "
        f"p99 {pct(f.concurrent_sent, 99):8.1f} ms   (sizing, risk, journal commit, then the send: our side)",
        f"concurrent  signal-to-last-ack:            p50 {pct(f.concurrent_ack, 50):8.1f} ms   "
        f"p99 {pct(f.concurrent_ack, 99):8.1f} ms   ratio to one round trip {pct(f.concurrent_ack, 50) / rt:6.2f} "
        f"(p99 {pct(f.concurrent_ack, 99) / rt:.2f}; target <= 1.5)",
        f"concurrent  signal fully recorded:         p50 {pct(f.concurrent_done, 50):8.1f} ms   "
        f"p99 {pct(f.concurrent_done, 99):8.1f} ms",
        f"sequential  signal-to-last-ack:            p50 {pct(f.sequential_ack, 50):8.1f} ms   "
        f"p99 {pct(f.sequential_ack, 99):8.1f} ms   ratio to one round trip {pct(f.sequential_ack, 50) / rt:6.2f}",
        f"orders acknowledged (NEW or filled): {f.orders_ok}/{f.orders_total}",
    ]
    return "\n".join(lines)


def register_bench(bench_subparsers: Any) -> None:
    """Add ``fanout`` to ``trader-app bench``."""
    p = bench_subparsers.add_parser("fanout", help="one signal to N accounts on a fake venue: concurrent vs sequential",
                                    description="Send one signal to many accounts on a fake venue (or the fake Binance) and print how long it takes "
                                                "until every account's order is acknowledged, next to one round trip to the venue: "
                                                "concurrent and sequential fan-out.")
    p.add_argument("--accounts", type=int, default=100, help="linked accounts (default 100)")
    p.add_argument("--latency-ms", type=float, default=20.0, help="venue answer delay in ms (default 20)")
    p.add_argument("--signals", type=int, default=30, help="concurrent signals measured (default 30)")
    p.add_argument("--sequential-signals", type=int, default=3, help="sequential signals measured (default 3)")
    p.add_argument("--venue", choices=("fake", "binance", *BENCH_KITS), default="fake",
                   help="fake: the generic fake venue (default); the others: the venue's adapter against its fake "
                        "(from a source checkout)")
    p.add_argument("--venue-runs", choices=MODES, default="process",
                   help="where the generic fake venue runs: a separate process (default), a thread of the bench's "
                        "process (shares the GIL), or the bench's event loop")
    p.add_argument("--private-stream", action="store_true",
                   help="each account also follows its private update stream (the venue pushes every order, fill, "
                        "balance and position change a second time, as a live venue's user-data stream does)")
    p.add_argument("--order-entry", choices=ORDER_ENTRY, default="ws",
                   help="how each account's adapter sends orders: over its WebSocket order-entry session (default, "
                        "as the venues' WebSocket trade APIs) or as REST requests through httpx")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.accounts < 1 or args.signals < 1 or args.sequential_signals < 0 or args.latency_ms < 0:
        print("trader-app bench fanout: --accounts and --signals must be >= 1, --latency-ms >= 0")
        return 2
    figures = asyncio.run(run_fanout(args.accounts, args.latency_ms, args.signals, args.sequential_signals,
                                     venue_mode=args.venue_runs, order_entry=args.order_entry,
                                     private_stream=args.private_stream, venue=args.venue))
    print(report(figures), flush=True)
    return 0 if figures.orders_ok == figures.orders_total else 1
