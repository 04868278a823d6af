"""Run the fake Upbit in its own process (for ``trader-app bench venue --venue upbit``):
``python -m fakes.upbit --accounts N --latency-ms L`` (with ``tests/`` on the path) opens N accounts with access keys
``bench-key-<i>`` / secret keys ``bench-secret-<i>`` (10,000,000,000 KRW and 100 BTC each), prints one JSON line
``{"rest": url, "stream": url}`` and serves until its standard input closes."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from .server import FakeUpbitServer
from .venue import FakeUpbit


async def main(accounts: int, latency_ms: float) -> None:
    venue = FakeUpbit()
    for i in range(accounts):
        venue.open(f"bench-key-{i}", f"bench-secret-{i}", {"KRW": "10000000000", "BTC": "100"})
    venue.faults.delay_s = latency_ms / 1000
    async with FakeUpbitServer(venue) as server:
        print(json.dumps({"rest": server.rest_url, "stream": server.stream_url}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="fakes.upbit")
    p.add_argument("--accounts", type=int, default=1)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--order-limit", type=int, default=0, help="ignored (the Binance fake's flag, for a common runner)")
    p.add_argument("--weight-limit", type=int, default=0, help="ignored")
    a = p.parse_args()
    asyncio.run(main(a.accounts, a.latency_ms))
