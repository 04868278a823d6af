"""Upbit against the fake Upbit on 127.0.0.1 (issue 22): the JWT per request (the fake verifies signature, nonce and
query hash), keyless markets with the KRW tick ladder, candles paged backwards, quotes from binary frames; an
account's balances, a market buy by KRW amount, a market sell by volume, a resting limit found and cancelled by
identifier and by uuid, fills found by a fresh adapter, the refusals before sending and the venue's own."""

from __future__ import annotations

import asyncio
import contextlib
from adapter_updates import Updates, close_adapter
from decimal import Decimal as D

import pytest

from fakes.upbit import FakeUpbit, FakeUpbitServer
from trader_app.brokers.base import FillUpdate, OrderUpdate
from trader_app.brokers.upbit.account import UpbitAccount
from trader_app.brokers.upbit.profile import PROFILE as UPBIT
from trader_app.brokers.upbit.public import UpbitPublic
from trader_app.brokers.upbit.rest import remaining_req
from trader_app.brokers.upbit.urls import endpoints
from trader_app.core.enums import Interval, OrderStatus, OrderType, Side, TimeInForce
from trader_app.core.errors import AuthError, DuplicateClientOrderId, InsufficientFunds, InvalidOrder
from trader_app.core.ids import now_ms
from trader_app.core.market_data import Quote
from trader_app.core.orders import OrderRequest
from waiting import until

KEY, SECRET = "upbit-access-key-1", "upbit-secret-key-" + "s" * 24


def _ep(fake):
    return endpoints().with_overrides(rest=fake.rest_url, stream=fake.stream_url)


@contextlib.asynccontextmanager
async def _trading(krw="10000000", btc="0.5"):
    async with FakeUpbitServer(FakeUpbit()) as fake:
        fake.venue.open(KEY, SECRET, {"KRW": krw, "BTC": btc})
        broker = UpbitAccount("acc1", _ep(fake), UPBIT.network(timeout_s=2.0), KEY, SECRET)
        try:
            await broker.connect()
            yield fake, broker, Updates(broker)
        finally:
            await close_adapter(broker)


def req(cid, side=Side.BUY, kind=OrderType.MARKET, qty="0.001", price=None, amount=None):
    return OrderRequest("acc1", "BTC/KRW", side, kind, D(qty), cid, price=D(price) if price else None,
                        time_in_force=TimeInForce.GTC, quote_amount=D(amount) if amount else None)


def test_remaining_req_reads_the_group_and_what_is_left_this_second():
    assert remaining_req({"remaining-req": "group=default; min=1800; sec=29"}) == ("default", 29)
    assert remaining_req({"remaining-req": "group=order; min=1800; sec=0"}) == ("order", 0)
    assert remaining_req({}) is None


async def test_keyless_markets_tick_ladder_candles_and_quotes():
    async with FakeUpbitServer(FakeUpbit()) as fake:
        network = UPBIT.network()
        pub = UpbitPublic(_ep(fake), network)
        try:
            await pub.connect()
            btc = {i.symbol: i for i in await pub.instruments()}["BTC/KRW"]
            assert (btc.venue, btc.venue_symbol, btc.base, btc.quote, btc.min_notional) == (
                "upbit", "KRW-BTC", "BTC", "KRW", D("5000"))
            assert btc.tick_at(D("95000000")) == D("1000") and btc.tick_at(D("7500")) == D("5")
            assert btc.round_price(D("95000499")) == D("95000000") and not btc.on_tick(D("95000500"))
            m = 60_000
            end = now_ms() // m * m - m  # one reading of the clock
            bars = await pub.bar_history("BTC/KRW", Interval.M1, end - 449 * m, end)
            assert len(bars) == 450 and [b.open_time_ms for b in bars] == list(range(end - 449 * m, end + 1, m))
            candle_calls = [r for r in fake.venue.requests if r[1] == "/v1/candles/minutes/1"]
            assert len(candle_calls) == 3  # 200 + 200 + 50, newest first, paged backwards by "to"
            got = []

            async def consume():
                async for q in pub.quotes(["BTC/KRW"]):
                    got.append(q)

            task = asyncio.ensure_future(consume())
            assert await until(lambda: any(isinstance(q, Quote) for q in got))
            q = next(q for q in got if isinstance(q, Quote))
            assert (q.symbol, q.venue, q.bid, q.ask, q.last) == ("BTC/KRW", "upbit", D("94999000"), D("95001000"),
                                                                  D("95000000"))
            await pub.subscribe(["ETH/KRW"])
            assert await until(lambda: any(getattr(i, "symbol", "") == "ETH/KRW" for i in got))
            # each request replaces the connection's set: the second carries both symbols
            last = fake.streams.subscribe_messages[-1]
            assert [m.get("codes") for m in last if "type" in m] == [["KRW-BTC", "KRW-ETH"], ["KRW-BTC", "KRW-ETH"]]
            await pub.close()
            await asyncio.wait_for(task, 2)
        finally:
            await network.close()


async def test_balances_a_market_buy_by_amount_a_sell_by_volume_and_their_fills():
    async with _trading() as (fake, broker, ups):
        balances = {b.currency: b for b in await broker.balances()}
        assert balances["KRW"].total == D("10000000") and balances["BTC"].total == D("0.5")
        placed = await broker.place_order(req("up-buy-1", qty="0.001", amount="100000"))
        assert placed.status is OrderStatus.NEW and placed.venue_order_id
        body = fake.venue.accounts[KEY].orders[placed.venue_order_id]
        assert (body["ord_type"], body["price"], body["volume"], body["identifier"]) == (
            "price", "100000", None, "up-buy-1")
        assert await until(lambda: any(u.order.client_order_id == "up-buy-1" and u.order.status.is_final
                                       for u in ups.of(OrderUpdate)))
        final = await broker.query_order("up-buy-1")
        fills = [u.fill for u in ups.of(FillUpdate) if u.fill.client_order_id == "up-buy-1"]
        assert final.status is OrderStatus.FILLED and final.quantity == final.filled_qty == D("0.00105262")
        assert [(f.quantity, f.price, f.commission_asset) for f in fills] == [(D("0.00105262"), D("95001000"), "KRW")]
        sell = await broker.place_order(req("up-sell-1", side=Side.SELL, qty="0.01"))
        assert fake.venue.accounts[KEY].orders[sell.venue_order_id]["ord_type"] == "market"
        assert await until(lambda: any(u.fill.client_order_id == "up-sell-1" for u in ups.of(FillUpdate)))
        assert len(set(fake.venue.nonces)) == len([r for r in fake.venue.requests if r[1] != "/v1/market/all"]) + 1
        assert set(fake.venue.jwt_algorithms) == {"HS256"}
    # a fresh adapter (a restart) finds both orders' fills by asking
    async with FakeUpbitServer(FakeUpbit()) as fake:
        fake.venue.open(KEY, SECRET, {"KRW": "10000000"})
        first = UpbitAccount("acc1", _ep(fake), UPBIT.network(timeout_s=2.0), KEY, SECRET)
        await first.connect()
        await first.place_order(req("up-buy-2", amount="50000"))
        await first.place_order(req("up-rest", kind=OrderType.LIMIT, qty="0.01", price="90000000"))
        await close_adapter(first)
        fresh = UpbitAccount("acc1", _ep(fake), UPBIT.network(timeout_s=2.0), KEY, SECRET)
        try:
            await fresh.connect()
            fills = await fresh.fills_since(now_ms() - 60_000, ["BTC/KRW"])
            assert [f.client_order_id for f in fills] == ["up-buy-2"] and fills[0].commission > 0
        finally:
            await close_adapter(fresh)


async def test_a_resting_limit_is_listed_then_cancelled_by_identifier_or_uuid():
    async with _trading() as (fake, broker, ups):
        a = await broker.place_order(req("up-lim-a", kind=OrderType.LIMIT, qty="0.01", price="90000499"))
        b = await broker.place_order(req("up-lim-b", kind=OrderType.LIMIT, qty="0.01", price="90000000"))
        assert fake.venue.accounts[KEY].orders[a.venue_order_id]["price"] == "90000000"  # on the band's 1,000 tick
        assert sorted(o.client_order_id for o in await broker.open_orders("BTC/KRW")) == ["up-lim-a", "up-lim-b"]
        assert (await broker.query_order("", venue_order_id=b.venue_order_id)).client_order_id == "up-lim-b"
        assert (await broker.cancel_order("up-lim-a")).status is OrderStatus.CANCELLED
        cancelled = await broker.cancel_order("", venue_order_id=b.venue_order_id)
        assert (cancelled.client_order_id, cancelled.status) == ("up-lim-b", OrderStatus.CANCELLED)
        assert await broker.open_orders() == []
        assert (await broker.cancel_order("up-lim-a")).status is OrderStatus.CANCELLED  # final: back unchanged


async def test_refusals_before_sending_and_the_venues_own():
    async with _trading(krw="100000") as (fake, broker, ups):
        sent = len(fake.venue.requests)
        with pytest.raises(InvalidOrder, match="amount to spend"):
            await broker.place_order(req("up-x1"))  # a market buy without an amount
        with pytest.raises(InvalidOrder, match="minimum order value"):
            await broker.place_order(req("up-x2", amount="4000"))
        with pytest.raises(InvalidOrder, match="minimum order total"):
            await broker.place_order(req("up-x3", kind=OrderType.LIMIT, qty="0.00001", price="90000000"))
        with pytest.raises(InvalidOrder):
            await broker.place_order(req("up-x4", kind=OrderType.STOP_MARKET))
        assert len(fake.venue.requests) == sent
        with pytest.raises(InsufficientFunds):
            await broker.place_order(req("up-big", amount="5000000"))
        with pytest.raises(DuplicateClientOrderId):  # an identifier is never reusable, not even after an error
            await broker.place_order(req("up-big", amount="6000"))


async def test_a_wrong_secret_is_refused_at_connect():
    async with FakeUpbitServer(FakeUpbit()) as fake:
        fake.venue.open(KEY, SECRET, {"KRW": "1000"})
        broker = UpbitAccount("acc1", _ep(fake), UPBIT.network(timeout_s=2.0), KEY, "not-the-secret-" + "x" * 20)
        try:
            with pytest.raises(AuthError):
                await broker.connect()
        finally:
            await close_adapter(broker)


async def test_a_reused_nonce_is_refused_by_the_venue_and_never_sent_by_us():
    import httpx

    from trader_app.brokers.live.auth import JwtPerRequest

    async with _trading() as (fake, broker, ups):
        token = JwtPerRequest(KEY, SECRET).token(None, 0)
        async with httpx.AsyncClient(base_url=fake.rest_url) as client:
            first = await client.get("/v1/accounts", headers={"Authorization": f"Bearer {token}"})
            again = await client.get("/v1/accounts", headers={"Authorization": f"Bearer {token}"})
        assert first.status_code == 200 and again.status_code == 401
        assert again.json()["error"]["name"] == "nonce_used"
        for _ in range(5):
            await broker.balances()  # ours: a fresh nonce every time, never refused
