"""The market service fed by a venue's own quote stream (issue 10 part 5): one feed per venue from a connected
account's adapter, watched symbols subscribed and unsubscribed on the running feed, quotes keyed by venue, the
feed handed to another account of the venue when its account leaves; the paper venue feeds nothing."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

from trader_app.core import AccountEvent, SessionState
from trader_app.core.bus import EventBus
from trader_app.core.enums import MarketType
from trader_app.core.instrument import Instrument
from trader_app.core.portfolio import Account
from trader_app.devtools.fakevenue import FakeVenue, FakeVenueBroker, FakeVenueServer
from trader_app.market.feeds import VenueFeeds
from trader_app.market.service import MarketService
from trader_app.store import Store
from trader_app.trading import OrderManager

BTC = Instrument("BTC/USDT", "fakevenue", MarketType.FUTURES, "BTC", "USDT", D("0.1"), D("0.001"))
ETH = Instrument("ETH/USDT", "fakevenue", MarketType.FUTURES, "ETH", "USDT", D("0.01"), D("0.001"))


async def _until(check, seconds: float = 5.0) -> bool:
    for _ in range(int(seconds / 0.02)):
        if check():
            return True
        await asyncio.sleep(0.02)
    return check()


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
        await market.add_to_watchlist("BTC/USDT")
        for b in brokers:
            await b.connect()
            om.attach(b.account_id, b)
            await om.ready(b.account_id)
            bus.publish(AccountEvent(Account(b.account_id, b.account_id, "fakevenue"), SessionState.CONNECTED))
        assert await _until(lambda: market.last_quote("BTC/USDT", "fakevenue") is not None)
        assert list(feeds.feeds) == ["fakevenue"] and feeds.feeds["fakevenue"].account_id == "a1"
        assert market.last_quote("ETH/USDT", "fakevenue") is None  # not watched, not subscribed
        await market.add_to_watchlist("ETH/USDT")
        assert await _until(lambda: market.last_quote("ETH/USDT", "fakevenue") is not None)
        venue.prices["ETH/USDT"] = D("11")
        assert await _until(lambda: market.last_quote("ETH/USDT", "fakevenue").last == D("11"))
        await market.remove_from_watchlist("ETH/USDT")
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
