"""Bithumb's account adapter against the fake Bithumb on 127.0.0.1 (issue 22; the conformance suite runs it too):
the JWT carries a millisecond timestamp (the fake refuses one without), ``/v2`` orders with ``order_type`` and
``client_order_id``, a market buy by KRW amount filled on the private stream v2, the ``/v2`` lists paged with
``next_key``, a cancel only accepted then read back, and the fills a fresh adapter finds in the order history."""

from __future__ import annotations

import contextlib
from decimal import Decimal as D

import pytest

from adapter_updates import Updates, close_adapter
from fakes.bithumb import FakeBithumb, FakeBithumbServer
from trader_app.brokers.base import FillUpdate, OrderUpdate
from trader_app.brokers.bithumb.account import BithumbAccount
from trader_app.brokers.bithumb.profile import PROFILE as BITHUMB
from trader_app.brokers.bithumb.urls import endpoints
from trader_app.brokers.live.auth import JwtPerRequest
from trader_app.core.enums import OrderStatus, OrderType, Side
from trader_app.core.errors import AuthError
from trader_app.core.ids import now_ms
from trader_app.core.orders import OrderRequest
from waiting import until

KEY, SECRET = "bithumb-access-key-1", "bithumb-secret-key-" + "b" * 24


def _adapter(fake) -> BithumbAccount:
    ep = endpoints().with_overrides(rest=fake.rest_url, stream=fake.stream_url)
    return BithumbAccount("acc1", ep, BITHUMB.network(timeout_s=2.0), KEY, SECRET)


@contextlib.asynccontextmanager
async def _trading():
    async with FakeBithumbServer(FakeBithumb()) as fake:
        fake.venue.open(KEY, SECRET, {"KRW": "10000000"})
        broker = _adapter(fake)
        try:
            await broker.connect()
            yield fake, broker, Updates(broker)
        finally:
            await close_adapter(broker)


def req(cid, side=Side.BUY, kind=OrderType.MARKET, qty="0.001", price=None, amount=None):
    return OrderRequest("acc1", "BTC/KRW", side, kind, D(qty), cid, price=D(price) if price else None,
                        quote_amount=D(amount) if amount else None)


async def test_v2_orders_a_buy_by_amount_filled_on_the_v2_stream_and_a_cancel_read_back():
    async with _trading() as (fake, broker, ups):
        placed = await broker.place_order(req("bt-buy-1", amount="100000"))
        assert placed.venue_order_id and placed.client_order_id == "bt-buy-1"
        posted = [q for m, p, q in fake.venue.requests if (m, p) == ("POST", "/v2/orders")]
        assert len(posted) == 1
        row = fake.venue.accounts[KEY].orders[placed.venue_order_id]
        assert (row["ord_type"], row["price"], row["identifier"]) == ("price", "100000", "bt-buy-1")
        assert await until(lambda: any(u.fill.client_order_id == "bt-buy-1" for u in ups.of(FillUpdate)))
        fill = next(u.fill for u in ups.of(FillUpdate) if u.fill.client_order_id == "bt-buy-1")
        assert (fill.quantity, fill.price, fill.venue_order_id) == (D("0.00105262"), D("95001000"), placed.venue_order_id)
        assert await until(lambda: any(u.order.client_order_id == "bt-buy-1" and u.order.status is OrderStatus.FILLED
                                       for u in ups.of(OrderUpdate)))
        resting = await broker.place_order(req("bt-rest", kind=OrderType.LIMIT, qty="0.01", price="90000000"))
        cancelled = await broker.cancel_order("", venue_order_id=resting.venue_order_id)
        assert (cancelled.client_order_id, cancelled.status) == ("bt-rest", OrderStatus.CANCELLED)
        assert ("DELETE", "/v2/order") in {(m, p) for m, p, _ in fake.venue.requests}
        assert fake.venue.jwt_algorithms and set(fake.venue.jwt_algorithms) == {"HS256"}


async def test_the_v2_lists_are_paged_with_next_key_and_a_restart_finds_the_fills():
    async with _trading() as (fake, broker, ups):
        for i in range(3):
            await broker.place_order(req(f"bt-lim-{i}", kind=OrderType.LIMIT, qty="0.01", price="90000000"))
        await broker.place_order(req("bt-buy-2", amount="50000"))
        FakeBithumb.page_size = 2
        try:
            assert sorted(o.client_order_id for o in await broker.open_orders("BTC/KRW")) == [
                "bt-lim-0", "bt-lim-1", "bt-lim-2"]
            pages = [q for m, p, q in fake.venue.requests if p == "/v2/orders/pending" and "state=wait" in q]
            assert len(pages) == 2 and "next_key=2" in pages[-1]
            fresh = _adapter(fake)
            try:
                await fresh.connect()
                fills = await fresh.fills_since(now_ms() - 60_000, ["BTC/KRW"])
                assert [f.client_order_id for f in fills] == ["bt-buy-2"]
            finally:
                await close_adapter(fresh)
        finally:
            FakeBithumb.page_size = None


async def test_a_jwt_without_the_timestamp_is_refused():
    async with _trading() as (fake, broker, ups):
        broker.rest.auth = JwtPerRequest(KEY, SECRET, algorithm="HS256")  # no timestamp claim
        with pytest.raises(AuthError, match="expired_jwt"):
            await broker.balances()
