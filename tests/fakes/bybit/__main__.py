"""Run the fake Bybit in its own process (for ``trader-app bench venue|fanout --venue bybit``):
``python -m fakes.bybit --accounts N --latency-ms L`` (with ``tests/`` on the path) opens N unified accounts with
keys ``bench-key-<i>`` / secrets ``bench-secret-<i>`` (1,000,000 USDT and 100 BTC each); see
``serving.run_bench_fake``."""

from __future__ import annotations

from typing import Any

from ..serving import run_bench_fake
from .server import FakeBybitServer
from .venue import FakeBybit


def server_of(args: Any) -> FakeBybitServer:
    venue = FakeBybit()
    for i in range(args.accounts):
        venue.open(f"bench-key-{i}", f"bench-secret-{i}", {"USDT": "1000000", "BTC": "100"})
    venue.faults.delay_s = args.latency_ms / 1000
    return FakeBybitServer(venue)


if __name__ == "__main__":
    run_bench_fake("fakes.bybit", server_of)
