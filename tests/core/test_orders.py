from decimal import Decimal as D

import pytest

from trader_app.core import Fill, InvalidOrder, Order, OrderRequest, OrderStatus, OrderType, Side, can_transition
from trader_app.core.position_math import apply_fill, flat


def _request(**kw):
    base = dict(
        account_id="a1", symbol="BTC/USDT", side=Side.BUY, order_type=OrderType.LIMIT,
        quantity=D("2"), client_order_id="c1", price=D("100"),
    )
    base.update(kw)
    return OrderRequest(**base)


def _fill(trade_id, qty, price):
    return Fill(trade_id=trade_id, account_id="a1", client_order_id="c1", symbol="BTC/USDT", side=Side.BUY,
                price=D(price), quantity=D(qty), commission=D(0), commission_asset="USDT", ts_ms=5)


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(quantity=D(0)), "quantity must be > 0"),
        (dict(price=None), "LIMIT needs a price"),
        (dict(order_type=OrderType.STOP_MARKET, price=None), "STOP_MARKET needs a stop price"),
        (dict(order_type=OrderType.STOP_LIMIT, stop_price=D(1), price=None), "STOP_LIMIT needs a price"),
        (dict(client_order_id=""), "client order id is required"),
    ],
)
def test_request_validation(kw, message):
    with pytest.raises(InvalidOrder, match=message):
        _request(**kw).validate()


def test_fills_average_price_and_idempotency():
    order = Order.from_request(_request(), ts_ms=1).with_status(OrderStatus.NEW, ts_ms=2)
    order = order.with_fill(_fill("t1", "0.5", "100"))
    assert order.status is OrderStatus.PARTIALLY_FILLED
    assert order.with_fill(_fill("t1", "0.5", "100")) is order  # repeated fill: no change
    order = order.with_fill(_fill("t2", "1.5", "104"))
    assert order.status is OrderStatus.FILLED
    assert order.filled_qty == D("2")
    assert order.avg_fill_price == D("103")
    with pytest.raises(ValueError, match="FILLED; cannot fill"):
        order.with_fill(_fill("t3", "0.1", "100"))


def test_overfill_is_refused():
    order = Order.from_request(_request(), ts_ms=1)
    with pytest.raises(ValueError, match="exceeds remaining"):
        order.with_fill(_fill("t1", "3", "100"))


@pytest.mark.parametrize(
    "old, new, ok",
    [
        (OrderStatus.PENDING_SUBMIT, OrderStatus.NEW, True),
        (OrderStatus.NEW, OrderStatus.CANCELLED, True),
        (OrderStatus.PARTIALLY_FILLED, OrderStatus.NEW, False),
        (OrderStatus.FILLED, OrderStatus.CANCELLED, False),
        (OrderStatus.CANCELLED, OrderStatus.CANCELLED, True),
        (OrderStatus.REJECTED, OrderStatus.NEW, False),
    ],
)
def test_state_machine(old, new, ok):
    assert can_transition(old, new) is ok


def test_position_math_add_reduce_flip():
    pos, realized = apply_fill(flat("a1", "X"), Side.BUY, D(2), D(100))
    assert (pos.quantity, pos.avg_price, realized) == (D(2), D(100), D(0))
    pos, realized = apply_fill(pos, Side.BUY, D(2), D(110))
    assert (pos.quantity, pos.avg_price, realized) == (D(4), D(105), D(0))
    pos, realized = apply_fill(pos, Side.SELL, D(1), D(120))
    assert (pos.quantity, pos.avg_price, realized) == (D(3), D(105), D(15))
    pos, realized = apply_fill(pos, Side.SELL, D(5), D(100))
    assert (pos.quantity, pos.avg_price, realized) == (D(-2), D(100), D(-15))
    assert pos.realized_pnl == D(0)
    pos, realized = apply_fill(pos, Side.BUY, D(2), D(90))
    assert (pos.quantity, pos.avg_price, realized) == (D(0), D(0), D(20))
