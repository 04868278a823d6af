"""Demo catalog and demo market: instruments, tick grid, determinism, live publishing, backfill."""

from __future__ import annotations

import asyncio
import math
from decimal import Decimal as D

import numpy as np
import pytest

from trader_app.core.bus import EventBus
from trader_app.core.enums import Interval, MarketType
from trader_app.core.errors import UnknownSymbol
from trader_app.core.events import QuoteEvent
from trader_app.market.catalog import demo_instruments, demo_profile
from trader_app.market.demo import YEAR_S, DemoMarket

TS = 1_700_000_000_000


def test_catalog_instruments():
    insts = {i.symbol: i for i in demo_instruments()}
    assert list(insts) == ["BTC/USDT", "ETH/USDT", "SOL/USDT", "005930", "AAPL"]
    btc = insts["BTC/USDT"]
    assert (btc.venue, btc.market_type, btc.base, btc.quote) == ("paper", MarketType.SPOT, "BTC", "USDT")
    assert (btc.tick_size, btc.lot_size, btc.min_qty, btc.min_notional) == (D("0.01"), D("0.00001"), D("0.00001"), D("5"))
    assert (insts["ETH/USDT"].lot_size, insts["SOL/USDT"].lot_size) == (D("0.0001"), D("0.001"))
    ss = insts["005930"]
    assert (ss.market_type, ss.quote, ss.tick_size, ss.lot_size) == (MarketType.STOCK, "KRW", D("100"), D("1"))
    aapl = insts["AAPL"]
    assert (aapl.market_type, aapl.quote, aapl.tick_size, aapl.lot_size) == (MarketType.STOCK, "USD", D("0.01"), D("1"))


def test_catalog_extra_symbols():
    insts = demo_instruments(extra_symbols=500)
    assert len(insts) == 505
    assert [i.symbol for i in insts[5:7]] == ["SYM001/USDT", "SYM002/USDT"]
    assert insts[-1].symbol == "SYM500/USDT" and insts[-1].venue == "paper" and insts[-1].quote == "USDT"
    assert len({i.symbol for i in insts}) == 505
    assert demo_profile(insts[5]).price == D(5 + 7919 % 995)  # 964
    with pytest.raises(ValueError):
        demo_instruments(-1)


def _check_quote(q, inst):
    assert q.bid % inst.tick_size == 0 and q.ask % inst.tick_size == 0
    assert 0 < q.bid < q.ask
    assert (q.ask - q.bid) / inst.tick_size in (1, 2, 3)
    assert q.last in (q.bid, q.ask)
    assert q.volume > 0 and q.volume % inst.lot_size == 0
    assert q.day_open > 0 and q.venue == "paper"


def test_quotes_on_tick_grid_with_bid_below_ask():
    insts = demo_instruments(20)
    by_symbol = {i.symbol: i for i in insts}
    demo = DemoMarket(EventBus(), insts, tick_rate=1000, seed=3)
    quotes = demo.generate(20_000, TS)
    for q in quotes:
        _check_quote(q, by_symbol[q.symbol])
        assert q.ts_ms == TS
    assert {q.symbol for q in quotes} == set(by_symbol)


def test_same_seed_same_quotes_however_batched():
    insts = demo_instruments(3)
    a = DemoMarket(EventBus(), insts, tick_rate=500, seed=42).generate(10_000, TS)
    m = DemoMarket(EventBus(), insts, tick_rate=500, seed=42)
    b = m.generate(1, TS) + m.generate(8190, TS) + m.generate(1809, TS)  # crosses the random block boundary
    assert a == b
    c = DemoMarket(EventBus(), insts, tick_rate=500, seed=43).generate(10_000, TS)
    assert [q.last for q in a] != [q.last for q in c]


def test_price_moves_with_the_profile_volatility():
    insts = demo_instruments()
    rate = 50.0
    demo = DemoMarket(EventBus(), insts, tick_rate=rate, seed=11)
    mids = [float(q.mid) for q in demo.generate(100_000, TS) if q.symbol == "ETH/USDT"]
    r = np.diff(np.log(mids))
    per_tick = 0.75 * math.sqrt(len(insts) / rate / YEAR_S)  # ETH: 75 %/yr, one ETH quote per 0.1 s
    # the spread (1..3 ticks of 0.01 on 3200) adds a little noise on top of the GBM step
    assert 0.9 * per_tick < float(np.std(r)) < 1.25 * per_tick
    assert 3000 < mids[-1] < 3400


def test_day_open_is_the_first_last_price_of_the_utc_day():
    demo = DemoMarket(EventBus(), demo_instruments()[:1], tick_rate=10, seed=1)
    day1 = demo.generate(50, TS)
    assert {q.day_open for q in day1} == {day1[0].last}
    day2 = demo.generate(5, TS + 86_400_000)
    assert {q.day_open for q in day2} == {day2[0].last}


def test_set_price_and_unknown_symbol():
    demo = DemoMarket(EventBus(), demo_instruments(), tick_rate=10, seed=1)
    demo.set_price("AAPL", D("201.37"))
    assert demo.price("AAPL") == D("201.37")
    with pytest.raises(UnknownSymbol):
        demo.price("DOGE/USDT")
    with pytest.raises(ValueError):
        demo.set_price("AAPL", D("0"))
    with pytest.raises(ValueError):
        DemoMarket(EventBus(), demo_instruments(), tick_rate=0)
    with pytest.raises(ValueError):
        DemoMarket(EventBus(), [], tick_rate=10)


async def test_start_publishes_quote_events_until_stopped():
    bus = EventBus()
    insts = demo_instruments(10)
    demo = DemoMarket(bus, insts, tick_rate=2000, seed=5)
    got: list = []
    enough = asyncio.get_running_loop().create_future()

    def on_quote(ev: QuoteEvent) -> None:
        got.append(ev.quote)
        if len(got) >= 300 and not enough.done():
            enough.set_result(None)

    bus.subscribe(QuoteEvent, on_quote)
    demo.start()
    demo.start()  # idempotent
    await asyncio.wait_for(enough, 20)
    await demo.stop()
    n = len(got)
    assert not demo.running and demo.emitted == n
    # the published sequence is the seeded sequence
    ref = DemoMarket(EventBus(), insts, tick_rate=2000, seed=5).generate(n, 0)
    assert [(q.symbol, q.bid, q.ask, q.last, q.volume) for q in got] == [
        (q.symbol, q.bid, q.ask, q.last, q.volume) for q in ref
    ]
    await asyncio.sleep(0.05)
    assert len(got) == n  # nothing after stop
    await demo.stop()  # idempotent


@pytest.mark.parametrize("interval, n", [(Interval.M1, 300), (Interval.D1, 200), (Interval.H1, 50)])
def test_backfill_ends_at_the_live_price(interval, n):
    insts = demo_instruments()
    demo = DemoMarket(EventBus(), insts, tick_rate=10, seed=9)
    end = TS + 12_345
    for inst in insts:
        bars = demo.backfill(inst.symbol, interval, n, end)
        assert len(bars) == n
        assert bars[-1].open_time_ms == interval.bucket_start(end) - interval.ms
        assert [b.open_time_ms for b in bars] == [bars[0].open_time_ms + k * interval.ms for k in range(n)]
        assert bars[-1].close == demo.price(inst.symbol)
        for prev, b in zip(bars, bars[1:]):
            assert b.open == prev.close
        for b in bars:
            assert b.closed and b.symbol == inst.symbol and b.interval is interval
            assert b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high
            assert b.low > 0 and b.volume > 0
            for x in (b.open, b.high, b.low, b.close):
                assert x % inst.tick_size == 0
            assert b.volume % inst.lot_size == 0
    again = DemoMarket(EventBus(), insts, tick_rate=10, seed=9).backfill("BTC/USDT", interval, n, end)
    assert again == demo.backfill("BTC/USDT", interval, n, end)


def test_backfill_to_a_given_last_price_and_edge_cases():
    demo = DemoMarket(EventBus(), demo_instruments(), tick_rate=10, seed=2)
    bars = demo.backfill("005930", Interval.D1, 10, TS, last_price=D("70000"))
    assert bars[-1].close == D("70000")
    assert demo.backfill("AAPL", Interval.M1, 0, TS) == []
    with pytest.raises(ValueError):
        demo.backfill("AAPL", Interval.M1, -1, TS)
    with pytest.raises(UnknownSymbol):
        demo.backfill("XYZ", Interval.M1, 3, TS)
