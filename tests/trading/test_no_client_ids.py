"""Issue 21 (the contract): a venue that keeps no client order id (KRX brokers, FX/CFD platforms). An order whose
answer was lost has no venue order id recorded and the venue cannot be asked for ours: it is found among the
venue's orders of the day on symbol, side, quantity, price and time, never matched to another order's venue id,
never re-sent; one that never reached the venue is declared lost after the usual grace."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

from trader_app.core import OrderStatus, OrderType, Side
from trader_app.core.enums import TimeInForce
from trader_app.core.enums import OrderType as OT
from trader_app.core.orders import Order
from trader_app.trading.order_match import match_unacknowledged, matches

B, S = Side.BUY, Side.SELL
LMT, MKT = OrderType.LIMIT, OrderType.MARKET


def no_client_ids(scripted):
    """The paper venue as a venue without client order ids (a subclass of the ``scripted`` fixture's broker): asked
    by our id it knows nothing; its order lists carry only its own numbers."""

    class NoClientIds(scripted):
        def __init__(self, *args, **kw) -> None:
            super().__init__(*args, **kw)
            self.capabilities = replace(self.capabilities, client_order_ids=False)
            self.listed = 0

        async def query_order(self, client_order_id, *, venue_order_id="", symbol=""):
            self.query_calls += 1
            return await super().query_order("", venue_order_id=venue_order_id) if venue_order_id else None

        async def orders_since(self, since_ms, symbols=()):
            self.listed += 1
            return [replace(o, client_order_id=o.venue_order_id) for o in await super().orders_since(since_ms, symbols)]

    return NoClientIds


async def test_a_lost_answer_is_matched_among_the_venues_orders_never_twice_and_never_resent(env, scripted):
    broker = await env.attach(no_client_ids(scripted)(env.exchange, "a1", publish_updates=False))
    env.quote("50000.00", "50010.00")
    # an order placed by hand at the venue a moment before, same symbol and side but another quantity
    await broker.place_order(env.request("a1", B, LMT, "0.2", "49000.00", coid="by-hand"))
    broker.lose_ack = True
    first = await env.om.submit(env.request("a1", B, LMT, "0.1", "49000.00", coid="ours-1"))
    second = await env.om.submit(env.request("a1", B, LMT, "0.1", "49000.00", coid="ours-2"))  # the same again
    assert first.status is OrderStatus.UNKNOWN and second.status is OrderStatus.UNKNOWN
    await env.om.settled()
    one, two = env.store.orders.get("a1", "ours-1"), env.store.orders.get("a1", "ours-2")
    assert one.status is OrderStatus.NEW and two.status is OrderStatus.NEW
    hand = broker._orders["by-hand"].venue_order_id
    assert one.venue_order_id and two.venue_order_id and len({one.venue_order_id, two.venue_order_id, hand}) == 3
    assert broker.place_calls == 3 and broker.listed >= 2  # found by asking, never sent again


async def test_an_order_that_never_reached_such_a_venue_is_declared_lost(env, scripted):
    broker = await env.attach(no_client_ids(scripted)(env.exchange, "a1", publish_updates=False))
    env.quote("50000.00", "50010.00")
    broker.unreachable = True
    order = await env.om.submit(env.request("a1", B, MKT, "0.1", coid="never"))
    assert order.status is OrderStatus.UNKNOWN
    await env.om.settled()
    lost = env.store.orders.get("a1", "never")
    assert lost.status is OrderStatus.REJECTED and lost.reject_reason.startswith("not found at the venue")
    assert broker.place_calls == 1


def _order(venue_id="", qty="0.1", price="100", side=B, kind=OT.LIMIT, at=1_000_000):
    return Order(account_id="a", client_order_id=venue_id or "ours", symbol="X", side=side, order_type=kind,
                 quantity=D(qty), price=D(price) if kind is OT.LIMIT else None, stop_price=None,
                 time_in_force=TimeInForce.GTC, status=OrderStatus.NEW, created_ms=at, updated_ms=at,
                 venue_order_id=venue_id)


def test_the_match_needs_symbol_side_quantity_kind_price_and_time():
    ours = _order()
    assert matches(ours, _order("v1", at=1_000_000 - 4_000)) and matches(ours, _order("v1", at=1_000_000 + 100_000))
    assert not matches(ours, _order("v1", at=1_000_000 - 6_000))  # before we journalled it (beyond the skew)
    assert not matches(ours, _order("v1", at=1_000_000 + 121_000))
    assert not matches(ours, _order("v1", qty="0.2")) and not matches(ours, _order("v1", price="101"))
    assert not matches(ours, _order("v1", side=S)) and not matches(ours, _order("v1", kind=OT.MARKET))
    candidates = [_order("far", at=1_000_000 + 50_000), _order("near", at=1_000_000 + 10), _order("taken", at=1_000_000)]
    assert match_unacknowledged(ours, candidates, taken={"taken"}).venue_order_id == "near"
    assert match_unacknowledged(ours, candidates, taken={"taken", "near", "far"}) is None
