"""Every raw Binance value in the mapping tables (brokers/binance/codes.py), and the user-data events of the
official samples read into the contract's updates."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from fakes.reference import sample
from trader_app.brokers.base import BalanceUpdate, FillUpdate, OrderUpdate
from trader_app.brokers.binance.codes import ORDER_STATUS, ORDER_TYPE, ORDER_TYPE_BACK, error_for, order_status
from trader_app.brokers.binance.userdata import updates_of_event
from trader_app.core.enums import OrderStatus, OrderType
from trader_app.core.errors import (
    AuthError,
    DuplicateClientOrderId,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    OrderStateUnknown,
    RateLimited,
    SessionExpired,
    UnknownSymbol,
    VenueUnavailable,
)

STATUS = {"NEW": OrderStatus.NEW, "PENDING_NEW": OrderStatus.NEW, "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
          "FILLED": OrderStatus.FILLED, "CANCELED": OrderStatus.CANCELLED, "PENDING_CANCEL": OrderStatus.NEW,
          "REJECTED": OrderStatus.REJECTED, "EXPIRED": OrderStatus.EXPIRED, "EXPIRED_IN_MATCH": OrderStatus.EXPIRED,
          "NEW_INSURANCE": OrderStatus.NEW, "NEW_ADL": OrderStatus.NEW}


def test_every_order_status():
    assert ORDER_STATUS == STATUS
    for raw, ours in STATUS.items():
        assert order_status(raw) is ours
    with pytest.raises(ValueError):
        order_status("SOMETHING_NEW")


def test_order_types_both_ways():
    assert ORDER_TYPE["spot"] == {OrderType.MARKET: "MARKET", OrderType.LIMIT: "LIMIT",
                                  OrderType.STOP_MARKET: "STOP_LOSS", OrderType.STOP_LIMIT: "STOP_LOSS_LIMIT"}
    assert ORDER_TYPE["futures"] == {OrderType.MARKET: "MARKET", OrderType.LIMIT: "LIMIT",
                                     OrderType.STOP_MARKET: "STOP_MARKET", OrderType.STOP_LIMIT: "STOP"}
    for market in ORDER_TYPE.values():
        for ours, raw in market.items():
            assert ORDER_TYPE_BACK[raw] is ours


@pytest.mark.parametrize("status, code, msg, placing, expected", [
    (400, -1022, "Signature for this request is not valid.", False, AuthError),
    (401, -2015, "Invalid API-key, IP, or permissions for action.", False, AuthError),
    (400, -2014, "API-key format invalid.", False, AuthError),
    (400, -2008, "Invalid Api-Key ID.", False, AuthError),
    (400, -1125, "This listenKey does not exist.", False, SessionExpired),
    (429, -1003, "Too many requests.", False, RateLimited),
    (500, -1006, "An unexpected response was received from the message bus. Execution status unknown.", True,
     OrderStateUnknown),
    (500, -1007, "Timeout waiting for response from backend server. Send status unknown.", True, OrderStateUnknown),
    (500, -1007, "Timeout waiting for response from backend server.", False, VenueUnavailable),
    (400, -2010, "Duplicate order sent.", True, DuplicateClientOrderId),
    (400, -4116, "ClientOrderId is duplicated.", True, DuplicateClientOrderId),
    (400, -2010, "Account has insufficient balance for requested action.", True, InsufficientFunds),
    (400, -2019, "Margin is insufficient.", True, InsufficientFunds),
    (400, -2010, "Order would immediately match and take.", True, InvalidOrder),
    (400, -1013, "Filter failure: LOT_SIZE", True, InvalidOrder),
    (400, -1111, "Precision is over the maximum defined for this asset.", True, InvalidOrder),
    (400, -2022, "ReduceOnly Order is rejected.", True, InvalidOrder),
    (400, -4164, "Order's notional must be no smaller than 5.", True, InvalidOrder),
    (400, -4061, "Order's position side does not match user's setting.", True, InvalidOrder),
    (400, -2013, "Order does not exist.", False, OrderNotFound),
    (400, -2011, "Unknown order sent.", False, OrderNotFound),
    (400, -1121, "Invalid symbol.", True, UnknownSymbol),
    (400, -9999, "Something new.", True, InvalidOrder),  # a 4xx answer to a new order: refused, nothing works
    (400, -9999, "Something new.", False, VenueUnavailable),
    (403, None, "WAF", False, AuthError),
])
def test_error_codes(status, code, msg, placing, expected):
    body = {"code": code, "msg": msg} if code is not None else "<html>403 Forbidden</html>"
    err = error_for(status, body, "binance", placing=placing, symbol="BTC/USDT")
    assert type(err) is expected
    if code is not None and expected not in (AuthError, UnknownSymbol):
        assert str(code) in str(err)


def test_the_official_user_data_samples():
    symbol_of = {"ETHBTC": "ETH/BTC"}.get
    (order,) = updates_of_event(sample("binance_uds_executionReport_wsapi_wrapped")["event"], "a1", symbol_of)
    assert isinstance(order, OrderUpdate)
    o = order.order
    assert (o.client_order_id, o.symbol, o.status, o.quantity, o.price, o.venue_order_id, o.filled_qty) == (
        "mUvoqJxFIILMdfAW5iGSOW", "ETH/BTC", OrderStatus.NEW, D("1"), D("0.10264410"), "4293153", D("0"))
    (bal,) = updates_of_event(sample("binance_uds_outboundAccountPosition_wsapi_wrapped")["event"], "a1", symbol_of)
    assert isinstance(bal, BalanceUpdate) and (bal.balance.currency, bal.balance.total) == ("ETH", D("10000"))
    trade = dict(sample("binance_uds_executionReport_wsapi_wrapped")["event"], x="TRADE", X="FILLED", t=77,
                 l="1.00000000", L="0.10264410", z="1.00000000", Z="0.10264410", n="0.001", N="ETH")
    fill, order = updates_of_event(trade, "a1", symbol_of)
    assert isinstance(fill, FillUpdate) and (fill.fill.trade_id, fill.fill.quantity, fill.fill.commission) == (
        "77", D("1"), D("0.001"))
    assert order.order.avg_fill_price == D("0.10264410")
    cancel = dict(sample("binance_uds_executionReport_wsapi_wrapped")["event"], x="CANCELED", X="CANCELED",
                  c="cancel-req-1", C="mUvoqJxFIILMdfAW5iGSOW")
    (cancelled,) = updates_of_event(cancel, "a1", symbol_of)
    assert cancelled.order.client_order_id == "mUvoqJxFIILMdfAW5iGSOW"  # the original id, not the cancel's
