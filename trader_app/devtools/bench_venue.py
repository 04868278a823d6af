"""``trader-app bench venue --venue binance --orders 1000``: what the Binance adapter adds to an order.

The fake Binance (``tests/fakes/binance``: run from a source checkout) runs in its own process on 127.0.0.1,
declaring ORDERS and REQUEST_WEIGHT limits high enough for the run (Binance's own are 100 orders per 10 s per
account and 6000 weight per minute per IP: the adapter's budgets would otherwise pace the bench, which is the
venue's rule, not the adapter's cost).
Measured, one order at a time (MARKET BTC/USDT, 0.0001, alternating buy and sell), ``--orders`` each:
- a bare client: one ``httpx.AsyncClient`` POSTing ``/api/v3/order`` with a freshly signed query (HMAC-SHA256),
  nothing else: the floor for this transport and fake;
- the adapter: ``BinanceSpot.place_order`` (rounding to the lot, the weight and order budgets, signing with the
  venue clock, the answer mapped to an ``Order`` and its fills queued).
Printed: orders/s and p50/p99 place-order latency of each, and the adapter's overhead (p50 difference; the
issue's target: under 1 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from ..core.enums import OrderType, Side
from ..core.ids import new_client_order_id
from ..core.orders import OrderRequest
from ..heap import settle_heap
from .bench_fanout import pct

FAKES = Path(__file__).resolve().parents[2] / "tests"


@dataclass
class VenueFigures:
    """Latencies in ms, per order."""

    orders: int
    bare: list[float]
    adapter: list[float]
    bare_s: float
    adapter_s: float


class FakeBinanceProcess:
    """The fake Binance in a child process (``python -m fakes.binance``); ``await start()`` gives its URLs."""

    def __init__(self, accounts: int, latency_ms: float, order_limit: int = 1_000_000) -> None:
        if not (FAKES / "fakes" / "binance").is_dir():
            raise RuntimeError("the fake Binance lives in the source checkout's tests/ folder: run this bench from "
                               "a checkout (pip install -e .), not from the installed app")
        self.args = ["--accounts", str(accounts), "--latency-ms", str(latency_ms), "--order-limit", str(order_limit),
                     "--weight-limit", str(order_limit)]
        self.proc: subprocess.Popen[str] | None = None

    async def start(self) -> tuple[str, str]:
        self.proc = subprocess.Popen([sys.executable, "-m", "fakes.binance", *self.args], cwd=FAKES,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = await asyncio.get_running_loop().run_in_executor(None, self.proc.stdout.readline)
        if not line:
            raise RuntimeError("the fake Binance did not start")
        urls = json.loads(line)
        return urls["rest"], urls["stream"]

    def stop(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(Exception):
                assert self.proc.stdin is not None
                self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def spot_account(rest: str, stream: str, index: int, network: Any) -> Any:
    """The ``index``-th bench account of the fake as a ``BinanceSpot`` adapter on ``network``."""
    from ..brokers.binance.spot import BinanceSpot
    from ..brokers.binance.urls import SPOT, endpoints

    ep = endpoints(SPOT).with_overrides(rest=rest, stream=stream, ws_api=f"{stream}/ws-api/v3")
    return BinanceSpot(f"bench-{index:03d}", ep, network, f"bench-key-{index}", f"bench-secret-{index}", live=False)


async def run_venue(orders: int = 1000, latency_ms: float = 0.0, warmup: int = 20) -> VenueFigures:
    import httpx

    from ..brokers.binance.rest import USED_WEIGHT
    from ..brokers.network import VenueNetwork
    from ..brokers.signing import hmac_sha256_hex

    fake = FakeBinanceProcess(1, latency_ms)
    rest, stream = await fake.start()
    network = VenueNetwork("binance", usage_prefix=USED_WEIGHT)
    broker = spot_account(rest, stream, 0, network)
    loop = asyncio.get_running_loop()
    try:
        await broker.connect()
        drain = asyncio.ensure_future(_drain(broker))
        settle_heap()
        bare: list[float] = []
        async with httpx.AsyncClient(base_url=rest, timeout=10) as client:
            t_all = loop.time()
            for i in range(orders + warmup):
                params = {"symbol": "BTCUSDT", "side": "BUY" if i % 2 == 0 else "SELL", "type": "MARKET",
                          "quantity": "0.0001", "newClientOrderId": new_client_order_id("bare"),
                          "newOrderRespType": "FULL", "timestamp": int(time.time() * 1000), "recvWindow": 5000}
                query = urlencode(params)
                t0 = loop.time()
                r = await client.post(f"/api/v3/order?{query}&signature={hmac_sha256_hex('bench-secret-0', query)}",
                                      headers={"X-MBX-APIKEY": "bench-key-0"})
                r.json()
                if i >= warmup:
                    bare.append((loop.time() - t0) * 1000)
                if i == warmup - 1:
                    t_all = loop.time()
            bare_s = loop.time() - t_all
        adapter: list[float] = []
        t_all = loop.time()
        for i in range(orders + warmup):
            req = OrderRequest("bench-000", "BTC/USDT", Side.BUY if i % 2 == 0 else Side.SELL, OrderType.MARKET,
                               Decimal("0.0001"), new_client_order_id("bench"))
            t0 = loop.time()
            await broker.place_order(req)
            if i >= warmup:
                adapter.append((loop.time() - t0) * 1000)
            if i == warmup - 1:
                t_all = loop.time()
        adapter_s = loop.time() - t_all
        drain.cancel()
        return VenueFigures(orders, bare, adapter, bare_s, adapter_s)
    finally:
        with contextlib.suppress(Exception):
            await broker.close()
        for shared in list(network.shared.values()):
            with contextlib.suppress(Exception):
                await shared.close()
        await network.close()
        fake.stop()


async def _drain(broker: Any) -> None:
    async for _ in broker.updates():
        pass


def report(f: VenueFigures) -> str:
    b50, a50 = pct(f.bare, 50), pct(f.adapter, 50)
    return "\n".join([
        f"venue bench: Binance spot adapter vs a bare signed client, {f.orders} MARKET orders each, one at a time, "
        f"fake Binance in its own process",
        f"bare client (httpx + HMAC):  {f.orders / f.bare_s:8.1f} orders/s   p50 {b50:7.2f} ms   p99 {pct(f.bare, 99):7.2f} ms",
        f"BinanceSpot.place_order:     {f.orders / f.adapter_s:8.1f} orders/s   p50 {a50:7.2f} ms   "
        f"p99 {pct(f.adapter, 99):7.2f} ms",
        f"adapter overhead: p50 {a50 - b50:+.2f} ms ({a50 / b50:.2f}x the bare client; target under 1 ms)",
    ])


def register_bench(bench_subparsers: Any) -> None:
    """Add ``venue`` to ``trader-app bench``."""
    p = bench_subparsers.add_parser("venue", help="a venue adapter's cost per order against its fake",
                                    description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--venue", choices=("binance",), default="binance", help="the adapter (binance: spot)")
    p.add_argument("--orders", type=int, default=1000, help="orders per side of the comparison (default 1000)")
    p.add_argument("--latency-ms", type=float, default=0.0, help="the fake's answer delay in ms (default 0)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.orders < 1:
        print("trader-app bench venue: --orders must be >= 1")
        return 2
    try:
        figures = asyncio.run(run_venue(args.orders, args.latency_ms))
    except RuntimeError as exc:
        print(f"trader-app bench venue: {exc}")
        return 2
    print(report(figures), flush=True)
    return 0
