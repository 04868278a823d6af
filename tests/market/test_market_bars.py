"""Bar aggregation: exact OHLCV over a scripted quote sequence, closing, throttled live bars, persistence."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from trader_app.core.bus import EventBus
from trader_app.core.enums import Interval
from trader_app.core.events import BarEvent, QuoteEvent
from trader_app.core.market_data import Bar, Quote
from trader_app.market.bars import BarAggregator
from trader_app.store import Store

T0 = 1_700_000_100_000  # a 5-minute (and 1-minute) boundary: 2023-11-14T22:15:00Z
assert T0 % 300_000 == 0


def q(sec: float, last: str, vol: str, symbol: str = "BTC/USDT", venue: str = "paper", source: str = "demo") -> QuoteEvent:
    p = D(last)
    return QuoteEvent(Quote(symbol, T0 + int(sec * 1000), p - D("0.5"), p + D("0.5"), p, D(vol), venue=venue), source)


SCRIPT = [
    q(0, "100", "1"),
    q(20, "102", "2"),
    q(40, "99", "1"),
    q(59.999, "101", "3"),  # last tick of minute 0
    q(60, "101.5", "1"),  # minute 1 opens
    q(90, "103", "2"),
    # minutes 2 and 3: no quotes (a gap, no bars)
    q(250, "98", "5"),  # minute 4
    q(300, "97", "1"),  # next 5-minute bucket
    q(310, "97.5", "2"),
]


def bar(iv: Interval, start_s: int, o, h, lo, c, v, closed=True, symbol="BTC/USDT") -> Bar:
    return Bar(symbol, iv, T0 + start_s * 1000, D(o), D(h), D(lo), D(c), D(v), closed)


def closed_events(bus: EventBus) -> list[Bar]:
    got: list[Bar] = []
    bus.subscribe(BarEvent, lambda ev: got.append(ev.bar) if ev.bar.closed else None)
    return got


async def test_exact_ohlcv_across_1m_and_5m_boundaries():
    bus = EventBus()
    closed = closed_events(bus)
    agg = BarAggregator(bus, None, (Interval.M1, Interval.M5), clock=None)
    for ev in SCRIPT:
        bus.publish(ev)
    assert closed == [
        bar(Interval.M1, 0, "100", "102", "99", "101", "7"),
        bar(Interval.M1, 60, "101.5", "103", "101.5", "103", "3"),
        bar(Interval.M1, 240, "98", "98", "98", "98", "5"),
        bar(Interval.M5, 0, "100", "103", "98", "98", "15"),
    ]
    assert agg.live_bar("BTC/USDT", Interval.M1) == bar(Interval.M1, 300, "97", "97.5", "97", "97.5", "3", closed=False)
    assert agg.live_bar("BTC/USDT", Interval.M5) == bar(Interval.M5, 300, "97", "97.5", "97", "97.5", "3", closed=False)
    assert agg.live_bar("BTC/USDT", Interval.H1) is None  # not aggregated
    assert agg.live_bar("ETH/USDT", Interval.M1) is None
    assert agg.close_all() == 2
    assert closed[4:] == [
        bar(Interval.M1, 300, "97", "97.5", "97", "97.5", "3"),
        bar(Interval.M5, 300, "97", "97.5", "97", "97.5", "3"),
    ]
    assert agg.live_bar("BTC/USDT", Interval.M1) is None
    await agg.stop()


async def test_all_intervals_and_symbols_are_independent():
    bus = EventBus()
    closed = closed_events(bus)
    agg = BarAggregator(bus, None, clock=None)
    assert agg.intervals == (Interval.M1, Interval.M5, Interval.M15, Interval.H1, Interval.D1)
    bus.publish(q(0, "10", "1", symbol="A"))
    bus.publish(q(1, "20", "1", symbol="B"))
    bus.publish(q(61, "11", "2", symbol="A"))
    assert closed == [bar(Interval.M1, 0, "10", "10", "10", "10", "1", symbol="A")]
    d1 = agg.live_bar("A", Interval.D1)
    assert d1 is not None and d1.open_time_ms == Interval.D1.bucket_start(T0)
    assert (d1.open, d1.high, d1.low, d1.close, d1.volume) == (D("10"), D("11"), D("10"), D("11"), D("3"))
    assert agg.live_bar("B", Interval.H1).close == D("20")
    await agg.stop()


async def test_late_quotes_and_replay_quotes_are_ignored():
    bus = EventBus()
    closed = closed_events(bus)
    agg = BarAggregator(bus, None, (Interval.M1,), clock=None)
    bus.publish(q(0, "100", "1"))
    bus.publish(q(65, "101", "1"))
    bus.publish(q(30, "500", "9"))  # late: minute 0 is closed
    bus.publish(q(66, "1", "1", source="replay"))
    assert agg.late == 1
    assert closed == [bar(Interval.M1, 0, "100", "100", "100", "100", "1")]
    assert agg.live_bar("BTC/USDT", Interval.M1) == bar(Interval.M1, 60, "101", "101", "101", "101", "1", closed=False)
    await agg.stop()


async def test_clock_sweep_closes_quiet_symbols_once():
    bus = EventBus()
    closed = closed_events(bus)
    agg = BarAggregator(bus, None, (Interval.M1, Interval.M5), clock=None, close_grace_ms=2000)
    bus.publish(q(10, "50", "1"))
    assert agg.sweep(T0 + 61_999) == 0  # within the grace period
    assert agg.sweep(T0 + 62_000) == 1  # the 1m bar closes; the 5m bar is still open
    assert closed == [bar(Interval.M1, 0, "50", "50", "50", "50", "1")]
    bus.publish(q(30, "55", "1"))  # late for 1m (closed by the clock) but counts for 5m
    assert agg.late == 1
    assert agg.sweep(T0 + 302_000) == 1
    assert closed[1] == bar(Interval.M5, 0, "50", "55", "50", "55", "2")
    assert agg.sweep(T0 + 900_000) == 0
    assert agg.close_all() == 0
    await agg.stop()


async def test_live_bar_events_are_coalesced_per_timer_period():
    bus = EventBus()
    live: list[Bar] = []
    first = asyncio.get_running_loop().create_future()

    def on_bar(ev: BarEvent) -> None:
        if not ev.bar.closed:
            live.append(ev.bar)
            if not first.done():
                first.set_result(None)

    bus.subscribe(BarEvent, on_bar)
    agg = BarAggregator(bus, None, (Interval.M1, Interval.M5), live_period_s=0.05, clock=None)
    for i in range(1000):  # 1000 ticks inside one slice: one live update per interval, with the final state
        bus.publish(q(i * 0.01, str(100 + i % 7), "1"))
    assert live == []
    await asyncio.wait_for(first, 10)
    assert live == [
        bar(Interval.M1, 0, "100", "106", "100", str(100 + 999 % 7), "1000", closed=False),
        bar(Interval.M5, 0, "100", "106", "100", str(100 + 999 % 7), "1000", closed=False),
    ]
    await agg.stop()


async def test_closed_bars_are_persisted_in_batches(tmp_path):
    store = Store.open(tmp_path / "t.db")
    try:
        bus = EventBus()
        agg = BarAggregator(bus, store, (Interval.M1, Interval.M5), clock=None, save_batch=2)
        for ev in SCRIPT:
            bus.publish(ev)
        agg.close_all()
        assert len(agg.unsaved("BTC/USDT", Interval.M1)) == 4
        await agg.flush()
        assert agg.unsaved("BTC/USDT", Interval.M1) == [] and agg.saved == 6
        m1 = await store.run(store.bars.load, "BTC/USDT", Interval.M1)
        assert [(b.open_time_ms - T0, b.open, b.high, b.low, b.close, b.volume) for b in m1] == [
            (0, D("100"), D("102"), D("99"), D("101"), D("7")),
            (60_000, D("101.5"), D("103"), D("101.5"), D("103"), D("3")),
            (240_000, D("98"), D("98"), D("98"), D("98"), D("5")),
            (300_000, D("97"), D("97.5"), D("97"), D("97.5"), D("3")),
        ]
        m5 = await store.run(store.bars.load, "BTC/USDT", Interval.M5)
        assert [(b.open_time_ms - T0, b.volume) for b in m5] == [(0, D("15")), (300_000, D("3"))]
        await agg.stop()
        bus.publish(q(900, "1", "1"))  # stopped: no longer listening
        assert agg.live_bar("BTC/USDT", Interval.M1) is None
    finally:
        store.close()


async def test_timer_saves_without_explicit_flush(tmp_path):
    store = Store.open(tmp_path / "t.db")
    try:
        bus = EventBus()
        saved = asyncio.get_running_loop().create_future()
        agg = BarAggregator(bus, store, (Interval.M1,), clock=None, live_period_s=0.01, save_period_s=0.0)
        bus.publish(q(0, "10", "1"))
        bus.publish(q(60, "11", "1"))

        async def wait_saved():
            while agg.saved < 1:
                await asyncio.sleep(0.01)
            saved.set_result(None)

        await asyncio.wait_for(wait_saved(), 10)
        rows = await store.run(store.bars.load, "BTC/USDT", Interval.M1)
        assert [(b.open_time_ms, b.close) for b in rows] == [(T0, D("10"))]
        await agg.stop()
    finally:
        store.close()


@pytest.mark.parametrize("price", ["0", "-1"])
async def test_quotes_without_a_positive_last_price_are_skipped(price):
    bus = EventBus()
    agg = BarAggregator(bus, None, (Interval.M1,), clock=None)
    bus.publish(q(0, price, "1"))
    assert agg.live_bar("BTC/USDT", Interval.M1) is None
    await agg.stop()
