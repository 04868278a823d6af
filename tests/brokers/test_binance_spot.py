"""A Binance spot account against the fake Binance on 127.0.0.1: signed requests as Binance specifies them
(checked by the fake: key, HMAC over the exact query, timestamp window), orders placed/queried/cancelled by
client order id with tick and lot rounding, the refusals mapped to the contract's errors, fills from the FULL
answer and from the user-data stream without duplicates, a lost answer resolved by asking, and the faults:
-1021 clock skew, 418 ban shown on the account's connection, streams back after a drop."""

from __future__ import annotations

import asyncio
from adapter_updates import Updates
from decimal import Decimal as D

import pytest

from waiting import until as _until
from fakes.binance import FakeBinance, FakeBinanceServer
from trader_app.brokers.binance.profile import PROFILE as BINANCE
from trader_app.brokers.base import BalanceUpdate, ConnectionUpdate, FillUpdate, OrderUpdate
from trader_app.brokers.binance.spot import BinanceSpot
from trader_app.brokers.binance.urls import SPOT, endpoints
from trader_app.core.enums import OrderStatus, OrderType, SessionState, Side, TimeInForce
from trader_app.core.errors import (
    AuthError,
    DuplicateClientOrderId,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    VenueBanned,
    VenueUnavailable,
)
from trader_app.core.orders import OrderRequest

KEY, SECRET = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A", "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"


def _account(fake, key=KEY, secret=SECRET, timeout_s=2.0, order_entry="ws") -> BinanceSpot:
    ep = endpoints(SPOT).with_overrides(rest=fake.rest_url, stream=fake.stream_url, ws_api=f"{fake.stream_url}/ws-api/v3")
    net = BINANCE.network(ep.venue, timeout_s=timeout_s)
    return BinanceSpot("acc1", ep, net, key, secret, live=True, order_entry=order_entry)


def req(cid, side=Side.BUY, kind=OrderType.MARKET, qty="0.01", price=None, stop=None, symbol="BTC/USDT"):
    return OrderRequest("acc1", symbol, side, kind, D(qty), cid, price=D(price) if price else None,
                        stop_price=D(stop) if stop else None, time_in_force=TimeInForce.GTC)


async def _with_fake(body, order_entry="ws"):
    async with FakeBinanceServer(FakeBinance()) as fake:
        fake.venue.accounts.open(KEY, SECRET, {"USDT": "10000", "BTC": "0.5"})
        broker = _account(fake, order_entry=order_entry)
        try:
            await body(fake, broker)
        finally:
            await broker.close()
            for shared in broker.network.shared.values():
                await shared.close()
            await broker.network.close()


async def test_connect_balances_and_the_exact_signed_requests():
    async def body(fake, broker):
        fake.venue.accounts.accounts[KEY].withdrawals_enabled = True
        await broker.connect()
        assert broker.withdrawals_enabled is True
        assert {b.currency: (b.total, b.locked) for b in await broker.balances()} == {
            "BTC": (D("0.5"), D("0")), "USDT": (D("10000"), D("0"))}
        signed = [(m, p, q, h) for m, p, q, h in fake.venue.requests if "signature" in q]
        assert [p for _m, p, _q, _h in signed] == ["/api/v3/account", "/sapi/v1/account/apiRestrictions",
                                                    "/api/v3/account"]
        for _m, _p, q, h in signed:
            assert h["x-mbx-apikey"] == KEY and q["recvWindow"] == "5000" and len(q["signature"]) == 64
        assert fake.streams.ws_api_requests[0]["method"] == "userDataStream.subscribe.signature"
        assert set(fake.streams.ws_api_requests[0]["params"]) == {"apiKey", "timestamp", "signature"}

    await _with_fake(body)


async def test_a_wrong_secret_or_key_is_an_auth_error_without_the_secret_in_it():
    async with FakeBinanceServer(FakeBinance()) as fake:
        fake.venue.accounts.open(KEY, SECRET, {"USDT": "10"})
        for key, secret in ((KEY, "wrong-secret-value"), ("unknown-key", SECRET)):
            broker = _account(fake, key, secret)
            with pytest.raises(AuthError) as err:
                await broker.connect()
            assert "wrong-secret-value" not in str(err.value) and SECRET not in str(err.value)
            await broker.close()
            await broker.network.close()


@pytest.mark.parametrize("order_entry", ["ws", "rest"])
async def test_orders_are_rounded_placed_filled_once_queried_and_cancelled_by_client_order_id(order_entry):
    async def body(fake, broker):
        await broker.connect()
        ups = Updates(broker)
        order = await broker.place_order(req("ta-1", qty="0.0123456"))
        assert (order.status, order.quantity, order.filled_qty, order.avg_fill_price) == (
            OrderStatus.FILLED, D("0.01234"), D("0.01234"), D("65000.01"))
        sent = fake.venue.accounts.signed_requests[-1]
        if order_entry == "rest":  # the REST query as signed: parameters in our order, then timestamp, recvWindow
            assert sent.startswith("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01234&newClientOrderId=ta-1"
                                   "&newOrderRespType=FULL&timestamp=")
            assert fake.streams.ws_orders == 0
        else:  # the WebSocket API request as signed: every parameter sorted by name, unencoded
            assert sent.startswith(f"apiKey={KEY}&newClientOrderId=ta-1&newOrderRespType=FULL&quantity=0.01234"
                                   "&side=BUY&symbol=BTCUSDT&timestamp=")
            assert sent.endswith("&type=MARKET") and fake.streams.ws_orders == 1
            assert fake.streams.ws_api_requests[-1]["method"] == "order.place"
        # the same trade arrives in the FULL answer and on the stream: one fill per trade id
        assert await _until(lambda: len({f.fill.trade_id for f in ups.of(FillUpdate)}) == 1 and len(ups.of(FillUpdate)) >= 2)
        assert {f.fill.trade_id for f in ups.of(FillUpdate)} == {"5000"}
        assert await _until(lambda: any(isinstance(u, BalanceUpdate) for u in ups.items))
        # a resting limit order, rounded to the tick, then cancelled
        limit = await broker.place_order(req("ta-2", kind=OrderType.LIMIT, qty="0.01", price="60000.004"))
        assert limit.status is OrderStatus.NEW and limit.price == D("60000.00")
        assert [o.client_order_id for o in await broker.open_orders("BTC/USDT")] == ["ta-2"]
        assert (await broker.query_order("ta-2", symbol="BTC/USDT")).status is OrderStatus.NEW
        assert await broker.query_order("ta-nope", symbol="BTC/USDT") is None
        cancelled = await broker.cancel_order("ta-2", symbol="BTC/USDT")
        assert (cancelled.client_order_id, cancelled.status) == ("ta-2", OrderStatus.CANCELLED)
        with pytest.raises(OrderNotFound):
            await broker.cancel_order("ta-2", symbol="BTC/USDT")
        assert await _until(lambda: any(isinstance(u, OrderUpdate) and u.order.client_order_id == "ta-2"
                                        and u.order.status is OrderStatus.CANCELLED for u in ups.items))
        # a resting order fills later when the price crosses: the fill comes on the stream
        await broker.place_order(req("ta-3", kind=OrderType.LIMIT, qty="0.01", price="64000.00"))
        fake.venue.set_price("BTCUSDT", D("63900"))
        assert await _until(lambda: any(f.fill.client_order_id == "ta-3" for f in ups.of(FillUpdate)))
        fills = await broker.fills_since(0)
        assert [(f.client_order_id, f.price) for f in fills] == [("ta-1", D("65000.01")), ("ta-3", D("64000.00"))]
        # cancel-all by symbol
        await broker.place_order(req("ta-4", kind=OrderType.LIMIT, qty="0.01", price="50000"))
        await broker.place_order(req("ta-5", kind=OrderType.LIMIT, side=Side.SELL, qty="0.01", price="90000"))
        assert sorted(o.client_order_id for o in await broker.cancel_all("BTC/USDT")) == ["ta-4", "ta-5"]
        assert await broker.cancel_all("BTC/USDT") == []
        assert broker.sent_over[order_entry] == 6 and broker.sent_over["rest" if order_entry == "ws" else "ws"] == 0

    await _with_fake(body, order_entry)


async def test_refusals_are_the_contracts_errors_and_nothing_is_resent():
    async def body(fake, broker):
        await broker.connect()
        placed = fake.venue.accounts.placed
        with pytest.raises(InsufficientFunds, match="-2010"):
            await broker.place_order(req("ta-big", qty="1"))  # 65,000 USDT needed, 10,000 held
        with pytest.raises(InvalidOrder, match="below the lot"):
            await broker.place_order(req("ta-tiny", qty="0.000001"))  # refused before sending
        with pytest.raises(InvalidOrder, match="NOTIONAL"):
            await broker.place_order(req("ta-small", qty="0.00005"))  # 3.25 USDT < 5
        await broker.place_order(req("ta-dup", kind=OrderType.LIMIT, qty="0.01", price="50000"))
        with pytest.raises(DuplicateClientOrderId):
            await broker.place_order(req("ta-dup", kind=OrderType.LIMIT, qty="0.01", price="50000"))
        assert fake.venue.accounts.placed == placed + 1

    await _with_fake(body)


async def test_a_lost_answer_is_unknown_and_the_order_is_found_by_asking_and_a_skewed_clock_is_resynced():
    async def body(fake, broker):
        await broker.connect()
        fake.venue.accounts.lose_next_answers = 1
        fake.venue.accounts.not_found_s = 2.5  # the venue's lag after acceptance: "does not exist" meanwhile
        with pytest.raises(VenueUnavailable, match="did not answer in time"):
            await broker.place_order(req("ta-lost"))  # the client gives up after 2 s
        assert await broker.query_order("ta-lost", symbol="BTC/USDT") is None
        await asyncio.sleep(0.7)
        found = await broker.query_order("ta-lost", symbol="BTC/USDT")
        assert found.status is OrderStatus.FILLED and fake.venue.accounts.placed == 1
        # the server's clock jumps 10 s: -1021 once, the clock is resynced, the request goes through
        fake.venue.faults.timestamp_skew_ms = 10_000
        balances = await broker.balances()
        assert balances and broker.rest.resyncs == 1

    await _with_fake(body)


async def test_a_ban_is_shown_on_the_account_and_refuses_everything_and_the_user_stream_comes_back():
    async def body(fake, broker):
        await broker.connect()
        ups = Updates(broker)
        fake.venue.faults.status, fake.venue.faults.count, fake.venue.faults.retry_after_s = 418, 1, 120
        with pytest.raises(VenueBanned):
            await broker.balances()
        assert await _until(lambda: any(isinstance(u, ConnectionUpdate) and u.state is SessionState.BANNED
                                        for u in ups.items))
        ban = next(u for u in ups.items if isinstance(u, ConnectionUpdate) and u.state is SessionState.BANNED)
        assert ban.until_ms == broker.network.budget(fake.rest_url).banned_until_ms
        sent = len(fake.venue.requests)
        with pytest.raises(VenueBanned):
            await broker.place_order(req("ta-banned"))
        assert len(fake.venue.requests) == sent
        broker.network.budget(fake.rest_url).banned_until_ms = 0
        # the user-data connection drops: back and resubscribed within 2 s, reported RECONNECTING then CONNECTED
        await fake.streams.drop_all()
        assert await _until(lambda: fake.streams.ws_api_connects == 2 and [r["method"] for r in fake.streams.ws_api_requests]
                            == ["userDataStream.subscribe.signature"] * 2, 2.0)
        assert await _until(lambda: [u.state for u in ups.of(ConnectionUpdate)][-2:] == [
            SessionState.RECONNECTING, SessionState.CONNECTED])
        # duplicate and out-of-order events are harmless: one fill per trade
        fake.streams.duplicate_events = True
        fake.streams.reorder_events = True
        await broker.place_order(req("ta-after", qty="0.01"))
        assert await _until(lambda: sum(1 for f in ups.of(FillUpdate) if f.fill.client_order_id == "ta-after") >= 2)
        assert {f.fill.trade_id for f in ups.of(FillUpdate) if f.fill.client_order_id == "ta-after"} == {"5000"}

    await _with_fake(body)


async def test_a_key_that_can_withdraw_is_warned_about_and_a_lifted_ban_reconnects():
    async def body(fake, broker):
        fake.venue.accounts.accounts[KEY].withdrawals_enabled = True
        await broker.connect()
        assert broker.warnings() and "withdrawals are enabled" in broker.warnings()[0]
        ups = Updates(broker)
        fake.venue.faults.status, fake.venue.faults.count, fake.venue.faults.retry_after_s = 418, 1, 1
        with pytest.raises(VenueBanned):
            await broker.balances()
        assert await _until(lambda: [u.state for u in ups.of(ConnectionUpdate)][-2:] == [
            SessionState.BANNED, SessionState.CONNECTED], 3)
        assert await broker.balances()

    await _with_fake(body)


@pytest.mark.parametrize("order_entry", ["ws", "rest"])
async def test_an_ed25519_key_signs_rest_and_websocket_requests(order_entry):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    public_pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    async with FakeBinanceServer(FakeBinance()) as fake:
        fake.venue.accounts.open("ed-key", public_pem, {"USDT": "10000"})
        broker = _account(fake, "ed-key", private_pem, order_entry=order_entry)
        try:
            await broker.connect()
            assert broker.rest.ed25519
            order = await broker.place_order(req("ta-ed", qty="0.01"))
            assert order.status is OrderStatus.FILLED and broker.sent_over[order_entry] == 1
        finally:
            await broker.close()
            for shared in broker.network.shared.values():
                await shared.close()
            await broker.network.close()


async def test_a_user_data_subscription_outside_recv_window_resyncs_the_clock_and_subscribes_again():
    """A busy venue (or a clock that drifted) answers the signed subscription with -1021: the clock is measured
    again and the subscription sent once more, instead of the account failing as if its key were wrong."""
    async def body(fake, broker):
        await broker.connect()
        ups = Updates(broker)
        resyncs = broker.rest.resyncs
        fake.venue.faults.timestamp_skew_ms = 10_000  # the venue's clock jumps: our next signature is "late"
        await fake.streams.drop_all()
        assert await _until(lambda: [u.state for u in ups.of(ConnectionUpdate)][-1:] == [SessionState.CONNECTED]
                            and broker.rest.resyncs > resyncs, 5.0)
        methods = [r["method"] for r in fake.streams.ws_api_requests]
        assert methods.count("userDataStream.subscribe.signature") == 3  # at connect, refused, again after resync
        assert await broker.balances()

    await _with_fake(body)
