"""``trader-app bench reconcile --venue binance --accounts 1000``: a periodic reconcile pass over many spot
accounts on one IP, with a signal fanning out to 100 of them during it (issue 21, defect 3).

The fake Binance runs in its own process on 127.0.0.1 (``tests/fakes/binance``: run from a source checkout);
``--accounts`` Binance spot adapters (``BinanceSpot``, orders over each account's WebSocket API) share one
network, as the accounts of one machine do. They connect under a generous budget; then the IP budget is set to
Binance's published REQUEST_WEIGHT of 6,000 a minute with nothing used yet, and the fake declares the same.
``--open`` of the accounts (default a tenth) hold a resting LIMIT order in the journal. Measured:
- one periodic pass (``OrderManager.poll_all``: every account, 16 at a time, open orders asked per symbol only
  where the journal has some): its wall time, the weight it spent, the accounts whose read was deferred for lack
  of budget;
- a 100-account signal placed while the pass runs: orders acknowledged, and refused for the budget (the target:
  0; orders go first, reads never spend the last 30 % of a window);
- what the previous policy (``openOrders`` without a symbol, weight 80, for every account) would have cost.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..core.enums import OrderStatus, OrderType, Side, TimeInForce
from ..core.errors import RateLimited
from ..core.ids import new_client_order_id
from ..core.orders import OrderRequest

BINANCE_WEIGHT_PER_MINUTE = 6000
ALL_SYMBOLS_WEIGHT = 80  # GET /api/v3/openOrders without a symbol


@dataclass
class ReconcileFigures:
    accounts: int
    with_open_orders: int
    connect_s: float
    pass_s: float
    pass_weight: int
    order_weight: int
    deferred: int
    signal_orders: int
    acknowledged: int
    refused_for_budget: int
    signal_s: float
    weight_after: int


async def run_reconcile(accounts: int = 1000, open_share: float = 0.1, signal_accounts: int = 100) -> ReconcileFigures:
    """Run the bench (see the module docstring). Raises RuntimeError outside a source checkout."""
    from ..brokers.live.network import ConnectGate
    from ..brokers.venues import PROFILES
    from ..brokers.live.ratelimit import RateLimit
    from ..core.bus import EventBus
    from ..store import Store
    from ..trading import OrderManager
    from .bench_venue import FakeBinanceProcess, spot_account

    fake = FakeBinanceProcess(accounts, 0.0)
    rest, stream = await fake.start()
    network = PROFILES["binance"].network("binance", gate=ConnectGate(limit=100_000))
    brokers = [spot_account(rest, stream, i, network) for i in range(accounts)]
    with tempfile.TemporaryDirectory(prefix="bench-reconcile-") as tmp:
        store = Store.open(Path(tmp) / "trader.db")
        bus = EventBus()
        om = OrderManager(store, bus, reconcile_interval_s=None)
        try:
            started = time.perf_counter()
            sem = asyncio.Semaphore(20)

            async def attach(broker: Any) -> None:
                async with sem:
                    await broker.connect()
                    om.attach(broker.account_id, broker)
                    await om.ready(broker.account_id)

            await asyncio.gather(*(attach(b) for b in brokers))
            connect_s = time.perf_counter() - started
            with_open = max(1, int(accounts * open_share))
            for broker in brokers[:with_open]:  # a resting order in the journal of a tenth of the accounts
                await om.submit(OrderRequest(broker.account_id, "BTC/USDT", Side.BUY, OrderType.LIMIT,
                                             Decimal("0.001"), new_client_order_id(), price=Decimal("30000"),
                                             time_in_force=TimeInForce.GTC))
            await om.flush()
            # from here on, Binance's own IP budget, nothing used in this window
            budget = network.budget(rest)
            budget.set_limits([RateLimit("REQUEST_WEIGHT", 60_000, BINANCE_WEIGHT_PER_MINUTE)])
            budget._used.clear()
            budget.spent = {"reads": 0, "orders": 0}
            t0 = time.perf_counter()
            poll = asyncio.ensure_future(om.poll_all())
            await asyncio.sleep(0)  # the pass is under way when the signal arrives

            async def place(broker: Any) -> str:
                try:
                    order = await om.submit(OrderRequest(broker.account_id, "BTC/USDT", Side.BUY, OrderType.MARKET,
                                                         Decimal("0.0001"), new_client_order_id()))
                except RateLimited:
                    return "budget"
                budget_refusal = "budget" in order.reject_reason or "rate limit" in order.reject_reason
                return "budget" if budget_refusal else order.status.value

            s0 = time.perf_counter()
            outcomes = await asyncio.gather(*(place(b) for b in brokers[-signal_accounts:]))
            signal_s = time.perf_counter() - s0
            counts = await poll
            pass_s = time.perf_counter() - t0
            used = budget.used(60_000)
            return ReconcileFigures(
                accounts=accounts, with_open_orders=with_open, connect_s=connect_s, pass_s=pass_s,
                pass_weight=budget.spent["reads"], order_weight=budget.spent["orders"],
                deferred=counts["deferred"], signal_orders=len(outcomes),
                acknowledged=sum(1 for o in outcomes if o in (OrderStatus.FILLED.value, OrderStatus.NEW.value)),
                refused_for_budget=sum(1 for o in outcomes if o == "budget"),
                signal_s=signal_s, weight_after=used)
        finally:
            await om.close()
            for broker in brokers:
                await broker.close()
            for shared in network.shared.values():
                await shared.close()
            await network.close()
            store.close()
            fake.stop()


def report(f: ReconcileFigures) -> str:
    old = f.accounts * ALL_SYMBOLS_WEIGHT
    return "\n".join([
        f"reconcile bench: {f.accounts} Binance spot accounts on one IP (fake Binance, own process), "
        f"{f.with_open_orders} with a resting order; IP budget {BINANCE_WEIGHT_PER_MINUTE:,} weight a minute",
        f"connect all accounts:                 {f.connect_s:8.1f} s",
        f"one periodic pass:                    {f.pass_s * 1000:8.1f} ms, weight {f.pass_weight:,} "
        f"({f.pass_weight / BINANCE_WEIGHT_PER_MINUTE * 100:.1f} % of the minute), reads deferred {f.deferred}",
        f"the previous policy (all-symbol openOrders, weight {ALL_SYMBOLS_WEIGHT} each): {old:,} weight "
        f"({old / BINANCE_WEIGHT_PER_MINUTE:.1f} minutes of the IP's budget)",
        f"signal to {f.signal_orders} accounts during the pass: {f.acknowledged} acknowledged, "
        f"{f.refused_for_budget} refused for budget, weight {f.order_weight}, last ack after "
        f"{f.signal_s * 1000:.1f} ms",
        f"the venue's count of the minute after both (X-MBX-USED-WEIGHT-1M, the connect phase included when it "
        f"fell in the same minute): {f.weight_after:,} of {BINANCE_WEIGHT_PER_MINUTE:,}",
    ])


def register_bench(bench_subparsers: Any) -> None:
    """Add ``reconcile`` to ``trader-app bench``."""
    p = bench_subparsers.add_parser("reconcile", help="a periodic reconcile of many accounts and a signal during it",
                                    description="Poll many Binance spot accounts of one IP against the fake Binance "
                                                "(run from a source checkout) under Binance's weight budget while a "
                                                "100-account signal is placed; print the pass time, the weight used "
                                                "and the orders refused for budget.")
    p.add_argument("--venue", choices=("binance",), default="binance", help="the venue (binance: spot)")
    p.add_argument("--accounts", type=int, default=1000, help="accounts on the IP (default 1000)")
    p.add_argument("--open", type=float, default=0.1, help="share of accounts with a resting order (default 0.1)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.accounts < 100:
        print("trader-app bench reconcile: --accounts must be >= 100 (the signal goes to 100 of them)")
        return 2
    try:
        figures = asyncio.run(run_reconcile(args.accounts, args.open))
    except RuntimeError as exc:
        print(f"trader-app bench reconcile: {exc}")
        return 2
    print(report(figures), flush=True)
    return 0
