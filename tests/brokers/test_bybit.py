"""Bybit v5 (unified account) against the fake Bybit on 127.0.0.1: signed requests as Bybit specifies (checked by
the fake: key, HMAC over the exact query or body, timestamp window), keyless market data, one account trading spot
and linear perpetuals, orders placed/queried/cancelled by ``orderLinkId`` and by ``orderId``, the private stream's
events, the refusals mapped to the contract's errors, and the faults (10002 clock, 403 ban, dropped streams)."""

from __future__ import annotations

import asyncio
import contextlib
from adapter_updates import Updates, close_adapter
from decimal import Decimal as D

import pytest

from waiting import until as _until
from fakes.bybit import FakeBybit, FakeBybitServer
from fakes.reference import sample, vectors
from trader_app.brokers.bybit.profile import PROFILE as BYBIT
from trader_app.brokers.base import ConnectionUpdate, FillUpdate, OrderUpdate, PositionUpdate
from trader_app.brokers.bybit.account import BybitAccount
from trader_app.brokers.bybit.codes import error_for
from trader_app.brokers.bybit.orders import order_from
from trader_app.brokers.bybit.public import BybitPublic
from trader_app.brokers.bybit.rest import BybitRest
from trader_app.brokers.bybit.urls import endpoints
from trader_app.brokers.live.signing import hmac_sha256_hex
from trader_app.core.enums import Interval, OrderStatus, OrderType, SessionState, Side, TimeInForce
from trader_app.core.errors import AuthError, InsufficientFunds, OrderNotFound, VenueBanned
from trader_app.core.orders import OrderRequest

KEY, SECRET = "XXXXXXXXXX", "test-secret"


def test_signatures_follow_the_published_rule_and_derived_vectors():
    by_id = {v["id"]: v for v in vectors()}
    plain = by_id["BYB-PLAIN-GET"]
    rest = BybitRest(endpoints(), BYBIT.network(), plain["input"]["api_key"], "test-secret")
    rest.recv_window_ms = int(plain["input"]["recv_window"])
    assert f"{plain['input']['timestamp']}{rest.api_key}{rest.recv_window_ms}{plain['input']['queryString']}" == \
        plain["expected_plaintext"]
    derived = by_id["BYB-DERIVED-GET"]
    assert rest.sign(int(plain["input"]["timestamp"]), plain["input"]["queryString"]) == derived["expected"]
    assert hmac_sha256_hex(derived["secret"], derived["input"]) == derived["expected"]
    ws = by_id["BYB-DERIVED-WS-AUTH"]
    assert rest.sign_ws(int(ws["input"].removeprefix("GET/realtime"))) == ws["expected"]


def test_official_payloads_map_to_the_contract():
    row = sample("bybit_rest_open_orders")["result"]["list"][0]
    order = order_from(dict(row, category="linear"), "a1", "ETH/USDT:USDT")
    assert (order.client_order_id, order.status, order.side, order.quantity, order.price) == (
        "test-000005", OrderStatus.NEW, Side.BUY, D("0.10"), D("1600.00"))
    assert isinstance(error_for(200, {"retCode": 110001, "retMsg": "Order does not exist."}, "bybit"), OrderNotFound)
    assert isinstance(error_for(200, {"retCode": 110007, "retMsg": "ab not enough"}, "bybit"), InsufficientFunds)
    assert isinstance(error_for(401, {"retCode": 10003, "retMsg": "API key is invalid."}, "bybit"), AuthError)


def _account(fake) -> BybitAccount:
    ep = endpoints().with_overrides(rest=fake.rest_url, stream=fake.stream_url)
    return BybitAccount("acc1", ep, BYBIT.network(timeout_s=2.0), KEY, SECRET)


def req(cid, symbol="BTC/USDT", side=Side.BUY, kind=OrderType.MARKET, qty="0.01", price=None):
    return OrderRequest("acc1", symbol, side, kind, D(qty), cid, price=D(price) if price else None,
                        time_in_force=TimeInForce.GTC)


@contextlib.asynccontextmanager
async def _connected(fake):
    """Our adapter connected to the fake's account ``KEY`` (closed after)."""
    broker = _account(fake)
    try:
        await broker.connect()
        yield broker
    finally:
        await close_adapter(broker)


@contextlib.asynccontextmanager
async def _trading():
    """The fake Bybit with one funded account, and our adapter connected to it with its update stream."""
    async with FakeBybitServer(FakeBybit()) as fake:
        fake.venue.open(KEY, SECRET, {"USDT": "10000"})
        async with _connected(fake) as broker:
            yield fake, broker, Updates(broker)


async def test_keyless_market_data_instruments_history_and_quotes():
    async with FakeBybitServer(FakeBybit()) as fake:
        ep = endpoints().with_overrides(rest=fake.rest_url, stream=fake.stream_url)
        network = BYBIT.network()
        public = BybitPublic(ep, network)
        try:
            await public.connect()
            btc = public.symbols.by_symbol["BTC/USDT"]
            assert (btc.tick_size, btc.lot_size, btc.min_notional, btc.venue_symbol) == (
                D("0.01"), D("0.000001"), D("1"), "BTCUSDT")
            now = network.clock(fake.rest_url).now_ms()
            bars = await public.bar_history("BTC/USDT", Interval.M1, now - 30 * 60_000, now)
            assert len(bars) >= 29 and all(a.open_time_ms < b.open_time_ms for a, b in zip(bars, bars[1:]))
            got = []

            async def take():
                async for item in public.quotes(["BTC/USDT"]):
                    got.append(item)
                    if any(getattr(q, "bid", None) for q in got) and any(hasattr(q, "interval") for q in got):
                        return

            await asyncio.wait_for(take(), 5)
            quote = next(q for q in got if hasattr(q, "bid"))
            assert (quote.bid, quote.ask, quote.venue) == (D("64999.99"), D("65000.01"), "bybit")
        finally:
            await public.close()
            await network.close()


async def test_one_account_trades_spot_and_linear_by_link_id_and_by_order_id():
    async with _trading() as (fake, broker, ups):
        symbols = {i.symbol for i in await broker.instruments()}
        assert {"BTC/USDT", "BTC/USDT:USDT"} <= symbols
        assert [(b.currency, b.total) for b in await broker.balances()] == [("USDT", D("10000"))]
        # every signed request passed the fake's checks: body signed as sent
        spot = await broker.place_order(req("by-spot-1", qty="0.01"))
        assert spot.status is OrderStatus.NEW and spot.venue_order_id
        assert broker.sent_over == {"ws": 1, "rest": 0}  # over the trade API (order.create by reqId)
        assert fake.streams.trade_requests[-1]["args"][0]["orderLinkId"] == "by-spot-1"
        assert await _until(lambda: any(u.order.client_order_id == "by-spot-1" and u.order.status is OrderStatus.FILLED
                                        for u in ups.of(OrderUpdate)))
        fills = [u.fill for u in ups.of(FillUpdate) if u.fill.client_order_id == "by-spot-1"]
        assert [(f.quantity, f.price, f.commission_asset) for f in fills] == [(D("0.01"), D("65000.01"), "BTC")]
        linear = await broker.place_order(req("by-perp-1", symbol="BTC/USDT:USDT", side=Side.SELL, qty="0.01"))
        assert linear.status is OrderStatus.NEW
        assert await _until(lambda: any(u.position.symbol == "BTC/USDT:USDT" and u.position.quantity == D("-0.01")
                                        for u in ups.of(PositionUpdate)))
        assert [(p.symbol, p.quantity) for p in await broker.positions()] == [("BTC/USDT:USDT", D("-0.010"))]
        # a resting limit, found and cancelled by its venue id
        rest = await broker.place_order(req("by-rest", kind=OrderType.LIMIT, qty="0.001", price="60000"))
        assert [o.client_order_id for o in await broker.open_orders("BTC/USDT")] == ["by-rest"]
        found = await broker.query_order("", venue_order_id=rest.venue_order_id, symbol="BTC/USDT")
        assert found.client_order_id == "by-rest"
        cancelled = await broker.cancel_order("", symbol="BTC/USDT", venue_order_id=rest.venue_order_id)
        assert (cancelled.client_order_id, cancelled.status) == ("by-rest", OrderStatus.CANCELLED)
        with pytest.raises(OrderNotFound):
            await broker.cancel_order("nobody", symbol="BTC/USDT")
        fills = await broker.fills_since(0)
        assert {f.client_order_id for f in fills} == {"by-spot-1", "by-perp-1"}
        assert await broker.set_leverage("BTC/USDT:USDT", 3) == 3 and broker.leverage["BTC/USDT:USDT"] == 3
        assert await broker.set_leverage("BTC/USDT:USDT", 3) == 3  # "not modified" is fine


async def test_wrong_key_clock_skew_ban_and_a_dropped_private_stream():
    async with FakeBybitServer(FakeBybit()) as fake:
        fake.venue.open(KEY, SECRET, {"USDT": "10000"})
        bad = BybitAccount("acc1", endpoints().with_overrides(rest=fake.rest_url, stream=fake.stream_url),
                           BYBIT.network(timeout_s=2.0), KEY, "wrong-secret")
        try:
            with pytest.raises(AuthError) as refused:
                await bad.connect()
            assert "wrong-secret" not in str(refused.value)
        finally:
            await close_adapter(bad)
        broker = _account(fake)
        try:
            await broker.connect()
            ups = Updates(broker)
            fake.venue.faults.timestamp_skew_ms = 10_000  # the venue's clock jumps: 10002 once, resync, through
            assert await broker.balances()
            assert broker.rest.resyncs == 1
            await fake.streams.drop_all()
            assert await _until(lambda: [u.state for u in ups.of(ConnectionUpdate)][-2:] == [
                SessionState.RECONNECTING, SessionState.CONNECTED], 5)
            assert await _until(lambda: fake.streams.auth_requests == 4)  # private and trade, again on the new connections
            fake.venue.faults.status, fake.venue.faults.count = 403, 1
            with pytest.raises(VenueBanned):
                await broker.balances()
            sent = len(fake.venue.requests)
            with pytest.raises(VenueBanned):
                await broker.place_order(req("by-banned"))
            assert len(fake.venue.requests) == sent  # nothing sent for 10 minutes
            assert await _until(lambda: SessionState.BANNED in [u.state for u in ups.of(ConnectionUpdate)])
        finally:
            await close_adapter(broker)


async def test_orders_go_over_rest_when_chosen_or_when_the_trade_api_is_down():
    async with FakeBybitServer(FakeBybit()) as fake:
        fake.venue.open(KEY, SECRET, {"USDT": "10000"})
        ep = endpoints().with_overrides(rest=fake.rest_url, stream=fake.stream_url)
        broker = BybitAccount("acc1", ep, BYBIT.network(timeout_s=2.0), KEY, SECRET, order_entry="rest")
        try:
            await broker.connect()
            await broker.place_order(req("by-rest-1"))
            assert broker.sent_over == {"ws": 0, "rest": 1} and fake.streams.trade_requests == []
        finally:
            await close_adapter(broker)
        broker = _account(fake)
        try:
            await broker.connect()
            await broker._trade.close()  # the trade API connection is gone: REST takes the order, nothing lost
            await broker.place_order(req("by-rest-2"))
            assert broker.sent_over == {"ws": 0, "rest": 1}
            assert [o for o in fake.venue.accounts[KEY].orders.values() if o["orderLinkId"] == "by-rest-2"]
        finally:
            await close_adapter(broker)


async def test_a_key_that_can_withdraw_is_warned_about_and_a_trading_key_is_not():
    async with FakeBybitServer(FakeBybit()) as fake:
        fake.venue.open(KEY, SECRET, {"USDT": "100"})
        async with _connected(fake) as broker:
            assert broker.withdrawals_enabled is False and broker.warnings() == []
        fake.venue.accounts[KEY].withdraw = True  # GET /v5/user/query-api now lists Wallet: Withdraw
        async with _connected(fake) as broker:
            assert broker.withdrawals_enabled is True
            assert broker.warnings() and "withdrawals are enabled" in broker.warnings()[0]


async def test_conditional_orders_wait_untriggered_then_fill_and_can_be_cancelled():
    """Bybit conditional (stop) orders: spot with ``orderFilter=StopOrder``, linear with ``triggerDirection``; the
    venue keeps them Untriggered (open) until the last price reaches the trigger, then Triggered and filled."""
    async with _trading() as (fake, broker, ups):
        stop = await broker.place_order(OrderRequest("acc1", "BTC/USDT", Side.BUY, OrderType.STOP_MARKET,
                                                     D("0.001"), "by-stop", stop_price=D("66000")))
        sent = fake.streams.trade_requests[-1]["args"][0]
        assert (sent["orderFilter"], sent["triggerPrice"], sent["orderType"]) == ("StopOrder", "66000", "Market")
        waiting = await broker.query_order("by-stop", symbol="BTC/USDT")
        assert (waiting.status, waiting.order_type, waiting.stop_price) == (
            OrderStatus.NEW, OrderType.STOP_MARKET, D("66000"))
        assert [o.client_order_id for o in await broker.open_orders("BTC/USDT")] == ["by-stop"]
        perp = await broker.place_order(OrderRequest("acc1", "BTC/USDT:USDT", Side.SELL, OrderType.STOP_LIMIT,
                                                     D("0.01"), "by-perp-stop", price=D("63900"),
                                                     stop_price=D("64000"), reduce_only=False))
        assert fake.streams.trade_requests[-1]["args"][0]["triggerDirection"] == 2  # falls to the trigger
        assert stop.venue_order_id and perp.venue_order_id
        fake.venue.set_price("BTCUSDT", D("66000"))  # the spot stop triggers and fills; the perp one waits
        assert await _until(lambda: any(u.order.client_order_id == "by-stop" and u.order.status is OrderStatus.FILLED
                                        for u in ups.of(OrderUpdate)))
        assert [o.client_order_id for o in await broker.open_orders("BTC/USDT:USDT")] == ["by-perp-stop"]
        cancelled = await broker.cancel_order("by-perp-stop", symbol="BTC/USDT:USDT")
        assert cancelled.status is OrderStatus.CANCELLED  # Deactivated: a conditional order cancelled
        assert await broker.open_orders("BTC/USDT:USDT") == []
