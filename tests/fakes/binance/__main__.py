"""Run the fake Binance in its own process (for ``trader-app bench venue`` / ``bench fanout --venue binance``):
``python -m fakes.binance --accounts N --latency-ms L`` (with ``tests/`` on the path) opens N spot accounts with
keys ``bench-key-<i>`` / secrets ``bench-secret-<i>`` (1,000,000 USDT and 100 BTC each), prints one JSON line
``{"rest": url, "stream": url}`` and serves until its standard input closes."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from .server import FakeBinanceServer
from .venue import FakeBinance


async def main(accounts: int, latency_ms: float, order_limit: int, weight_limit: int) -> None:
    venue = FakeBinance()
    if weight_limit:  # likewise for the IP's request weight (100 accounts connecting cost 20 weight each)
        venue.rate_limits = [r for r in venue.rate_limits if r["rateLimitType"] != "REQUEST_WEIGHT"] + [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": weight_limit}]
    if order_limit:  # a bench measures the adapter, not Binance's 100 orders per 10 s per account
        venue.rate_limits = [r for r in venue.rate_limits if r["rateLimitType"] != "ORDERS"] + [
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": order_limit}]
    for i in range(accounts):
        venue.accounts.open(f"bench-key-{i}", f"bench-secret-{i}", {"USDT": "1000000", "BTC": "100"})
    venue.faults.delay_s = latency_ms / 1000
    async with FakeBinanceServer(venue) as server:
        print(json.dumps({"rest": server.rest_url, "stream": server.stream_url}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="fakes.binance")
    p.add_argument("--accounts", type=int, default=1)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--order-limit", type=int, default=0, help="ORDERS per 10 s it declares (0: Binance's 100)")
    p.add_argument("--weight-limit", type=int, default=0, help="REQUEST_WEIGHT per minute (0: Binance's 6000)")
    a = p.parse_args()
    asyncio.run(main(a.accounts, a.latency_ms, a.order_limit, a.weight_limit))
