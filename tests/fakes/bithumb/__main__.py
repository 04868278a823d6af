"""Run the fake Bithumb in its own process (for ``trader-app bench venue|fanout --venue bithumb``):
``python -m fakes.bithumb --accounts N --latency-ms L`` (with ``tests/`` on the path) opens N accounts with access
keys ``bench-key-<i>`` / secret keys ``bench-secret-<i>`` (10,000,000,000 KRW and 100 BTC each); see
``serving.run_bench_fake``."""

from __future__ import annotations

from typing import Any

from ..serving import run_bench_fake
from . import FakeBithumb, FakeBithumbServer


def server_of(args: Any) -> FakeBithumbServer:
    venue = FakeBithumb()
    for i in range(args.accounts):
        venue.open(f"bench-key-{i}", f"bench-secret-{i}", {"KRW": "10000000000", "BTC": "100"})
    venue.faults.delay_s = args.latency_ms / 1000
    return FakeBithumbServer(venue)


if __name__ == "__main__":
    run_bench_fake("fakes.bithumb", server_of)
