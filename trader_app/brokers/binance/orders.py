"""Orders and fills between the contract's shapes and Binance's JSON.

New order parameters (spot ``POST /api/v3/order``, https://developers.binance.com/docs/binance-spot-api-docs/rest-api/trading-endpoints;
USD-M ``POST /fapi/v1/order``, .../usds-margined-futures/trade/rest-api/New-Order): ``symbol, side, type,
quantity, price, stopPrice, timeInForce, newClientOrderId``; futures add ``reduceOnly``; spot asks for
``newOrderRespType=FULL`` (the answer carries the fills). Prices are rounded to the tick (half up, the price
band's tick) and quantities down to the lot before sending; what rounds to zero or below the minimums is
refused here, before anything is sent.

Order JSON (spot order/openOrders answers, ``samples/binance_rest_order_full.json``; futures adds ``avgPrice``,
``cumQuote``, ``reduceOnly``, ``updateTime``): ``orderId, clientOrderId, price, origQty, executedQty,
cummulativeQuoteQty, status, timeInForce, type, side, stopPrice, time|transactTime|updateTime``.
Spot trades (``GET /api/v3/myTrades``): ``id, orderId, price, qty, commission, commissionAsset, time,
isBuyer``; futures (``GET /fapi/v1/userTrades``): ``id, orderId, price, qty, commission, commissionAsset,
time, side``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...core.enums import OrderType, Side, TimeInForce
from ...core.errors import InvalidOrder
from ...core.ids import now_ms
from ...core.instrument import Instrument
from ...core.money import fmt
from ...core.orders import Fill, Order, OrderRequest
from ..live.numbers import wire_amount
from .codes import ORDER_TYPE, ORDER_TYPE_BACK, order_status
from ..live.amounts import checked_quote_amount
from .profile import PROFILE
from .urls import SPOT


def order_params(request: OrderRequest, inst: Instrument, market: str) -> dict[str, str]:
    """The new-order parameters of ``request`` on ``inst`` (see the module docstring). Raises InvalidOrder
    (nothing sent) when the quantity rounds to 0 or is below ``min_qty``/above ``max_qty``."""
    PROFILE.client_ids.check(inst.venue, request.client_order_id)
    if request.quote_amount is not None:
        return _quote_amount_params(request, inst, market)
    qty = inst.round_qty(request.quantity)
    if qty <= 0 or qty < inst.min_qty:
        raise InvalidOrder(f"{request.symbol}: quantity {fmt(request.quantity)} is below the lot or minimum "
                           f"({fmt(max(inst.lot_size, inst.min_qty))}) on {inst.venue}")
    if inst.max_qty and qty > inst.max_qty:
        raise InvalidOrder(f"{request.symbol}: quantity {fmt(qty)} is above the maximum {fmt(inst.max_qty)}")
    p: dict[str, str] = {"symbol": inst.wire_symbol, "side": request.side.value,
                         "type": ORDER_TYPE[market][request.order_type], "quantity": fmt(qty),
                         "newClientOrderId": request.client_order_id}
    if request.order_type.needs_price:
        p["price"] = fmt(inst.round_price(request.price))  # type: ignore[arg-type]
        p["timeInForce"] = request.time_in_force.value
    if request.order_type.needs_stop_price:
        p["stopPrice"] = fmt(inst.round_price(request.stop_price))  # type: ignore[arg-type]
    if market == SPOT:
        p["newOrderRespType"] = "FULL"
    else:
        if request.reduce_only:
            p["reduceOnly"] = "true"
        p["newOrderRespType"] = "RESULT"
    return p


def _quote_amount_params(request: OrderRequest, inst: Instrument, market: str) -> dict[str, str]:
    """A spot MARKET BUY by the amount to spend: ``quoteOrderQty`` (the venue buys what it pays for; spot API
    "New order", ``quoteOrderQty``). Raises InvalidOrder on futures (no such parameter) or below the minimum
    notional (``live.amounts``)."""
    amount = checked_quote_amount(request, inst, spot=market == SPOT)
    return {"symbol": inst.wire_symbol, "side": request.side.value, "type": "MARKET", "quoteOrderQty": fmt(amount),
            "newClientOrderId": request.client_order_id, "newOrderRespType": "FULL"}


def order_from(d: dict[str, Any], account_id: str, symbol: str, request: OrderRequest | None = None) -> Order:
    """An ``Order`` from Binance's order JSON (either market). ``symbol`` is the app's name."""
    ts = int(d.get("updateTime") or d.get("transactTime") or d.get("time") or now_ms())
    created = int(d.get("time") or d.get("transactTime") or ts)
    executed = Decimal(str(d.get("executedQty", "0")))
    quote = Decimal(str(d.get("cummulativeQuoteQty") or d.get("cumQuote") or "0"))
    avg = wire_amount(d.get("avgPrice")) or ((quote / executed) if executed > 0 and quote > 0 else None)
    tif = d.get("timeInForce", "GTC")
    return Order(
        account_id=account_id,
        client_order_id=str(d.get("clientOrderId") or (request.client_order_id if request else "")),
        symbol=symbol,
        side=Side(d["side"]),
        order_type=ORDER_TYPE_BACK.get(str(d.get("type") or d.get("origType")), OrderType.LIMIT),
        quantity=Decimal(str(d["origQty"])),
        price=wire_amount(d.get("price")),
        stop_price=wire_amount(d.get("stopPrice")),
        time_in_force=TimeInForce(tif) if tif in ("GTC", "IOC", "FOK") else TimeInForce.GTC,
        status=order_status(str(d["status"])),
        created_ms=created,
        updated_ms=ts,
        venue_order_id=str(d.get("orderId", "")),
        filled_qty=executed,
        avg_fill_price=avg,
        reduce_only=bool(d.get("reduceOnly", False)),
        signal_id=request.signal_id if request else None,
        group_name=request.group_name if request else None,
    )


def fills_of_full_answer(d: dict[str, Any], account_id: str, symbol: str) -> list[Fill]:
    """The ``fills`` of a spot FULL new-order answer (``{price, qty, commission, commissionAsset, tradeId}``)."""
    ts = int(d.get("transactTime") or now_ms())
    side = Side(d["side"])
    return [Fill(str(f["tradeId"]), account_id, str(d["clientOrderId"]), symbol, side, Decimal(str(f["price"])),
                 Decimal(str(f["qty"])), Decimal(str(f.get("commission", "0"))), str(f.get("commissionAsset", "")),
                 ts, str(d.get("orderId", ""))) for f in d.get("fills", ())]


def fill_from_trade(t: dict[str, Any], account_id: str, symbol: str, client_order_id: str) -> Fill:
    """A ``Fill`` from a myTrades/userTrades row (``client_order_id`` looked up from the order by the caller)."""
    side = Side(t["side"]) if "side" in t else (Side.BUY if t.get("isBuyer") else Side.SELL)
    return Fill(str(t["id"]), account_id, client_order_id, symbol, side, Decimal(str(t["price"])),
                Decimal(str(t["qty"])), Decimal(str(t.get("commission", "0"))), str(t.get("commissionAsset", "")),
                int(t["time"]), str(t.get("orderId", "")))


