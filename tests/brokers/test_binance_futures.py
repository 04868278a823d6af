"""A Binance USD-M futures account against the fake Binance: one-way mode only (hedge mode refused with the way
out), balances and positions with leverage, reduce-only and stop orders with the futures type names, margin and
reduce-only refusals, fills and positions from the listenKey stream, a new key after listenKeyExpired."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from waiting import until as _until
from fakes.binance import FakeBinance, FakeBinanceServer
from trader_app.brokers.binance.profile import PROFILE as BINANCE
from trader_app.brokers.base import FillUpdate, PositionUpdate
from trader_app.brokers.binance.futures import BinanceFutures
from trader_app.brokers.binance.urls import FUTURES, endpoints
from trader_app.core.enums import OrderStatus, OrderType, Side, TimeInForce
from trader_app.core.errors import ConfigError, InsufficientFunds, InvalidOrder
from trader_app.core.orders import OrderRequest

KEY, SECRET = "f" * 64, "futures-secret-" + "y" * 49


def _account(fake) -> BinanceFutures:
    ep = endpoints(FUTURES).with_overrides(rest=fake.rest_url, stream=fake.stream_url)
    return BinanceFutures("fut1", ep, BINANCE.network(ep.venue, timeout_s=2.0), KEY,
                          SECRET, live=True)


def req(cid, side=Side.BUY, kind=OrderType.MARKET, qty="0.01", price=None, stop=None, reduce_only=False):
    return OrderRequest("fut1", "BTC/USDT", side, kind, D(qty), cid, price=D(price) if price else None,
                        stop_price=D(stop) if stop else None, time_in_force=TimeInForce.GTC, reduce_only=reduce_only)


async def _close(broker):
    await broker.close()
    for shared in broker.network.shared.values():
        await shared.close()
    await broker.network.close()


async def test_hedge_mode_is_refused_with_the_way_out():
    async with FakeBinanceServer(FakeBinance()) as fake:
        fake.venue.accounts.open(KEY, SECRET, {})
        fake.venue.futures.open(KEY, "1000", dual_side=True)
        broker = _account(fake)
        with pytest.raises(ConfigError, match="hedge mode.*One-way"):
            await broker.connect()
        await _close(broker)


async def test_futures_orders_positions_and_the_listen_key_stream():
    async with FakeBinanceServer(FakeBinance()) as fake:
        fake.venue.accounts.open(KEY, SECRET, {})
        fake.venue.futures.open(KEY, "1000")
        broker = _account(fake)
        items = []

        async def consume():
            async for u in broker.updates():
                items.append(u)

        task = asyncio.ensure_future(consume())
        try:
            await broker.connect()
            assert fake.streams.user_stream_connects == 1
            assert [(b.currency, b.total) for b in await broker.balances()] == [("USDT", D("1000"))]
            assert await broker.set_leverage("BTC/USDT", 10) == 10
            opened = await broker.place_order(req("ta-f1", qty="0.1"))  # 6,500 USDT at 10x: 650 margin
            assert (opened.status, opened.filled_qty, opened.avg_fill_price) == (OrderStatus.FILLED, D("0.1"), D("65000.01"))
            sent = fake.venue.accounts.signed_requests[-1]
            assert sent.startswith("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.1&newClientOrderId=ta-f1"
                                   "&newOrderRespType=RESULT&timestamp=")
            assert await _until(lambda: any(isinstance(u, FillUpdate) and u.fill.client_order_id == "ta-f1" for u in items))
            assert await _until(lambda: any(isinstance(u, PositionUpdate) and u.position.quantity == D("0.1") for u in items))
            (pos,) = await broker.positions()
            assert (pos.symbol, pos.quantity, pos.avg_price) == ("BTC/USDT", D("0.1"), D("65000.01"))
            assert broker.leverage["BTC/USDT"] == 10
            with pytest.raises(InsufficientFunds, match="-2019"):
                await broker.place_order(req("ta-f2", qty="1"))  # 6,500 margin more than the wallet
            with pytest.raises(InvalidOrder, match="-2022"):
                await broker.place_order(req("ta-f3", qty="0.2", side=Side.SELL, reduce_only=True))
            stop = await broker.place_order(req("ta-f4", side=Side.SELL, kind=OrderType.STOP_MARKET, qty="0.1",
                                                stop="60000", reduce_only=True))
            assert stop.status is OrderStatus.NEW and stop.stop_price == D("60000")
            assert "type=STOP_MARKET" in fake.venue.accounts.signed_requests[-1]
            assert "reduceOnly=true" in fake.venue.accounts.signed_requests[-1]
            # the listenKey expires: a new key, a new connection, events flow again
            await fake.streams.expire_listen_keys()
            assert await _until(lambda: fake.streams.user_stream_connects == 2, 3)
            fake.venue.set_price("BTCUSDT", D("59000"))  # the stop triggers and closes the position
            assert await _until(lambda: any(isinstance(u, PositionUpdate) and u.position.quantity == 0 for u in items))
            assert [o.client_order_id for o in await broker.open_orders()] == []
            fills = await broker.fills_since(0)
            assert [(f.client_order_id, f.side) for f in fills] == [("ta-f1", Side.BUY), ("ta-f4", Side.SELL)]
        finally:
            await _close(broker)
            await asyncio.wait_for(task, 2)
