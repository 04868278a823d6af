"""A price is that venue's or none (issue 21, defect 6): with ``serve`` on the demo market and a Binance
account, "buy 1 %" sized 0.00153 BTC with the demo's 65,359 instead of 0.00231 with Binance's 43,217 (53 % over),
and the minimum-notional check used the same wrong price. Orders are priced, and positions marked, by their
venue's price venue only (a paper account's is the market the paper venue trades on)."""

from __future__ import annotations

from decimal import Decimal as D

from trader_app.core.events import QuoteEvent
from trader_app.core.market_data import Quote
from trader_app.core.portfolio import Position


def _quote(env, venue: str, price: str) -> Quote:
    env.clock.now += 1
    q = Quote("BTC/USDT", env.clock.now, D(price), D(price), D(price), venue=venue)
    env.bus.publish(QuoteEvent(q))
    return q


async def test_orders_are_priced_by_their_own_venue_only(env, scripted):
    binance = scripted(env.exchange, "b1")
    binance.venue = "binance"
    await env.attach(binance)
    paper = await env.attach(scripted(env.exchange, "p1"))
    _quote(env, "paper", "65359")  # the demo's price
    assert env.om.quote_for("b1", "BTC/USDT") is None  # no Binance price yet: none, never the demo's
    assert env.om.quote_for("p1", "BTC/USDT").last == D("65359")
    _quote(env, "binance", "43217")
    assert env.om.quote_for("b1", "BTC/USDT").last == D("43217")
    # the paper venue trading on Binance's prices: a paper account is priced by Binance's quotes
    env.om.price_venue = lambda venue: "binance" if venue == "paper" else venue
    assert env.om.quote_for(paper.account_id, "BTC/USDT").last == D("43217")


async def test_positions_are_marked_by_their_own_venue_only(env, scripted):
    binance = scripted(env.exchange, "b1")
    binance.venue = "binance"
    from trader_app.core.enums import SessionState
    from trader_app.core.events import AccountEvent, PositionEvent
    from trader_app.core.portfolio import Account

    env.bus.publish(AccountEvent(Account("b1", "B", "binance"), session=SessionState.CONNECTED))
    env.bus.publish(PositionEvent(Position("b1", "BTC/USDT", D("0.1"), D("40000"))))
    _quote(env, "paper", "65359")
    assert env.portfolio.position("b1", "BTC/USDT").last_price is None  # "no price", not the demo's
    _quote(env, "binance", "43217")
    assert env.portfolio.position("b1", "BTC/USDT").last_price == D("43217")
