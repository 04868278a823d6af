"""Replay: the quotes carry the bars' prices in the plausible order; the bars are republished exactly."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D
from pathlib import Path

import pytest

from trader_app.core.bus import EventBus
from trader_app.core.enums import Interval
from trader_app.core.events import BarEvent, QuoteEvent
from trader_app.core.market_data import Bar
from trader_app.market.csv_import import read_ohlcv_csv
from trader_app.market.replay import ReplayMarket, bar_path, price_step

DATA = Path(__file__).parent / "data"
T0 = 1_704_067_200_000


def mk(i: int, o, h, lo, c, v="4", symbol="X", iv=Interval.M1) -> Bar:
    return Bar(symbol, iv, T0 + i * iv.ms, D(o), D(h), D(lo), D(c), D(v))


UP = mk(0, "10.00", "12.50", "9.75", "12.00")
DOWN = mk(1, "12.00", "12.25", "8.00", "8.50", "10")


def record(bus: EventBus):
    quotes, bars = [], []
    bus.subscribe(QuoteEvent, lambda ev: quotes.append(ev.quote))
    bus.subscribe(BarEvent, lambda ev: bars.append(ev.bar))
    return quotes, bars


def test_bar_path_order_and_price_step():
    assert bar_path(UP) == (D("10.00"), D("9.75"), D("12.50"), D("12.00"))  # rising: low before high
    assert bar_path(DOWN) == (D("12.00"), D("12.25"), D("8.00"), D("8.50"))  # falling: high before low
    assert price_step([UP]) == D("0.01")
    assert price_step([mk(0, "78200", "79800", "78200", "79600")]) == D("1")


def test_each_bar_becomes_four_quotes_then_the_bar_itself():
    bus = EventBus()
    quotes, bars = record(bus)
    rm = ReplayMarket(bus, [DOWN, UP], speed=1)  # unsorted input is replayed in time order
    for _ in range(8):
        rm.step()
    assert [(q.ts_ms - T0, q.last, q.bid, q.ask, q.volume) for q in quotes] == [
        (0, D("10.00"), D("9.99"), D("10.01"), D("1")),
        (15_000, D("9.75"), D("9.74"), D("9.76"), D("1")),
        (30_000, D("12.50"), D("12.49"), D("12.51"), D("1")),
        (59_999, D("12.00"), D("11.99"), D("12.01"), D("1")),
        (60_000, D("12.00"), D("11.99"), D("12.01"), D("2.5")),
        (75_000, D("12.25"), D("12.24"), D("12.26"), D("2.5")),
        (90_000, D("8.00"), D("7.99"), D("8.01"), D("2.5")),
        (119_999, D("8.50"), D("8.49"), D("8.51"), D("2.5")),
    ]
    assert all(q.venue == "paper" and q.symbol == "X" and q.day_open == D("10.00") for q in quotes)
    assert [b for b in bars if b.closed] == [UP, DOWN]
    forming = [b for b in bars if not b.closed]
    assert [(b.open, b.high, b.low, b.close, b.volume) for b in forming[:3]] == [
        (D("10.00"), D("10.00"), D("10.00"), D("10.00"), D("1")),
        (D("10.00"), D("10.00"), D("9.75"), D("9.75"), D("2")),
        (D("10.00"), D("12.50"), D("9.75"), D("12.50"), D("3")),
    ]
    assert rm.bars_done == 2


def test_given_tick_size_sets_the_spread():
    bus = EventBus()
    quotes, _ = record(bus)
    rm = ReplayMarket(bus, [UP], tick_size=D("0.25"))
    rm.step()
    assert (quotes[0].bid, quotes[0].ask) == (D("9.75"), D("10.25"))
    with pytest.raises(ValueError):
        ReplayMarket(bus, [UP], speed=0)


async def test_replay_runs_to_the_end_with_the_files_prices():
    imp = read_ohlcv_csv(DATA / "BTCUSDT-1m-2024-01.csv")
    bus = EventBus()
    quotes, bars = record(bus)
    rm = ReplayMarket(bus, imp.bars, speed=500)
    rm.start()
    await asyncio.wait_for(rm.done.wait(), 20)
    assert rm.finished and not rm.running and rm.bars_done == 5
    assert [b for b in bars if b.closed] == imp.bars
    assert [q.last for q in quotes] == [p for b in imp.bars for p in bar_path(b)]
    assert quotes[0].last == D("42283.58") and quotes[-1].last == D("42333")
    assert all(q.bid < q.last < q.ask for q in quotes)
    await rm.stop()


async def test_stop_midway_sets_done_but_not_finished():
    bus = EventBus()
    quotes, _ = record(bus)
    bars = [mk(i, "10", "11", "9", "10.5") for i in range(1000)]
    rm = ReplayMarket(bus, bars, speed=20)
    rm.start()
    while not quotes:
        await asyncio.sleep(0.01)
    await rm.stop()
    assert rm.done.is_set() and not rm.finished
    n = len(quotes)
    assert 0 < n < 4000
    await asyncio.sleep(0.05)
    assert len(quotes) == n


async def test_several_symbols_in_time_order():
    bus = EventBus()
    quotes, _ = record(bus)
    a = [mk(i, "10", "11", "9", "10.5", symbol="A") for i in range(3)]
    b = [mk(i, "20", "21", "19", "20.5", symbol="B") for i in range(3)]
    rm = ReplayMarket(bus, b + a, speed=1000)
    rm.start()
    await asyncio.wait_for(rm.done.wait(), 20)
    assert [q.symbol for q in quotes[::4]] == ["A", "B"] * 3
    assert rm.symbols == ["A", "B"]


async def test_set_speed_speeds_up_a_running_replay():
    bus = EventBus()
    bars = [mk(i, "10", "11", "9", "10.5") for i in range(40)]
    rm = ReplayMarket(bus, bars, speed=0.5)
    with pytest.raises(ValueError):
        rm.set_speed(0)
    rm.start()
    await asyncio.sleep(0)
    rm.set_speed(10_000)
    await asyncio.wait_for(rm.done.wait(), 20)
    assert rm.finished and rm.bars_done == 40
    rm.start()  # a finished replay does not restart
    assert not rm.running
