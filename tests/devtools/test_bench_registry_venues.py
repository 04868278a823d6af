"""The benches run for a venue of the registry's ``BENCH_KITS`` (Bybit): its fake in its own process, its adapter
measured against the bare signed call, and a small fan-out (figures are printed by the commands; here: they run
and every order is acknowledged)."""

from __future__ import annotations

import pytest

from trader_app.brokers.venues import BENCH_KITS
from trader_app.devtools.bench_fanout import report as fanout_report
from trader_app.devtools.bench_fanout import run_fanout
from trader_app.devtools.bench_venue import report, run_kit


async def test_bench_venue_and_fanout_run_for_a_registry_venue():
    figures = await run_kit(BENCH_KITS["bybit"], orders=20, warmup=2)
    assert set(figures.latency) == {"bare rest", "adapter rest"} and len(figures.latency["adapter rest"]) == 20
    assert "adapter overhead over REST" in report(figures)
    fan = await run_fanout(accounts=5, latency_ms=5, signals=2, sequential_signals=1, round_trips=3, warmup=1,
                           venue="bybit")
    assert fan.orders_ok == fan.orders_total > 0
    assert "the fake of Bybit unified account" in fanout_report(fan)


@pytest.mark.parametrize("venue", ["upbit", "bithumb"])
async def test_bench_venue_and_fanout_run_for_a_venue_that_buys_by_amount(venue):
    """Upbit and Bithumb: their bench orders buy by KRW amount (``BenchKit.buy_amount``), the fan-out's signals too."""
    figures = await run_kit(BENCH_KITS[venue], orders=10, warmup=2)
    assert len(figures.latency["adapter rest"]) == 10 and len(figures.latency["bare rest"]) == 10
    fan = await run_fanout(accounts=3, latency_ms=5, signals=2, sequential_signals=1, round_trips=3, warmup=1,
                           venue=venue)
    assert fan.orders_ok == fan.orders_total > 0
