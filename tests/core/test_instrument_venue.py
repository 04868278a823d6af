"""Venue-qualified instruments (issue 10): a tick ladder by price band, maximum quantity, contract multiplier,
the venue's own symbol; quotes kept per (venue, symbol) so one symbol on two venues never collides."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from trader_app.core import InvalidOrder, Instrument, MarketType, OrderRequest, OrderType, Quote, QuoteEvent, Side
from trader_app.core.bus import EventBus
from trader_app.trading.tracking import check_min_notional, round_request

# Upbit's KRW market price units (https://docs.upbit.com/kr/docs/krw-market-info, from 2025-07-31)
UPBIT_KRW = ((D(1000), D(1)), (D(5000), D(5)), (D(10000), D(10)), (D(50000), D(50)), (D(100000), D(100)),
             (D(500000), D(500)), (D(1000000), D(1000)))
KRW_BTC = Instrument("BTC/KRW", "upbit", MarketType.SPOT, "BTC", "KRW", D("0.1"), D("0.00000001"),
                     venue_symbol="KRW-BTC", tick_bands=UPBIT_KRW, max_qty=D("5"))


@pytest.mark.parametrize("price, tick, rounded", [
    ("950.26", "0.1", "950.3"), ("4321.6", "1", "4322"), ("7777", "5", "7775"), ("12345", "10", "12350"),
    ("87654", "50", "87650"), ("123456", "100", "123500"), ("654321", "500", "654500"),
    ("143210987", "1000", "143211000"), ("99990", "50", "100000"),  # rounding up crosses into the 100 band
])
def test_the_tick_ladder_applies_the_band_of_the_price(price, tick, rounded):
    assert KRW_BTC.tick_at(D(price)) == D(tick)
    assert KRW_BTC.round_price(D(price)) == D(rounded)
    assert KRW_BTC.on_tick(D(rounded))


def test_venue_symbol_key_and_maximum_quantity():
    assert KRW_BTC.key == ("upbit", "BTC/KRW") and KRW_BTC.wire_symbol == "KRW-BTC"
    request = OrderRequest("a1", "BTC/KRW", Side.BUY, OrderType.LIMIT, D("6"), "c1", price=D("143210987"))
    with pytest.raises(InvalidOrder, match="above the maximum 5 of one BTC/KRW order on upbit"):
        round_request(request, KRW_BTC)
    ok = round_request(OrderRequest("a1", "BTC/KRW", Side.BUY, OrderType.LIMIT, D("0.5"), "c2",
                                    price=D("143210987")), KRW_BTC)
    assert ok.price == D("143211000")


def test_the_contract_multiplier_counts_in_the_minimum_notional():
    future = Instrument("BTC/USD", "deribit", MarketType.FUTURES, "BTC", "USD", D("0.5"), D("1"),
                        min_notional=D("100"), multiplier=D("10"))
    request = OrderRequest("a1", "BTC/USD", Side.BUY, OrderType.LIMIT, D("1"), "c1", price=D("9"))
    with pytest.raises(InvalidOrder, match="notional 90"):
        check_min_notional(request, future, D("9"))
    check_min_notional(request, future, D("10"))  # 1 contract x 10 x 10 = 100


async def test_quotes_are_kept_per_venue_and_an_account_prices_with_its_own(tmp_path):
    from trader_app.market.service import MarketService
    from trader_app.store import Store
    from trader_app.trading import OrderManager

    bus, store = EventBus(), Store.open(tmp_path / "t.db")
    market = MarketService(bus, store, [KRW_BTC])
    om = OrderManager(store, bus, reconcile_interval_s=None)
    try:
        async def feed():
            yield Quote("BTC/KRW", 1, D("100"), D("101"), D("100"), venue="upbit")
            yield Quote("BTC/KRW", 2, D("200"), D("201"), D("200"), venue="bithumb")

        await market.add_feed("two venues", feed())
        await bus.drain()
        assert market.last_quote("BTC/KRW", "upbit").bid == D("100")
        assert market.last_quote("BTC/KRW", "bithumb").bid == D("200")
        assert market.last_quote("BTC/KRW").bid == D("200")  # the newest of any venue
        assert om.last_quote("BTC/KRW", "upbit").bid == D("100")
        assert om.quote_for("no-such-account", "BTC/KRW") is None  # no venue, no price (issue 21, defect 6)
    finally:
        await om.close()
        await market.close()
        store.close()


async def test_a_venue_feed_with_its_own_klines_is_charted_as_the_venue_sends_them(tmp_path):
    """A source that streams bars (a venue's klines) publishes and stores them as they are, per venue; the
    aggregator then leaves that source's quotes alone instead of building a second set of bars from them."""
    from trader_app.core.enums import Interval
    from trader_app.core.events import BarEvent
    from trader_app.core.market_data import Bar
    from trader_app.market.service import MarketService
    from trader_app.store import Store

    bus, store = EventBus(), Store.open(tmp_path / "t.db")
    market = MarketService(bus, store, [KRW_BTC])
    seen: list[Bar] = []
    bus.subscribe(BarEvent, lambda ev: seen.append(ev.bar))
    m = Interval.M1.ms
    t0 = 1_700_000_040_000 - 1_700_000_040_000 % m
    kline = Bar("BTC/KRW", Interval.M1, t0, D("100"), D("130"), D("90"), D("120"), D("4"), True, "upbit")
    try:
        async def feed():
            yield Bar("BTC/KRW", Interval.M1, t0, D("100"), D("110"), D("100"), D("105"), D("1"), False, "upbit")
            yield Quote("BTC/KRW", t0 + 61_000, D("120"), D("121"), D("120"), D("1"), venue="upbit")
            yield kline
            yield Quote("BTC/KRW", t0 + 122_000, D("125"), D("126"), D("125"), D("1"), venue="upbit")

        await market.add_feed("upbit", feed())
        await bus.drain()
        await market.aggregator.flush()
        assert [b for b in seen if b.venue == "upbit" and b.closed] == [kline]  # none rebuilt from quotes
        assert market.aggregator.live_bar("BTC/KRW", Interval.M1, "upbit") is None
        stored = await store.run(lambda: store.bars.load("BTC/KRW", Interval.M1, venue="upbit"))
        assert stored == [kline]
        assert market.quote_of("upbit:BTC/KRW").last == D("125")
    finally:
        await market.close()
        store.close()
