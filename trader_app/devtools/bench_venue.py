"""``trader-app bench venue --venue binance --orders 1000``: what the Binance adapter adds to an order.

The fake Binance (``tests/fakes/binance``: run from a source checkout) runs in its own process on 127.0.0.1,
declaring ORDERS and REQUEST_WEIGHT limits high enough for the run (Binance's own are 100 orders per 10 s per
account and 6000 weight per minute per IP: the adapter's budgets would otherwise pace the bench, which is the
venue's rule, not the adapter's cost).
Measured, one order at a time (MARKET BTC/USDT, 0.0001, alternating buy and sell), ``--orders`` each, for both
order entries:
- REST: a bare ``httpx.AsyncClient`` POSTing ``/api/v3/order`` with a freshly signed query (HMAC-SHA256),
  nothing else, next to ``BinanceSpot.place_order`` with ``order_entry="rest"``;
- WebSocket API: a bare ``websockets`` connection sending signed ``order.place`` requests and awaiting each
  answer, next to ``BinanceSpot.place_order`` with ``order_entry="ws"`` (the default: the account's own
  WebSocket API connection, which also carries its user data).
The adapter adds rounding to the lot, the weight and order budgets, signing with the venue clock, the answer
mapped to an ``Order`` and its fills queued. Printed: orders/s and p50/p99 place-order latency of each, and
the adapter's overhead per transport (p50 difference; the issue's target: under 1 ms).
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
from ..brokers.venues import BENCH_KITS
from ..heap import settle_heap
from .bench_fanout import pct

FAKES = Path(__file__).resolve().parents[2] / "tests"


class FakeBinanceProcess:
    """A venue's fake in a child process (``python -m <module>``, default the fake Binance); ``await start()``
    gives its URLs."""

    def __init__(self, accounts: int, latency_ms: float, order_limit: int = 1_000_000,
                 module: str = "fakes.binance") -> None:
        if not (FAKES / Path(*module.split("."))).is_dir():
            raise RuntimeError("the venues' fakes live in the source checkout's tests/ folder: run this bench from "
                               "a checkout (pip install -e .), not from the installed app")
        self.module = module
        self.args = ["--accounts", str(accounts), "--latency-ms", str(latency_ms), "--order-limit", str(order_limit),
                     "--weight-limit", str(order_limit)]
        self.proc: subprocess.Popen[str] | None = None

    async def start(self) -> tuple[str, str]:
        self.proc = subprocess.Popen([sys.executable, "-m", self.module, *self.args], cwd=FAKES,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = await asyncio.get_running_loop().run_in_executor(None, self.proc.stdout.readline)
        if not line:
            raise RuntimeError(f"the fake of {self.module} did not start")
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


def spot_account(rest: str, stream: str, index: int, network: Any, order_entry: str = "ws") -> Any:
    """The ``index``-th bench account of the fake as a ``BinanceSpot`` adapter on ``network``."""
    from ..brokers.binance.spot import BinanceSpot
    from ..brokers.binance.urls import SPOT, endpoints

    ep = endpoints(SPOT).with_overrides(rest=rest, stream=stream, ws_api=f"{stream}/ws-api/v3")
    return BinanceSpot(f"bench-{index:03d}", ep, network, f"bench-key-{index}", f"bench-secret-{index}", live=False,
                       order_entry=order_entry)


@dataclass
class VenueFigures:
    """Latencies in ms, per order; ``rates`` orders/s; keys "bare rest", "adapter rest", "bare ws", "adapter ws"."""

    orders: int
    latency: dict[str, list[float]]
    rates: dict[str, float]
    label: str = "Binance spot"


def _params(i: int, prefix: str) -> dict[str, Any]:
    return {"symbol": "BTCUSDT", "side": "BUY" if i % 2 == 0 else "SELL", "type": "MARKET", "quantity": "0.0001",
            "newClientOrderId": new_client_order_id(prefix), "newOrderRespType": "FULL"}


async def _timed(n: int, warmup: int, one: Any) -> tuple[list[float], float]:
    loop = asyncio.get_running_loop()
    out: list[float] = []
    t_all = loop.time()
    for i in range(n + warmup):
        if i == warmup:
            t_all = loop.time()
        t0 = loop.time()
        await one(i)
        if i >= warmup:
            out.append((loop.time() - t0) * 1000)
    return out, n / (loop.time() - t_all)


async def run_venue(orders: int = 1000, latency_ms: float = 0.0, warmup: int = 20) -> VenueFigures:
    import httpx
    from websockets.asyncio.client import connect

    from ..brokers.venues import PROFILES
    from ..brokers.live.signing import hmac_sha256_hex

    fake = FakeBinanceProcess(2, latency_ms)
    rest, stream = await fake.start()
    network = PROFILES["binance"].network("binance")
    brokers = [spot_account(rest, stream, 0, network, order_entry="rest"),
               spot_account(rest, stream, 1, network, order_entry="ws")]
    latency: dict[str, list[float]] = {}
    rates: dict[str, float] = {}
    try:
        for b in brokers:
            await b.connect()
        drains = [asyncio.ensure_future(_drain(b)) for b in brokers]
        settle_heap()
        async with httpx.AsyncClient(base_url=rest, timeout=10) as client:
            async def bare_rest(i: int) -> None:
                query = urlencode({**_params(i, "bare"), "timestamp": int(time.time() * 1000), "recvWindow": 5000})
                r = await client.post(f"/api/v3/order?{query}&signature={hmac_sha256_hex('bench-secret-0', query)}",
                                      headers={"X-MBX-APIKEY": "bench-key-0"})
                r.json()

            latency["bare rest"], rates["bare rest"] = await _timed(orders, warmup, bare_rest)
        async with connect(f"{stream}/ws-api/v3", max_size=2**23) as ws:
            async def bare_ws(i: int) -> None:
                p = {**_params(i, "barews"), "apiKey": "bench-key-1", "timestamp": int(time.time() * 1000)}
                p["signature"] = hmac_sha256_hex("bench-secret-1", "&".join(f"{k}={p[k]}" for k in sorted(p)))
                await ws.send(json.dumps({"id": f"b{i}", "method": "order.place", "params": p}))
                while json.loads(await ws.recv()).get("id") != f"b{i}":
                    pass

            latency["bare ws"], rates["bare ws"] = await _timed(orders, warmup, bare_ws)
        for name, broker in (("adapter rest", brokers[0]), ("adapter ws", brokers[1])):
            async def adapter(i: int, broker: Any = broker) -> None:
                await broker.place_order(OrderRequest(broker.account_id, "BTC/USDT", Side.BUY if i % 2 == 0 else Side.SELL,
                                                      OrderType.MARKET, Decimal("0.0001"), new_client_order_id("bench")))

            latency[name], rates[name] = await _timed(orders, warmup, adapter)
        for d in drains:
            d.cancel()
        return VenueFigures(orders, latency, rates)
    finally:
        for b in brokers:
            with contextlib.suppress(Exception):
                await b.close()
        for shared in list(network.shared.values()):
            with contextlib.suppress(Exception):
                await shared.close()
        await network.close()
        fake.stop()


async def run_kit(kit: Any, orders: int = 1000, latency_ms: float = 0.0, warmup: int = 20) -> VenueFigures:
    """The REST comparison for a venue of the registry's ``BENCH_KITS``: its bare signed order call against its
    adapter's ``place_order``, one order at a time, on the venue's fake in its own process."""
    import httpx

    from ..brokers.venues import PROFILES

    fake = FakeBinanceProcess(2, latency_ms, module=kit.fake_module)
    rest, stream = await fake.start()
    network = PROFILES[kit.venue].network(kit.venue)
    broker = kit.account(rest, stream, 1, network, "rest")  # the REST line is compared with the bare REST call
    latency: dict[str, list[float]] = {}
    rates: dict[str, float] = {}
    try:
        await broker.connect()
        drain = asyncio.ensure_future(_drain(broker))
        settle_heap()
        async with httpx.AsyncClient(base_url=rest, timeout=10) as client:
            async def bare(i: int) -> None:
                await kit.bare_order(client, 0, i)

            latency["bare rest"], rates["bare rest"] = await _timed(orders, warmup, bare)

        async def adapter(i: int) -> None:
            await broker.place_order(kit.order(broker.account_id, i, new_client_order_id("bench")))

        latency["adapter rest"], rates["adapter rest"] = await _timed(orders, warmup, adapter)
        drain.cancel()
        return VenueFigures(orders, latency, rates, kit.label)
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
    lines = [f"venue bench: {f.label}, {f.orders} MARKET orders per line, one at a time, the venue's fake in its own "
             f"process"]
    labels = {"bare rest": "bare REST client (httpx, signed by hand)", "adapter rest": "the adapter, order entry REST",
              "bare ws": "bare WebSocket API client", "adapter ws": "the adapter, order entry WebSocket API"}
    for key, label in labels.items():
        if key not in f.latency:
            continue
        lat = f.latency[key]
        lines.append(f"{label:38s} {f.rates[key]:8.1f} orders/s   p50 {pct(lat, 50):7.2f} ms   p99 {pct(lat, 99):7.2f} ms")
    for kind in [k for k in ("rest", "ws") if f"bare {k}" in f.latency]:
        bare, ours = pct(f.latency[f"bare {kind}"], 50), pct(f.latency[f"adapter {kind}"], 50)
        lines.append(f"adapter overhead over {kind.upper():4s}: p50 {ours - bare:+.2f} ms ({ours / bare:.2f}x the bare client; "
                     f"target under 1 ms)")
    return "\n".join(lines)


def register_bench(bench_subparsers: Any) -> None:
    """Add ``venue`` to ``trader-app bench``."""
    p = bench_subparsers.add_parser("venue", help="a venue adapter's cost per order against its fake",
                                    description="Place orders one at a time through a venue adapter and through a bare client against the "
                                                "venue's fake (run from a source checkout), and print orders per second, latency "
                                                "and the adapter's overhead, over REST and over the WebSocket API.")
    p.add_argument("--venue", choices=("binance", *BENCH_KITS), default="binance",
                   help="the adapter (binance: spot, REST and WebSocket API; the others: REST)")
    p.add_argument("--orders", type=int, default=1000, help="orders per side of the comparison (default 1000)")
    p.add_argument("--latency-ms", type=float, default=0.0, help="the fake's answer delay in ms (default 0)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.orders < 1:
        print("trader-app bench venue: --orders must be >= 1")
        return 2
    try:
        if args.venue in BENCH_KITS:
            figures = asyncio.run(run_kit(BENCH_KITS[args.venue], args.orders, args.latency_ms))
        else:
            figures = asyncio.run(run_venue(args.orders, args.latency_ms))
    except RuntimeError as exc:
        print(f"trader-app bench venue: {exc}")
        return 2
    print(report(figures), flush=True)
    return 0
