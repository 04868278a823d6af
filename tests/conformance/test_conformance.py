"""The conformance scenarios every live venue passes (issue 21), run against each venue's fake on 127.0.0.1.

Adapter level: connect; place, query and cancel by client order id and by the venue's id; a lost answer is an
unknown outcome and the order is found by asking (placed once); the venue's "not found" lag; 429 and the 418 ban
(nothing sent while banned, BANNED shown); a dropped stream comes back (RECONNECTING, CONNECTED); a restart
(a new adapter) finds the fills of an order still open and of a partial fill made while it was away; a session
expiring on a read is renewed and the read repeated (venues with sessions).
Core level (the order manager on a real store): a restart holding a position is no false stop; a lost answer
resolves to FILLED with one fill.
"""

from __future__ import annotations

import asyncio
from adapter_updates import Updates
from decimal import Decimal as D

import pytest

from conformance_binance import BinanceSpotHarness
from conformance_bithumb import BithumbHarness
from conformance_bybit import BybitHarness
from conformance_upbit import UpbitHarness
from trader_app.core.enums import OrderStatus, OrderType, SessionState, Side, TimeInForce
from trader_app.core.errors import InvalidOrder, OrderStateUnknown, RateLimited, VenueBanned, VenueUnavailable
from trader_app.core.orders import OrderRequest
from waiting import until

HARNESSES = {"binance": BinanceSpotHarness, "bybit": BybitHarness, "upbit": UpbitHarness, "bithumb": BithumbHarness}


@pytest.fixture(params=sorted(HARNESSES))
def venue(request):
    return HARNESSES[request.param]()


def order(venue, cid: str, side: Side = Side.BUY, kind: OrderType = OrderType.MARKET, price=None) -> OrderRequest:
    """A scenario's order; a market buy on a venue that buys at market by amount only carries the harness's
    ``market_buy_amount`` (KRW) as its quote amount."""
    amount = getattr(venue, "market_buy_amount", None) if (kind is OrderType.MARKET and side is Side.BUY) else None
    return OrderRequest("acc1", venue.symbol, side, kind, venue.qty, cid, price=price, time_in_force=TimeInForce.GTC,
                        quote_amount=amount)


async def _session(venue, body):
    async with venue.running():
        broker = venue.adapter()
        try:
            await broker.connect()
            await body(broker)
        finally:
            await venue.close_adapter(broker)


async def test_connect_lists_the_instrument_and_the_balances(venue):
    async def body(broker):
        assert venue.symbol in {i.symbol for i in await broker.instruments()}
        assert any(b.total > 0 for b in await broker.balances())

    await _session(venue, body)


async def test_place_query_and_cancel_by_client_and_by_venue_order_id(venue):
    async def body(broker):
        first = await broker.place_order(order(venue, "cf-rest-1", kind=OrderType.LIMIT, price=venue.rest_price))
        second = await broker.place_order(order(venue, "cf-rest-2", kind=OrderType.LIMIT, price=venue.rest_price))
        assert first.status is OrderStatus.NEW and first.venue_order_id
        assert (await broker.query_order("cf-rest-1", symbol=venue.symbol)).client_order_id == "cf-rest-1"
        by_venue = await broker.query_order("", venue_order_id=second.venue_order_id, symbol=venue.symbol)
        assert by_venue.client_order_id == "cf-rest-2"
        assert sorted(o.client_order_id for o in await broker.open_orders(venue.symbol)) == ["cf-rest-1", "cf-rest-2"]
        assert (await broker.cancel_order("cf-rest-1", symbol=venue.symbol)).status is OrderStatus.CANCELLED
        cancelled = await broker.cancel_order("", symbol=venue.symbol, venue_order_id=second.venue_order_id)
        assert (cancelled.client_order_id, cancelled.status) == ("cf-rest-2", OrderStatus.CANCELLED)
        assert await broker.open_orders(venue.symbol) == []

    await _session(venue, body)


async def test_a_lost_answer_is_unknown_and_found_by_asking_after_the_not_found_lag(venue):
    async def body(broker):
        venue.lose_next_answer()
        venue.not_found_for(3.0)  # the adapter gives up after 2 s; the venue answers "not found" for 1 s more
        with pytest.raises(VenueUnavailable):
            await broker.place_order(order(venue, "cf-lost"))
        assert await broker.query_order("cf-lost", symbol=venue.symbol) is None  # the venue's lag
        found = None
        for _ in range(40):  # asked again, patiently, until the venue knows it
            found = await broker.query_order("cf-lost", symbol=venue.symbol)
            if found is not None:
                break
            await asyncio.sleep(0.1)
        assert found is not None and found.status is OrderStatus.FILLED
        assert venue.orders_placed() == 1  # never placed twice

    await _session(venue, body)


async def test_429_pauses_and_the_418_ban_refuses_everything_and_is_shown(venue):
    async def body(broker):
        updates = Updates(broker)
        venue.fail_next(429, 1)
        with pytest.raises(RateLimited) as limited:
            await broker.balances()
        assert limited.value.retry_after == pytest.approx(1.0)
        await asyncio.sleep(1.05)
        venue.fail_next(418, 60)
        with pytest.raises(VenueBanned):
            await broker.balances()
        sent = venue.requests_sent()
        with pytest.raises(VenueBanned):
            await broker.place_order(order(venue, "cf-banned"))
        assert venue.requests_sent() == sent  # nothing sent while banned
        assert await until(lambda: SessionState.BANNED in updates.states())

    await _session(venue, body)


async def test_a_dropped_stream_comes_back(venue):
    async def body(broker):
        updates = Updates(broker)
        await venue.drop_streams()
        assert await until(lambda: updates.states()[-2:] == [SessionState.RECONNECTING, SessionState.CONNECTED], 5)

    await _session(venue, body)


async def test_after_a_restart_the_fills_of_an_open_order_and_a_partial_fill_made_meanwhile_are_found(venue):
    async with venue.running():
        first = venue.adapter()
        await first.connect()
        placed = await first.place_order(order(venue, "cf-part", kind=OrderType.LIMIT, price=venue.rest_price))
        await venue.close_adapter(first)  # the app stops
        venue.part_fill_next(D("0.5"))
        venue.move_price(venue.rest_price - 1000)  # half fills while the app is away
        second = venue.adapter()  # a fresh adapter: it has traded nothing in this session
        try:
            await second.connect()
            (open_order,) = await second.open_orders(venue.symbol)
            assert (open_order.client_order_id, open_order.status) == ("cf-part", OrderStatus.PARTIALLY_FILLED)
            fills = [f for f in await second.fills_since(placed.created_ms, [venue.symbol])
                     if f.client_order_id == "cf-part"]
            assert sum(f.quantity for f in fills) == open_order.filled_qty == venue.qty / 2
        finally:
            await venue.close_adapter(second)


async def test_an_expired_session_on_a_read_is_renewed_and_the_read_repeated(venue):
    if venue.no_sessions_reason:
        pytest.skip(venue.no_sessions_reason)
    async def body(broker):
        venue.expire_session()
        assert await broker.balances()

    await _session(venue, body)


# ---- core level --------------------------------------------------------------------------------------------
class Core:
    """The order manager on a real store with one adapter of the venue attached (``restart`` attaches a new
    adapter on the same store, as the app does after a restart)."""

    def __init__(self, venue, path) -> None:
        from trader_app.core.bus import EventBus
        from trader_app.store import Store
        from trader_app.trading import OrderManager

        self.venue, self.path = venue, path
        self.store = Store.open(path)
        self.bus = EventBus()
        self.om = OrderManager(self.store, self.bus, submit_timeout_s=2.5, read_backoff_s=0.01,
                               not_found_grace_s=1.5, reconcile_interval_s=None)
        self.broker = None

    async def attach(self):
        self.broker = self.venue.adapter()
        await self.broker.connect()
        self.om.attach("acc1", self.broker)
        await self.om.ready("acc1")
        return self

    async def close(self) -> None:
        await self.om.close()
        await self.venue.close_adapter(self.broker)
        await self.bus.drain()
        self.store.close()


async def test_core_a_lost_answer_resolves_to_filled_once(venue, tmp_path):
    async with venue.running():
        core = await Core(venue, tmp_path / "t.db").attach()
        try:
            await core.om.reconcile(startup=True)
            venue.lose_next_answer()
            sent = await core.om.submit(order(venue, "cf-core-lost"))
            # UNKNOWN, or already FILLED when the account's stream told before the send gave up
            assert sent.status in (OrderStatus.UNKNOWN, OrderStatus.FILLED)
            await core.om.reconcile()
            await core.om.settled()
            await core.om.flush()
            final = core.store.orders.get("acc1", "cf-core-lost")
            assert final.status is OrderStatus.FILLED and venue.orders_placed() == 1
            assert [f.client_order_id for f in core.store.fills.list(account_id="acc1")] == ["cf-core-lost"]
        finally:
            await core.close()


async def test_core_a_restart_holding_a_position_is_no_false_stop(venue, tmp_path):
    async with venue.running():
        core = await Core(venue, tmp_path / "t.db").attach()
        try:
            await core.om.reconcile(startup=True)
            bought = await core.om.submit(order(venue, "cf-core-buy"))
            assert bought.status is OrderStatus.FILLED
            await core.om.flush()
            held = core.om.position("acc1", venue.symbol).quantity
            assert held > 0
        finally:
            await core.close()
        again = await Core(venue, tmp_path / "t.db").attach()  # the app starts again on the same journal
        try:
            report = await again.om.reconcile(startup=True)
            assert report.blocked == {} and again.om.blocked("acc1") == ""
            assert again.om.position("acc1", venue.symbol).quantity == held
        finally:
            await again.close()


async def test_a_market_buy_by_quote_amount_spends_the_amount_and_the_fills_say_what_it_bought(venue):
    async def body(broker):
        updates = Updates(broker)
        amount = getattr(venue, "quote_amount", D("150"))
        request = OrderRequest("acc1", venue.symbol, Side.BUY, OrderType.MARKET, D("0.0025"), "cf-amount",
                               quote_amount=amount)
        placed = await broker.place_order(request)
        assert placed.venue_order_id

        def bought():  # a repeated fill (the answer's and the stream's) is one fill: by trade id
            return list({u.fill.trade_id: u.fill for u in updates.items if getattr(u, "fill", None) is not None
                         and u.fill.client_order_id == "cf-amount"}.values())

        assert await until(lambda: bought(), 5)
        fills = bought()
        spent = sum(f.quantity * f.price for f in fills)
        assert D(0) < spent <= amount  # the venue spent the amount (less the lot it could not buy), never more
        assert amount - spent < fills[0].price * D("0.00001") * 2
        final = await broker.query_order("cf-amount", symbol=venue.symbol)
        assert final.status is OrderStatus.FILLED and final.filled_qty == sum(f.quantity for f in fills)
        assert final.quantity == final.filled_qty  # the base bought, not the amount sent

    await _session(venue, body)


async def test_a_client_order_id_the_venue_cannot_take_is_refused_before_sending(venue):
    async def body(broker):
        sent = venue.requests_sent()
        with pytest.raises(InvalidOrder):
            await broker.place_order(order(venue, "x" * 37))
        with pytest.raises(InvalidOrder):
            await broker.place_order(order(venue, "has space"))
        assert venue.requests_sent() == sent

    await _session(venue, body)


async def test_a_5xx_is_the_venues_trouble_a_read_may_be_asked_again_an_order_is_not_refused(venue):
    async def body(broker):
        venue.fail_next(500, 0)
        with pytest.raises(VenueUnavailable):
            await broker.balances()
        assert await broker.balances()  # asked again, it answers
        if getattr(broker, "order_entry", "rest") != "rest":
            return  # orders go over the venue's WebSocket: a lost answer there is the lost-answer scenario's
        venue.fail_next(503, 0)
        placed = venue.orders_placed()
        with pytest.raises((VenueUnavailable, OrderStateUnknown)) as unknown:
            await broker.place_order(order(venue, "cf-5xx"))
        assert not isinstance(unknown.value, InvalidOrder)  # the outcome is unknown, never a refusal
        assert venue.orders_placed() == placed  # the venue's front refused it before its engine: nothing placed

    await _session(venue, body)
