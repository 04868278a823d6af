"""Reconciliation that never orphans an order (issue 10): the venue's "not found" lag, lost orders that still
fill, the open-order sweep (adoption), fills missed while down applied once, every account at once, the
start-up position check, connection states, a duplicate client order id at the venue, capabilities, and the
periodic poll that catches a silent stream. Real Store, paper venue behind a scripted adapter."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal as D

import pytest

from trader_app.brokers.base import BrokerCapabilities, ConnectionUpdate, OrderUpdate
from trader_app.core import (
    DuplicateClientOrderId,
    Order,
    OrderStatus,
    OrderType,
    SessionState,
    Side,
    TraderError,
    UnsupportedOrder,
)

B, S = Side.BUY, Side.SELL
MKT, LMT = OrderType.MARKET, OrderType.LIMIT


async def test_not_found_right_after_acceptance_does_not_reject_the_order(env, scripted):
    """The venue answers "does not exist" for a while after accepting: one such answer used to turn the order
    REJECTED (final), dropping the venue's later NEW and fills."""
    broker = await env.attach(scripted(env.exchange, "a1", publish_updates=False))
    broker.lose_ack = True
    broker.not_found_for = 2  # two "not found" answers, then the venue knows it
    env.quote("50000.00", "50010.00")
    order = await env.om.submit(env.request("a1", B, LMT, "0.1", "49000.00", coid="lag"))
    assert order.status is OrderStatus.UNKNOWN
    await env.om.settled()
    assert env.store.orders.get("a1", "lag").status is OrderStatus.NEW
    assert broker.query_calls == 3 and broker.place_calls == 1


async def test_a_lost_order_still_takes_the_venue_report_and_its_fill(env, scripted):
    broker = await env.attach(scripted(env.exchange, "a1", publish_updates=False))
    broker.lose_ack = True
    broker.not_found_for = 1000  # the venue keeps saying "not found" past the grace window
    env.quote("50000.00", "50010.00")
    await env.om.submit(env.request("a1", B, LMT, "0.1", "49000.00", coid="late"))
    await env.om.settled()
    lost = env.store.orders.get("a1", "late")
    assert lost.status is OrderStatus.REJECTED and lost.reject_reason.startswith("not found at the venue")
    # ... and then it shows up at the venue after all, and fills
    venue_order = broker._orders["late"]  # the paper venue's own record of it
    broker._publish = True  # the stream comes back
    broker.inject(OrderUpdate(venue_order))
    await env.om.flush("a1")
    assert env.store.orders.get("a1", "late").status is OrderStatus.NEW
    assert env.store.orders.get("a1", "late").reject_reason == ""
    filled = replace(venue_order, status=OrderStatus.FILLED, filled_qty=D("0.1"), avg_fill_price=D("49000"))
    broker.inject(OrderUpdate(filled))
    await env.om.flush("a1")
    assert env.store.orders.get("a1", "late").status is OrderStatus.FILLED


async def test_the_sweep_adopts_our_orders_missing_from_the_journal_and_leaves_foreign_ones(env, scripted):
    broker = await env.attach(scripted(env.exchange, "a1", publish_updates=False))
    env.quote("50000.00", "50010.00")
    ours = env.request("a1", B, LMT, "0.1", "49000.00", coid="ta-restored-from-backup")
    foreign = env.request("a1", B, LMT, "0.2", "48000.00", coid="web-12345")
    await broker.place_order(ours)
    await broker.place_order(foreign)
    # the journal knows neither (a journal restored from an older backup); the stream was not consumed yet
    report = await env.om.reconcile()
    assert (report.adopted, report.foreign) == (1, 1)
    adopted = env.store.orders.get("a1", "ta-restored-from-backup")
    assert adopted.status is OrderStatus.NEW and adopted.quantity == D("0.1")
    assert "ta-restored-from-backup" in [o.client_order_id for o in env.om.open_orders("a1")]


async def test_fills_missed_while_down_are_applied_once(env, scripted):
    broker = await env.attach(scripted(env.exchange, "a1", publish_updates=False))  # the stream delivers nothing
    env.quote("50000.00", "50010.00")
    placed = await env.om.submit(env.request("a1", B, LMT, "0.1", "49000.00", coid="rest"))
    assert placed.status is OrderStatus.NEW
    env.quote("48990.00", "49000.00")  # fills at the venue; we hear nothing of it
    assert broker._orders["rest"].status is OrderStatus.FILLED
    assert env.store.fills.list("a1") == []
    first = await env.om.reconcile()
    second = await env.om.reconcile()
    assert (first.fills, second.fills) == (1, 0)
    fills = env.store.fills.list("a1")
    assert len(fills) == 1 and fills[0].quantity == D("0.1")
    assert env.store.orders.get("a1", "rest").status is OrderStatus.FILLED


async def test_every_account_is_reconciled_at_once(env, scripted):
    brokers = [await env.attach(scripted(env.exchange, f"a{i}")) for i in range(4)]
    env.quote("50000.00", "50010.00")
    live = {"now": 0, "max": 0}
    for i, broker in enumerate(brokers):
        env.store.orders.save(Order.from_request(env.request(f"a{i}", B, LMT, "0.1", "1.00", coid=f"c{i}"), 1))
        original = broker.open_orders

        async def slow(symbol=None, original=original):
            live["now"] += 1
            live["max"] = max(live["max"], live["now"])
            await asyncio.sleep(0.05)
            live["now"] -= 1
            return await original(symbol)

        broker.open_orders = slow
    report = await env.om.reconcile(wait=False)
    assert live["max"] == 4  # all four venues asked together, not one after another
    assert report.queried == 4
    await env.om.settled()
    assert {env.store.orders.get(f"a{i}", f"c{i}").status for i in range(4)} == {OrderStatus.REJECTED}


async def test_a_position_the_journal_cannot_explain_stops_trading_until_accepted(env, scripted):
    broker = scripted(env.exchange, "a1")
    await env.attach(broker)
    env.quote("50000.00", "50010.00")
    await env.om.submit(env.request("a1", B, MKT, "0.1", coid="buy"))
    await env.om.flush("a1")
    await env.om.detach("a1")
    await broker.close()
    # while the app is away the account trades elsewhere: the venue now holds 0.3 BTC, our journal 0.1
    broker._book.settle_fill(replace(env.store.fills.list("a1")[0], trade_id="T-elsewhere", quantity=D("0.2"),
                                     client_order_id="by-hand"), "USDT")
    await broker.connect()
    env.om.attach("a1", broker)
    await env.om.ready("a1")
    report = await env.om.reconcile(startup=True)
    assert "a1" in report.blocked
    assert "BTC/USDT: venue 0.3, journal 0.1" in env.om.blocked("a1")
    with pytest.raises(TraderError, match="trading stopped on account a1: positions differ"):
        await env.om.submit(env.request("a1", B, MKT, "0.1", coid="refused"))
    assert env.store.orders.get("a1", "refused") is None  # refused before the journal
    env.om.accept_venue_positions("a1")
    assert (await env.om.submit(env.request("a1", B, MKT, "0.1", coid="after"))).status is OrderStatus.FILLED


async def test_connection_states_refuse_orders_and_a_reconnect_reconciles(env, scripted):
    seen = []
    env.om.on_connection = lambda account_id, update: seen.append((account_id, update.state))
    broker = await env.attach(scripted(env.exchange, "a1", publish_updates=False))
    env.quote("50000.00", "50010.00")
    broker._publish = True
    broker.inject(ConnectionUpdate(SessionState.RECONNECTING, "stream dropped"))
    await env.om.flush("a1")
    with pytest.raises(TraderError, match="account a1 is reconnecting"):
        await env.om.submit(env.request("a1", B, MKT, "0.1", coid="while-down"))
    # an order the venue took while we were reconnecting (journalled NEW by us, filled there)
    placed = await broker.place_order(env.request("a1", B, LMT, "0.1", "49000.00", coid="rest"))
    env.store.orders.save(replace(placed, status=OrderStatus.NEW))
    broker.inject(ConnectionUpdate(SessionState.CONNECTED))
    await env.om.flush("a1")
    await asyncio.sleep(0)
    await env.om.settled()
    assert seen == [("a1", SessionState.RECONNECTING), ("a1", SessionState.CONNECTED)]
    assert env.om.order("a1", "rest").status is OrderStatus.NEW  # swept by the reconcile after the reconnect
    assert (await env.om.submit(env.request("a1", B, MKT, "0.1", coid="back"))).status is OrderStatus.FILLED


async def test_a_duplicate_client_order_id_at_the_venue_is_asked_about_not_rejected(env, scripted):
    broker = await env.attach(scripted(env.exchange, "a1", publish_updates=False))
    env.quote("50000.00", "50010.00")
    request = env.request("a1", B, LMT, "0.1", "49000.00", coid="twice")
    await broker.place_order(request)  # an earlier send of ours reached the venue, its answer was lost
    with pytest.raises(DuplicateClientOrderId):
        await broker.place_order(request)  # the venue refuses the id a second time with its own error
    order = await env.om.submit(request)
    assert order.status is OrderStatus.UNKNOWN  # not REJECTED: the venue may hold exactly this order
    await env.om.settled()
    assert env.store.orders.get("a1", "twice").status is OrderStatus.NEW


async def test_capabilities_refuse_before_the_journal(env, scripted):
    broker = scripted(env.exchange, "a1")
    broker.capabilities = BrokerCapabilities(order_types=frozenset({MKT, LMT}), reduce_only=False,
                                             short_selling=False)
    await env.attach(broker)
    env.quote("50000.00", "50010.00")
    with pytest.raises(UnsupportedOrder, match="does not take STOP_MARKET orders"):
        await env.om.submit(env.request("a1", B, OrderType.STOP_MARKET, "0.1", stop="51000.00", coid="stop"))
    with pytest.raises(UnsupportedOrder, match="no reduce-only"):
        await env.om.submit(env.request("a1", S, MKT, "0.1", coid="ro", reduce_only=True))
    with pytest.raises(UnsupportedOrder, match="does not allow short selling"):
        await env.om.submit(env.request("a1", S, MKT, "0.1", coid="short"))
    assert env.store.orders.list("a1") == []
    assert broker.place_calls == 0


async def test_the_periodic_poll_catches_a_stream_that_delivers_nothing(env, scripted):
    env.om.reconcile_interval_s = 0.05
    broker = await env.attach(scripted(env.exchange, "a1", publish_updates=False))  # connected, silent
    env.quote("50000.00", "50010.00")
    await env.om.submit(env.request("a1", B, LMT, "0.1", "49000.00", coid="quiet"))
    env.quote("48990.00", "49000.00")  # fills at the venue; the stream says nothing
    for _ in range(100):
        await asyncio.sleep(0.02)
        await env.om.settled()
        if env.store.orders.get("a1", "quiet").status is OrderStatus.FILLED:
            break
    assert env.store.orders.get("a1", "quiet").status is OrderStatus.FILLED
    assert env.store.positions.get("a1", "BTC/USDT").quantity == D("0.1")  # the polled position


async def test_positions_of_a_venue_that_reports_only_fills_are_derived_from_them(env, scripted):
    from trader_app.brokers.base import FillUpdate
    from trader_app.brokers.paper import PAPER_CAPABILITIES
    from trader_app.core import Fill

    broker = scripted(env.exchange, "a1", publish_updates=False)
    broker.capabilities = replace(PAPER_CAPABILITIES, position_updates=False)
    await env.attach(broker)
    broker._publish = True

    def fill(trade_id, side, qty, price):
        return FillUpdate(Fill(trade_id, "a1", "by-hand", "BTC/USDT", side, D(price), D(qty), D("0"), "USDT", 1))

    broker.inject(fill("T1", B, "0.3", "100"), fill("T2", S, "0.1", "110"), fill("T2", S, "0.1", "110"))
    await env.om.flush("a1")
    held = env.store.positions.get("a1", "BTC/USDT")
    assert (held.quantity, held.avg_price, held.realized_pnl) == (D("0.2"), D("100"), D("1.0"))
    assert env.om.position("a1", "BTC/USDT").quantity == D("0.2")  # the repeated T2 changed nothing


async def test_an_account_whose_venue_is_down_at_start_is_connected_again_patiently(env, scripted):
    from trader_app.brokers.base import VenueSpec
    from trader_app.core import AccountMode, VenueUnavailable

    attempts = []

    class Flaky(scripted):
        async def connect(self):
            attempts.append(1)
            if len(attempts) < 3:
                raise VenueUnavailable("connection refused")
            await super().connect()

    env.accounts.registry.register(VenueSpec("flaky", "Flaky", (AccountMode.TESTNET,), (),
                                             lambda account, credentials: Flaky(env.exchange, account.account_id)))
    env.accounts.reconnect_base_s = 0.01
    account = await env.accounts.create_account("flaky", "testnet", "Flaky 1")
    assert env.accounts.session_state(account.account_id) is SessionState.ERROR
    for _ in range(300):
        await asyncio.sleep(0.01)
        if env.accounts.session_state(account.account_id) is SessionState.CONNECTED:
            break
    assert env.accounts.session_state(account.account_id) is SessionState.CONNECTED
    assert len(attempts) == 3


async def test_an_order_is_found_by_its_venue_order_id_when_the_venue_has_no_client_ids(env, scripted):
    broker = await env.attach(scripted(env.exchange, "a1", publish_updates=False))
    env.quote("50000.00", "50010.00")
    placed = await broker.place_order(env.request("a1", B, LMT, "0.1", "49000.00", coid="ours"))
    found = await broker.query_order("not-our-id", venue_order_id=placed.venue_order_id)
    assert found.client_order_id == "ours" and found.venue_order_id == placed.venue_order_id
    assert await broker.query_order("not-our-id", venue_order_id="po-unknown") is None
