"""Run the fake Binance in its own process (for ``trader-app bench venue`` / ``bench fanout --venue binance``):
``python -m fakes.binance --accounts N --latency-ms L`` (with ``tests/`` on the path) opens N spot accounts with
keys ``bench-key-<i>`` / secrets ``bench-secret-<i>`` (1,000,000 USDT and 100 BTC each); ``--order-limit`` and
``--weight-limit`` replace the limits it declares (see ``serving.run_bench_fake``)."""

from __future__ import annotations

from typing import Any

from ..serving import run_bench_fake
from .server import FakeBinanceServer
from .venue import FakeBinance


def server_of(args: Any) -> FakeBinanceServer:
    venue = FakeBinance()
    if args.weight_limit:  # likewise for the IP's request weight (100 accounts connecting cost 20 weight each)
        venue.rate_limits = [r for r in venue.rate_limits if r["rateLimitType"] != "REQUEST_WEIGHT"] + [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": args.weight_limit}]
    if args.order_limit:  # a bench measures the adapter, not Binance's 100 orders per 10 s per account
        venue.rate_limits = [r for r in venue.rate_limits if r["rateLimitType"] != "ORDERS"] + [
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": args.order_limit}]
    for i in range(args.accounts):
        venue.accounts.open(f"bench-key-{i}", f"bench-secret-{i}", {"USDT": "1000000", "BTC": "100"})
    venue.faults.delay_s = args.latency_ms / 1000
    return FakeBinanceServer(venue)


if __name__ == "__main__":
    run_bench_fake("fakes.binance", server_of)
