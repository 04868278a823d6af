"""Bybit's order wire (https://bybit-exchange.github.io/docs/v5/order/create-order, .../order/open-order,
.../order/execution, .../position).

New order (``POST /v5/order/create``): ``category``, ``symbol``, ``side`` Buy/Sell, ``orderType`` Market/Limit,
``qty`` (base units; a spot market order names ``marketUnit`` baseCoin, since its default for a buy is the quote
amount), ``price`` and ``timeInForce`` for a limit, ``orderLinkId`` = our client order id (at most 36 characters),
``reduceOnly`` on linear; a stop order sends ``triggerPrice`` (linear with ``triggerDirection`` 1 rising to, 2
falling to it; spot with ``orderFilter`` StopOrder). The answer is only ``{orderId, orderLinkId}``: the order's
state comes from the private stream or ``GET /v5/order/realtime``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...core.enums import OrderStatus, OrderType, Side, TimeInForce
from ...core.errors import InvalidOrder
from ...core.instrument import Instrument
from ...core.money import fmt
from ...core.orders import Fill, Order, OrderRequest
from ...core.portfolio import Position
from ..live.numbers import wire_amount
from .codes import order_status, order_type
from ..live.amounts import checked_quote_amount
from .profile import PROFILE
from .urls import LINEAR, SPOT

_SIDE = {Side.BUY: "Buy", Side.SELL: "Sell"}
_SIDE_BACK = {"Buy": Side.BUY, "Sell": Side.SELL}


def category_of(inst: Instrument) -> str:
    return LINEAR if inst.symbol.endswith(f":{inst.quote}") else SPOT


def order_params(request: OrderRequest, inst: Instrument) -> dict[str, Any]:
    """The ``/v5/order/create`` body of ``request`` on ``inst`` (quantity and prices rounded to its lot and
    tick). Raises InvalidOrder (nothing sent) when the quantity rounds to 0, is below the minimum or the client
    order id does not fit Bybit's (``PROFILE.client_ids``)."""
    PROFILE.client_ids.check(inst.venue, request.client_order_id)
    category = category_of(inst)
    if request.quote_amount is not None:
        return _quote_amount_params(request, inst, category)
    qty = inst.round_qty(request.quantity)
    if qty <= 0 or qty < inst.min_qty:
        raise InvalidOrder(f"{request.symbol}: quantity {fmt(request.quantity)} is below the lot or minimum "
                           f"({fmt(max(inst.lot_size, inst.min_qty))}) on {inst.venue}")
    if inst.max_qty and qty > inst.max_qty:
        raise InvalidOrder(f"{request.symbol}: quantity {fmt(qty)} is above the maximum {fmt(inst.max_qty)}")
    market = request.order_type in (OrderType.MARKET, OrderType.STOP_MARKET)
    p: dict[str, Any] = {"category": category, "symbol": inst.wire_symbol, "side": _SIDE[request.side],
                         "orderType": "Market" if market else "Limit", "qty": fmt(qty),
                         "orderLinkId": request.client_order_id}
    if not market:
        p["price"] = fmt(inst.round_price(request.price))  # type: ignore[arg-type]
        p["timeInForce"] = request.time_in_force.value
    elif category == SPOT:
        p["marketUnit"] = "baseCoin"
    if request.order_type.needs_stop_price:
        p["triggerPrice"] = fmt(inst.round_price(request.stop_price))  # type: ignore[arg-type]
        if category == LINEAR:
            p["triggerDirection"] = 1 if request.side is Side.BUY else 2
        else:
            p["orderFilter"] = "StopOrder"
    if request.reduce_only and category == LINEAR:
        p["reduceOnly"] = True
    return p


def _quote_amount_params(request: OrderRequest, inst: Instrument, category: str) -> dict[str, Any]:
    """A spot MARKET BUY by the amount to spend: ``qty`` in the quote coin with ``marketUnit=quoteCoin``
    (https://bybit-exchange.github.io/docs/v5/order/create-order, ``marketUnit``). Raises InvalidOrder on linear
    contracts (a quantity only) or below the minimum order value."""
    amount = checked_quote_amount(request, inst, spot=category == SPOT)
    return {"category": category, "symbol": inst.wire_symbol, "side": "Buy", "orderType": "Market",
            "qty": fmt(amount), "marketUnit": "quoteCoin", "orderLinkId": request.client_order_id}


def order_from(d: dict[str, Any], account_id: str, symbol: str, request: OrderRequest | None = None,
               now_ms: int = 0) -> Order:
    """An ``Order`` from a Bybit order row (``/v5/order/realtime``, the ``order`` topic) or, with ``request``,
    from the create answer (``{orderId, orderLinkId}``: NEW at ``now_ms``, the request's fields)."""
    if "orderStatus" not in d and request is not None:
        return Order(account_id=account_id, client_order_id=request.client_order_id, symbol=symbol,
                     side=request.side, order_type=request.order_type, quantity=request.quantity,
                     price=request.price, stop_price=request.stop_price, time_in_force=request.time_in_force,
                     status=OrderStatus.NEW, created_ms=now_ms, updated_ms=now_ms,
                     venue_order_id=str(d.get("orderId", "")), reduce_only=request.reduce_only)
    stop = wire_amount(d.get("triggerPrice"))
    tif = d.get("timeInForce", "GTC")
    filled = Decimal(str(d.get("cumExecQty") or "0"))
    reason = d.get("rejectReason", "")
    quantity = Decimal(str(d.get("qty") or "0"))
    status = order_status(d.get("orderStatus", "New"))
    if d.get("marketUnit") == "quoteCoin":  # qty is the amount to spend: the base quantity is what was bought
        quantity = filled if status.is_final or request is None else max(request.quantity, filled)
    return Order(account_id=account_id, client_order_id=d.get("orderLinkId") or str(d.get("orderId", "")),
                 symbol=symbol, side=_SIDE_BACK.get(d.get("side", ""), Side.BUY),
                 order_type=order_type(d.get("orderType", "Limit"), stop is not None),
                 quantity=quantity, price=wire_amount(d.get("price")) if d.get("orderType") != "Market" else None,
                 stop_price=stop, time_in_force=TimeInForce(tif) if tif in ("GTC", "IOC", "FOK") else TimeInForce.GTC,
                 status=status, created_ms=int(d.get("createdTime") or 0),
                 updated_ms=int(d.get("updatedTime") or d.get("createdTime") or 0), venue_order_id=str(d.get("orderId", "")),
                 filled_qty=filled, avg_fill_price=wire_amount(d.get("avgPrice")) if filled > 0 else None,
                 reject_reason="" if reason in ("", "EC_NoError") else str(reason),
                 reduce_only=bool(d.get("reduceOnly", False)))


def fill_from(e: dict[str, Any], account_id: str, symbol: str) -> Fill:
    """A ``Fill`` from an execution row (``/v5/execution/list``, the ``execution`` topic)."""
    return Fill(str(e["execId"]), account_id, e.get("orderLinkId") or str(e.get("orderId", "")), symbol,
                _SIDE_BACK[e["side"]], Decimal(str(e["execPrice"])), Decimal(str(e["execQty"])),
                Decimal(str(e.get("execFee") or "0")), str(e.get("feeCurrency") or ""), int(e["execTime"]),
                str(e.get("orderId", "")))


def position_from(p: dict[str, Any], account_id: str, symbol: str) -> Position:
    """A ``Position`` from a ``/v5/position/list`` row or the ``position`` topic (one-way mode: ``side`` Buy
    long, Sell short, "" flat; ``size`` unsigned)."""
    size = Decimal(str(p.get("size") or "0"))
    signed = -size if p.get("side") == "Sell" else size
    mark = wire_amount(p.get("markPrice"))
    return Position(account_id, symbol, signed, Decimal(str(p.get("avgPrice") or p.get("entryPrice") or "0")),
                    last_price=mark, updated_ms=int(p.get("updatedTime") or 0))
