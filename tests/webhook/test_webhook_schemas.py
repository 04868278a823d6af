"""The webhook payload contract: what is accepted, and the (field, reason) for what is not."""

import json
from decimal import Decimal as D

import pytest

from trader_app.core.enums import Side
from trader_app.execution.signal import SignalOrder, SignalOrderType as T
from trader_app.webhook.schemas import PayloadError, group_name_of, parse_json_body, token_of, validate_payload

BASE = {"group_name": "g1", "token": "t"}


def ok(payload):
    return validate_payload(parse_json_body(json.dumps(payload).encode()))


def errors(payload):
    with pytest.raises(PayloadError) as info:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        validate_payload(parse_json_body(body))
    return info.value.errors


def test_single_orders_of_every_type_with_numbers_as_strings_or_numbers():
    v = ok({**BASE, "symbol": "btc/usdt", "order_type": "market", "side": "Buy", "qty_per": 10})
    assert v.orders == (SignalOrder("BTC/USDT", T.MARKET, Side.BUY, D("10")),)
    v = ok({**BASE, "symbol": "BTC/USDT", "order_type": "LIMIT", "side": "sell", "qty_per": "-100", "price": "130000"})
    assert v.orders == (SignalOrder("BTC/USDT", T.LIMIT, Side.SELL, D("-100"), D("130000")),)
    v = ok({**BASE, "symbol": "AAPL", "order_type": "STOP_LIMIT", "side": "BUY", "qty_per": 3, "price": 190.5,
            "stop_price": "190.25"})
    assert v.orders == (SignalOrder("AAPL", T.STOP_LIMIT, Side.BUY, D("3"), D("190.5"), D("190.25")),)
    v = ok({**BASE, "symbol": "005930", "order_type": "STOP_MARKET", "side": "sell", "qty_per": 5, "stop_price": 69000})
    assert v.orders == (SignalOrder("005930", T.STOP_MARKET, Side.SELL, D("5"), None, D("69000")),)
    v = ok({**BASE, "symbol": "BTC/USDT", "order_type": "CANCEL_ALL_ORDER"})
    assert v.orders == (SignalOrder("BTC/USDT", T.CANCEL_ALL_ORDER, None),)
    v = ok({**BASE, "symbol": "BTC/USDT", "order_type": "CANCEL_ALL_ORDER", "side": "buy"})
    assert v.orders == (SignalOrder("BTC/USDT", T.CANCEL_ALL_ORDER, Side.BUY),)


def test_json_floats_are_read_exactly_and_extras_ignored_and_token_never_kept():
    v = validate_payload(parse_json_body(
        b'{"group_name":"g1","token":"secret","symbol":"BINANCE:ETHUSDT","order_type":"MARKET","side":"buy",'
        b'"qty_per":0.1,"price":3000.1,"comment":"{{strategy.order.comment}}"}'))
    assert v.orders == (SignalOrder("ETHUSDT", T.MARKET, Side.BUY, D("0.1")),)  # MARKET drops the price
    assert v.public_payload == {"group_name": "g1", "symbol": "BINANCE:ETHUSDT", "order_type": "MARKET",
                                "side": "buy", "qty_per": "0.1", "price": "3000.1",
                                "comment": "{{strategy.order.comment}}"}
    assert "token" not in v.public_payload


def test_close_needs_no_side():
    v = ok({**BASE, "symbol": "BTC/USDT", "order_type": "MARKET", "qty_per": -100})
    assert v.orders == (SignalOrder("BTC/USDT", T.MARKET, None, D("-100")),)


def test_batch_with_symbol_fallback_keeps_the_given_order():
    v = ok({**BASE, "symbol": "BTC/USDT", "orders": [
        {"order_type": "LIMIT", "side": "buy", "qty_per": 5, "price": 29000},
        {"order_type": "CANCEL_ALL_ORDER"},
        {"symbol": "ETH/USDT", "order_type": "MARKET", "side": "buy", "qty_per": 1}]})
    assert [(x.symbol, x.order_type) for x in v.orders] == [
        ("BTC/USDT", T.LIMIT), ("BTC/USDT", T.CANCEL_ALL_ORDER), ("ETH/USDT", T.MARKET)]


@pytest.mark.parametrize("payload,expected", [
    ({**BASE, "order_type": "MARKET", "side": "buy", "qty_per": 1}, [("symbol", "required")]),
    ({**BASE, "symbol": "BTC/USDT", "side": "buy", "qty_per": 1}, [("order_type", "required")]),
    ({**BASE, "symbol": "BTC/USDT", "order_type": "ICEBERG", "side": "buy", "qty_per": 1},
     [("order_type", "must be one of MARKET, LIMIT, STOP_MARKET, STOP_LIMIT, CANCEL_ALL_ORDER, got 'ICEBERG'")]),
    ({**BASE, "symbol": "BTC/USDT", "order_type": "MARKET", "side": "long", "qty_per": 1},
     [("side", "must be buy or sell, got 'long'")]),
    ({**BASE, "symbol": "BTC/USDT", "order_type": "MARKET", "qty_per": 1},
     [("side", "required to open a position with MARKET")]),
    ({**BASE, "symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy"}, [("qty_per", "required for MARKET")]),
    ({**BASE, "symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy", "qty_per": "ten"},
     [("qty_per", "must be a number, got 'ten'")]),
    ({**BASE, "symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy", "qty_per": True},
     [("qty_per", "must be a number, got a boolean")]),
    ({**BASE, "symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy", "qty_per": 0}, [("qty_per", "must not be 0")]),
    ({**BASE, "symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy", "qty_per": -101},
     [("qty_per", "cannot close more than 100 percent, got -101")]),
    ({**BASE, "symbol": "BTC/USDT", "order_type": "LIMIT", "side": "buy", "qty_per": 1}, [("price", "required for LIMIT")]),
    ({**BASE, "symbol": "BTC/USDT", "order_type": "LIMIT", "side": "buy", "qty_per": 1, "price": "-5"},
     [("price", "must be > 0, got -5")]),
    ({**BASE, "symbol": "BTC/USDT", "order_type": "STOP_MARKET", "side": "buy", "qty_per": 1},
     [("stop_price", "required for STOP_MARKET")]),
    ({**BASE, "symbol": "BTC/USDT", "order_type": "STOP_LIMIT", "side": "buy", "qty_per": 1},
     [("price", "required for STOP_LIMIT"), ("stop_price", "required for STOP_LIMIT")]),
    ({**BASE, "symbol": 42, "order_type": "MARKET", "side": "buy", "qty_per": 1},
     [("symbol", "must be a string such as BTC/USDT or AAPL")]),
    ({**BASE, "symbol": "BTC USDT", "order_type": "MARKET", "side": "buy", "qty_per": 1},
     [("symbol", "'BTC USDT' is not a symbol (BASE/QUOTE for crypto, the code for stocks)")]),
    ({**BASE, "symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy", "qty_per": "1e400"},
     [("qty_per", "magnitude must be between 1e-18 and 1e15, got '1e400'")]),
    ({**BASE, "orders": [{"order_type": "CANCEL_ALL_ORDER"}]},
     [("orders[0].symbol", "required (no top-level symbol either)")]),
    ({**BASE, "symbol": "BTC/USDT", "orders": []}, [("orders", "must hold at least 1 order")]),
    ({**BASE, "symbol": "BTC/USDT", "orders": {"a": 1}}, [("orders", "must be an array")]),
    ({**BASE, "symbol": "BTC/USDT", "orders": [7, {"order_type": "LIMIT", "side": "buy", "qty_per": 1}]},
     [("orders[0]", "must be a JSON object")]),  # type errors first; rules once the types are right
])
def test_bad_payloads_name_the_field_and_reason(payload, expected):
    assert errors(payload) == expected


@pytest.mark.parametrize("body,reason", [
    (b"", "empty; expected a JSON object"),
    (b"buy BTC now", "not valid JSON (Expecting value: line 1 column 1 (char 0))"),
    (b"[1, 2]", "expected a JSON object, got an array"),
    (b'"text"', "expected a JSON object, got a string"),
    (b'{"qty_per": NaN}', "not valid JSON (NaN is not a number)"),
    (b"\xff\xfe", "not UTF-8 text"),
    (b"[" * 50_000, "JSON nested too deeply"),
    (b" " * (64 * 1024 + 1), "larger than 65536 bytes"),
])
def test_bodies_that_are_not_a_json_object(body, reason):
    with pytest.raises(PayloadError) as info:
        parse_json_body(body)
    assert info.value.errors == [("body", reason)]


def test_group_name_and_token_extraction():
    assert group_name_of({"group_name": "trend-1.v2"}) == "trend-1.v2"
    for bad in ({}, {"group_name": 5}, {"group_name": ""}, {"group_name": "a b"}, {"group_name": "x" * 65}):
        with pytest.raises(PayloadError):
            group_name_of(bad)
    assert token_of({"token": "abc"}) == "abc"
    assert token_of({"token": 123}) is None and token_of({}) is None


def test_payload_error_json_shape():
    err = PayloadError([("price", "required for LIMIT"), ("side", "must be buy or sell, got 'x'")])
    assert err.to_json() == {
        "detail": "price: required for LIMIT; side: must be buy or sell, got 'x'",
        "errors": [{"field": "price", "reason": "required for LIMIT"},
                   {"field": "side", "reason": "must be buy or sell, got 'x'"}]}
