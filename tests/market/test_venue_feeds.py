"""The market service fed by a venue's own quote stream (issue 10 part 5): one feed per venue from a connected
account's adapter, watched symbols subscribed and unsubscribed on the running feed, quotes keyed by venue, the
feed handed to another account of the venue when its account leaves; the paper venue feeds nothing."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

from waiting import until as _until
from trader_app.core import AccountEvent, SessionState
from trader_app.core.bus import EventBus
from trader_app.core.enums import Interval, MarketType
from trader_app.core.events import QuoteEvent
from trader_app.core.ids import now_ms
from trader_app.core.market_data import Quote
from trader_app.core.instrument import Instrument
from trader_app.core.portfolio import Account
from trader_app.devtools.fakevenue import FakeVenue, FakeVenueBroker, FakeVenueServer
from trader_app.market.feeds import VenueFeeds
from trader_app.market.service import MarketService
from trader_app.store import Store
from trader_app.trading import OrderManager

BTC = Instrument("BTC/USDT", "fakevenue", MarketType.FUTURES, "BTC", "USDT", D("0.1"), D("0.001"))
PAPER_BTC = Instrument("BTC/USDT", "paper", MarketType.SPOT, "BTC", "USDT", D("0.01"), D("0.00001"))
ETH = Instrument("ETH/USDT", "fakevenue", MarketType.FUTURES, "ETH", "USDT", D("0.01"), D("0.001"))


async def test_one_feed_per_venue_follows_the_watchlist(tmp_path):
    venue = FakeVenue([BTC, ETH], {"BTC/USDT": D("100"), "ETH/USDT": D("10")}, latency_s=0.001)
    server = FakeVenueServer(venue)
    await server.start()
    bus, store = EventBus(), Store.open(tmp_path / "t.db")
    market = MarketService(bus, store, [BTC, ETH])
    om = OrderManager(store, bus, reconcile_interval_s=None)
    feeds = VenueFeeds(bus, market, om)
    brokers = [FakeVenueBroker(server.url, f"a{i}", quote_poll_s=0.02) for i in (1, 2)]
    try:
        await market.add_to_watchlist("fakevenue:BTC/USDT")
        for b in brokers:
            await b.connect()
            om.attach(b.account_id, b)
            await om.ready(b.account_id)
            bus.publish(AccountEvent(Account(b.account_id, b.account_id, "fakevenue"), SessionState.CONNECTED))
        assert await _until(lambda: market.last_quote("BTC/USDT", "fakevenue") is not None)
        assert list(feeds.feeds) == ["fakevenue"] and feeds.feeds["fakevenue"].account_id == "a1"
        assert market.last_quote("ETH/USDT", "fakevenue") is None  # not watched, not subscribed
        await market.add_to_watchlist("fakevenue:ETH/USDT")
        assert await _until(lambda: market.last_quote("ETH/USDT", "fakevenue") is not None)
        venue.prices["ETH/USDT"] = D("11")
        assert await _until(lambda: market.last_quote("ETH/USDT", "fakevenue").last == D("11"))
        await market.remove_from_watchlist("fakevenue:ETH/USDT")
        await asyncio.sleep(0.1)
        venue.prices["ETH/USDT"] = D("12")
        await asyncio.sleep(0.2)
        assert market.last_quote("ETH/USDT", "fakevenue").last == D("11")  # unsubscribed: no new prices
        # the feeding account leaves: the other account of the venue takes over
        await om.detach("a1")
        bus.publish(AccountEvent(Account("a1", "a1", "fakevenue"), SessionState.DISCONNECTED))
        assert await _until(lambda: "fakevenue" in feeds.feeds and feeds.feeds["fakevenue"].account_id == "a2")
        venue.prices["BTC/USDT"] = D("101")
        assert await _until(lambda: market.last_quote("BTC/USDT", "fakevenue").last == D("101"))
    finally:
        await feeds.close()
        await om.close()
        for b in brokers:
            await b.close()
        await market.close()
        await server.stop()
        store.close()


async def test_same_symbol_on_two_venues_is_two_instruments_two_quotes_two_histories(tmp_path):
    """``BTC/USDT`` listed by the paper venue and by a live venue: two watchlist rows, two prices, two bar
    series; the live venue's chart history comes from its adapter's ``bar_history`` (paged) and is kept in
    the store, so a second load asks the venue only for the bars after the stored ones."""
    venue = FakeVenue([BTC], {"BTC/USDT": D("100")}, latency_s=0.001)
    minute = Interval.M1.ms
    end = Interval.M1.bucket_start(now_ms()) - minute  # the last closed minute
    venue.klines[("BTC/USDT", "1m")] = [
        [end - k * minute, "100.0", "101.0", "99.0", f"{100 + k % 7}.0", "2.5"] for k in range(1199, -1, -1)
    ]
    server = FakeVenueServer(venue)
    await server.start()
    bus, store = EventBus(), Store.open(tmp_path / "t.db")
    market = MarketService(bus, store, [PAPER_BTC])
    om = OrderManager(store, bus, reconcile_interval_s=None)
    feeds = VenueFeeds(bus, market, om)
    broker = FakeVenueBroker(server.url, "a1", quote_poll_s=0.02)
    try:
        await broker.connect()
        om.attach("a1", broker)
        await om.ready("a1")
        bus.publish(AccountEvent(Account("a1", "a1", "fakevenue"), SessionState.CONNECTED))
        assert await _until(lambda: "fakevenue" in feeds.feeds)
        # the venue's instruments are listed next to the paper one, keyed by (venue, symbol)
        assert market.instrument("BTC/USDT").venue == "paper"
        assert market.instrument("fakevenue:BTC/USDT").tick_size == D("0.1")
        assert market.instrument("BTC/USDT", "fakevenue") is market.instrument("fakevenue:BTC/USDT")
        assert await market.add_to_watchlist("fakevenue:BTC/USDT") == ["fakevenue:BTC/USDT"]
        assert await market.add_to_watchlist("paper:BTC/USDT") == ["fakevenue:BTC/USDT", "BTC/USDT"]
        assert await _until(lambda: market.quote_of("fakevenue:BTC/USDT") is not None)
        bus.publish(QuoteEvent(Quote("BTC/USDT", now_ms(), D("50"), D("50.02"), D("50.01")), "demo"))
        assert market.quote_of("BTC/USDT").last == D("50.01")
        assert market.quote_of("fakevenue:BTC/USDT").last == D("100")
        # history: 1200 bars asked through the adapter in pages of 500, stored per venue
        bars = await market.history("fakevenue:BTC/USDT", Interval.M1, limit=1000)
        assert len(bars) >= 1000 and all(b.venue == "fakevenue" for b in bars)
        closed = [b for b in bars if b.closed]
        assert closed[-1].open_time_ms == end and closed[-1].close == D("100.0")
        assert venue.kline_requests == 2  # the last 1000 minutes: 500 + 500
        stored = await store.run(lambda: store.bars.load("BTC/USDT", Interval.M1, venue="fakevenue"))
        assert len(stored) == 1000
        assert await store.run(lambda: store.bars.load("BTC/USDT", Interval.M1)) == []  # the paper series is apart
        await market.history("fakevenue:BTC/USDT", Interval.M1, limit=1000)
        assert venue.kline_requests <= 3  # only the bars after the stored ones
    finally:
        await feeds.close()
        await om.close()
        await broker.close()
        await market.close()
        await server.stop()
        store.close()
