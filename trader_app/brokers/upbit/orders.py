"""Upbit orders on the wire (docs.upbit.com "주문하기" ``POST /v1/orders``, "개별 주문 조회" ``GET /v1/order``, the
private stream's ``myOrder``).

- ``order_params``: ``market``, ``side`` (``bid`` buy / ``ask`` sell), ``identifier`` (our client order id, never
  reused) and by order type: LIMIT ``ord_type=limit`` with ``volume`` and ``price`` on the price band's tick
  (``time_in_force`` ``ioc``/``fok`` when asked); a MARKET BUY by the amount to spend ``ord_type=price`` with
  ``price`` = the amount (``OrderRequest.quote_amount``: Upbit buys at market by amount only); a MARKET SELL
  ``ord_type=market`` with ``volume``. Below the market's minimum order total: refused before sending.
- ``order_from``: an order object (``uuid, identifier, side, ord_type, price, state, market, created_at, volume,
  remaining_volume, executed_volume, paid_fee, trades_count, trades[...]``) as our ``Order``; a market buy by amount
  has no volume: its quantity is what it bought (the request's estimate until it ends).
- ``fills_from``: the ``trades`` of a single-order answer as fills (the order's ``paid_fee`` shared out by volume,
  in the quote currency); ``stream_fill``: one ``myOrder`` event of state ``trade``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from ...core.enums import OrderStatus, OrderType, Side, TimeInForce
from ...core.errors import InvalidOrder
from ...core.instrument import Instrument
from ...core.money import fmt
from ...core.orders import Fill, Order, OrderRequest
from ..live.amounts import checked_quote_amount
from ..live.numbers import wire_amount
from .codes import order_status
from .profile import PROFILE

_SIDE = {Side.BUY: "bid", Side.SELL: "ask"}
_SIDE_BACK = {"bid": Side.BUY, "ask": Side.SELL, "BID": Side.BUY, "ASK": Side.SELL}
_TIF = {TimeInForce.IOC: "ioc", TimeInForce.FOK: "fok"}
ZERO = Decimal(0)


def ms_of(stamp: Any) -> int:
    """Epoch ms of an ISO-8601 time with its zone (``2024-06-13T10:26:21+09:00``) or of a number of ms; 0 if none."""
    if isinstance(stamp, (int, float)):
        return int(stamp)
    if not stamp:
        return 0
    try:
        return int(datetime.fromisoformat(str(stamp)).timestamp() * 1000)
    except ValueError:
        return 0


def amount_on_wire(amount: Decimal, quote: str) -> str:
    """An amount to spend as Upbit takes it: whole won for KRW, 8 decimals otherwise (rounded down: never more)."""
    unit = Decimal(1) if quote == "KRW" else Decimal("0.00000001")
    return fmt(amount.quantize(unit, rounding=ROUND_DOWN))


def order_params(request: OrderRequest, inst: Instrument) -> dict[str, Any]:
    """The ``POST /v1/orders`` body of ``request`` on ``inst`` (see the module docstring). Raises InvalidOrder
    (nothing sent): an order type Upbit lacks, a market buy without an amount, a quantity below the lot, a total
    below the market's minimum, a client order id Upbit cannot take."""
    PROFILE.client_ids.check(inst.venue, request.client_order_id)
    p: dict[str, Any] = {"market": inst.wire_symbol, "side": _SIDE[request.side]}
    if request.order_type is OrderType.MARKET and request.side is Side.BUY:
        if request.quote_amount is None:
            raise InvalidOrder(f"{inst.venue} buys at market by the amount to spend only: give quote_amount")
        amount = checked_quote_amount(request, inst, spot=True)
        p.update(ord_type="price", price=amount_on_wire(amount, inst.quote))
    else:
        qty = inst.round_qty(request.quantity)
        if qty <= 0:
            raise InvalidOrder(f"{request.symbol}: quantity {fmt(request.quantity)} is below the lot "
                               f"{fmt(inst.lot_size)} on {inst.venue}")
        if request.order_type is OrderType.MARKET:
            p.update(ord_type="market", volume=fmt(qty))
        elif request.order_type is OrderType.LIMIT:
            price = inst.round_price(request.price)  # type: ignore[arg-type]
            if inst.min_notional and qty * price < inst.min_notional:
                raise InvalidOrder(f"{request.symbol}: {fmt(qty * price)} {inst.quote} is below the minimum order "
                                   f"total {fmt(inst.min_notional)} on {inst.venue}")
            p.update(ord_type="limit", volume=fmt(qty), price=fmt(price))
            if request.time_in_force in _TIF:
                p["time_in_force"] = _TIF[request.time_in_force]
        else:
            raise InvalidOrder(f"{inst.venue} takes market and limit orders only, not {request.order_type.value}")
    p["identifier"] = request.client_order_id
    return p


def order_from(d: dict[str, Any], account_id: str, symbol: str, request: OrderRequest | None = None) -> Order:
    """Our ``Order`` of an Upbit order object (REST, or the REST-named fields of a ``myOrder`` event)."""
    ord_type = str(d.get("ord_type") or d.get("order_type") or "limit")
    executed = wire_amount(d.get("executed_volume")) or ZERO
    volume = wire_amount(d.get("volume"))
    status = order_status(str(d.get("state", "wait")), executed, ord_type)
    if volume is None or ord_type == "price":  # bought by amount: the base is what it bought
        volume = executed if (status.is_final or request is None) else max(request.quantity, executed)
    kind = OrderType.LIMIT if ord_type in ("limit", "best") else OrderType.MARKET
    funds = wire_amount(d.get("executed_funds"))
    avg = wire_amount(d.get("avg_price")) or ((funds / executed) if funds and executed > 0 else None)
    if avg is None and executed > 0 and d.get("trades"):
        trades = d["trades"]
        avg = sum(Decimal(str(t["funds"])) for t in trades) / sum(Decimal(str(t["volume"])) for t in trades)
    created = ms_of(d.get("created_at")) or ms_of(d.get("timestamp"))
    tif = str(d.get("time_in_force") or "").lower()
    return Order(account_id=account_id,
                 client_order_id=str(d.get("identifier") or (request.client_order_id if request else "")
                                     or d.get("uuid", "")),
                 symbol=symbol, side=_SIDE_BACK.get(str(d.get("side") or d.get("ask_bid")), Side.BUY),
                 order_type=kind, quantity=volume,
                 price=wire_amount(d.get("price")) if kind is OrderType.LIMIT else None, stop_price=None,
                 time_in_force={"ioc": TimeInForce.IOC, "fok": TimeInForce.FOK}.get(tif, TimeInForce.GTC),
                 status=status, created_ms=created, updated_ms=ms_of(d.get("timestamp")) or created,
                 venue_order_id=str(d.get("uuid", "")), filled_qty=executed,
                 avg_fill_price=avg if executed > 0 else None,
                 signal_id=request.signal_id if request else None,
                 group_name=request.group_name if request else None)


def fills_from(d: dict[str, Any], account_id: str, symbol: str, client_order_id: str, quote: str) -> list[Fill]:
    """The fills of a single-order answer's ``trades`` (oldest first); the order's ``paid_fee`` (quote currency) is
    shared out by volume."""
    trades = list(d.get("trades") or ())
    executed = sum((Decimal(str(t.get("volume") or "0")) for t in trades), ZERO)
    fee = wire_amount(d.get("paid_fee")) or ZERO
    out = []
    for t in trades:
        qty = Decimal(str(t.get("volume") or "0"))
        out.append(Fill(trade_id=str(t.get("uuid")), account_id=account_id, client_order_id=client_order_id,
                        symbol=symbol, side=_SIDE_BACK.get(str(t.get("side") or d.get("side")), Side.BUY),
                        quantity=qty, price=Decimal(str(t.get("price"))),
                        commission=(fee * qty / executed) if executed > 0 else ZERO, commission_asset=quote,
                        ts_ms=ms_of(t.get("created_at")), venue_order_id=str(d.get("uuid", ""))))
    out.sort(key=lambda f: (f.ts_ms, f.trade_id))
    return out


def stream_fill(e: dict[str, Any], account_id: str, symbol: str, client_order_id: str, quote: str) -> Fill:
    """A ``myOrder`` event of state ``trade``: ``trade_uuid``, ``price`` (the fill's), ``volume`` is the order's, the
    fill's own volume is the change of ``executed_volume`` the caller knows; here the event's ``trade_volume`` when
    given, else ``volume - remaining_volume`` less what was known is for the caller (see ``private.py``)."""
    qty = Decimal(str(e.get("trade_volume") or e.get("executed_volume") or "0"))
    return Fill(trade_id=str(e.get("trade_uuid")), account_id=account_id, client_order_id=client_order_id,
                symbol=symbol, side=_SIDE_BACK.get(str(e.get("ask_bid") or e.get("side")), Side.BUY),
                quantity=qty, price=Decimal(str(e.get("price"))),
                commission=wire_amount(e.get("trade_fee")) or ZERO, commission_asset=quote,
                ts_ms=ms_of(e.get("trade_timestamp") or e.get("timestamp")), venue_order_id=str(e.get("uuid", "")))
