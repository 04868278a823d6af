"""The order wire the KRW exchanges share (the family of ``ticket_feed.py``): one venue designed it, the others'
newer APIs follow it with other key names, which each venue passes in (``Keys``).

- ``order_params``: ``market``, ``side`` (``bid`` buy / ``ask`` sell), the client order id and by order type: LIMIT
  ``limit`` with ``volume`` and ``price`` on the price band's tick (``time_in_force`` ``ioc``/``fok`` when asked); a
  MARKET BUY by the amount to spend ``price`` with ``price`` = the amount (``OrderRequest.quote_amount``: these
  venues buy at market by amount only); a MARKET SELL ``market`` with ``volume``. Below the market's minimum order
  total, an order type they lack, a client order id they cannot take: refused before sending.
- ``order_from``: an order object (``uuid`` or ``order_id``, the client order id, ``side``, ``ord_type`` or
  ``order_type``, ``price``, ``state``, ``market``, ``created_at``, ``volume``, ``remaining_volume``,
  ``executed_volume``, ``executed_funds``, ``trades[...]``) as our ``Order``; a market buy by amount has no volume:
  its quantity is what it bought (the request's estimate until it ends).
- ``fills_from``: the ``trades`` of a single-order answer (the order's ``paid_fee`` shared out by volume, in the
  quote currency).
- ``order_status``: ``wait``/``watch`` (resting, reserved) -> NEW or PARTIALLY_FILLED, ``done`` -> FILLED,
  ``cancel``/``prevented`` -> CANCELLED, except a market buy by amount that bought something and ended ``cancel``
  with a remainder of the amount returned: FILLED.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from ...core.enums import OrderStatus, OrderType, Side, TimeInForce
from ...core.errors import InvalidOrder
from ...core.instrument import Instrument
from ...core.money import fmt
from ...core.orders import Fill, Order, OrderRequest
from .amounts import checked_quote_amount
from .numbers import wire_amount
from .profile import ClientIdPolicy

_SIDE = {Side.BUY: "bid", Side.SELL: "ask"}
SIDE_BACK = {"bid": Side.BUY, "ask": Side.SELL, "BID": Side.BUY, "ASK": Side.SELL, "buy": Side.BUY,
             "sell": Side.SELL}
_TIF = {TimeInForce.IOC: "ioc", TimeInForce.FOK: "fok"}
ZERO = Decimal(0)


@dataclass(frozen=True)
class Keys:
    """A venue's names: ``order_type`` (``ord_type`` or ``order_type``) and ``client_id`` (``identifier`` or
    ``client_order_id``) in the order request and objects."""

    order_type: str
    client_id: str


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
    """An amount to spend as these venues take it: whole won for KRW, 8 decimals otherwise (rounded down)."""
    unit = Decimal(1) if quote == "KRW" else Decimal("0.00000001")
    return fmt(amount.quantize(unit, rounding=ROUND_DOWN))


def order_status(state: str, executed: Decimal, ord_type: str = "") -> OrderStatus:
    """Our status of an order ``state`` with ``executed`` volume filled (see the module docstring)."""
    if state in ("wait", "watch"):
        return OrderStatus.PARTIALLY_FILLED if executed > 0 else OrderStatus.NEW
    if state == "done":
        return OrderStatus.FILLED
    if state in ("cancel", "prevented"):
        return OrderStatus.FILLED if (ord_type == "price" and executed > 0) else OrderStatus.CANCELLED
    return OrderStatus.NEW  # "trade" and anything new: still working until the venue says more


def order_params(request: OrderRequest, inst: Instrument, keys: Keys, client_ids: ClientIdPolicy) -> dict[str, Any]:
    """The new-order body of ``request`` on ``inst`` (see the module docstring). Raises InvalidOrder (nothing
    sent)."""
    client_ids.check(inst.venue, request.client_order_id)
    p: dict[str, Any] = {"market": inst.wire_symbol, "side": _SIDE[request.side]}
    if request.order_type is OrderType.MARKET and request.side is Side.BUY:
        if request.quote_amount is None:
            raise InvalidOrder(f"{inst.venue} buys at market by the amount to spend only: give quote_amount")
        amount = checked_quote_amount(request, inst, spot=True)
        p.update({keys.order_type: "price", "price": amount_on_wire(amount, inst.quote)})
    else:
        qty = inst.round_qty(request.quantity)
        if qty <= 0:
            raise InvalidOrder(f"{request.symbol}: quantity {fmt(request.quantity)} is below the lot "
                               f"{fmt(inst.lot_size)} on {inst.venue}")
        if request.order_type is OrderType.MARKET:
            p.update({keys.order_type: "market", "volume": fmt(qty)})
        elif request.order_type is OrderType.LIMIT:
            price = inst.round_price(request.price)  # type: ignore[arg-type]
            if inst.min_notional and qty * price < inst.min_notional:
                raise InvalidOrder(f"{request.symbol}: {fmt(qty * price)} {inst.quote} is below the minimum order "
                                   f"total {fmt(inst.min_notional)} on {inst.venue}")
            p.update({keys.order_type: "limit", "volume": fmt(qty), "price": fmt(price)})
            if request.time_in_force in _TIF:
                p["time_in_force"] = _TIF[request.time_in_force]
        else:
            raise InvalidOrder(f"{inst.venue} takes market and limit orders only, not {request.order_type.value}")
    p[keys.client_id] = request.client_order_id
    return p


def order_from(d: dict[str, Any], account_id: str, symbol: str, request: OrderRequest | None = None, *,
               client_id: str = "identifier") -> Order:
    """Our ``Order`` of an order object (REST, or a stream event renamed to the REST names); ``client_id``: the
    venue's name of our client order id."""
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
    venue_id = str(d.get("uuid") or d.get("order_id") or "")
    return Order(account_id=account_id,
                 client_order_id=str(d.get(client_id) or (request.client_order_id if request else "") or venue_id),
                 symbol=symbol, side=SIDE_BACK.get(str(d.get("side") or d.get("ask_bid")), Side.BUY),
                 order_type=kind, quantity=volume,
                 price=wire_amount(d.get("price")) if kind is OrderType.LIMIT else None, stop_price=None,
                 time_in_force={"ioc": TimeInForce.IOC, "fok": TimeInForce.FOK}.get(tif, TimeInForce.GTC),
                 status=status, created_ms=created, updated_ms=ms_of(d.get("timestamp")) or created,
                 venue_order_id=venue_id, filled_qty=executed, avg_fill_price=avg if executed > 0 else None,
                 signal_id=request.signal_id if request else None,
                 group_name=request.group_name if request else None)


def fills_from(d: dict[str, Any], account_id: str, symbol: str, client_order_id: str, quote: str) -> list[Fill]:
    """The fills of a single-order answer's ``trades`` (oldest first); the order's ``paid_fee`` (quote currency) is
    shared out by volume."""
    trades = list(d.get("trades") or ())
    executed = sum((Decimal(str(t.get("volume") or "0")) for t in trades), ZERO)
    fee = wire_amount(d.get("paid_fee")) or ZERO
    venue_id = str(d.get("uuid") or d.get("order_id") or "")
    out = []
    for t in trades:
        qty = Decimal(str(t.get("volume") or "0"))
        out.append(Fill(trade_id=str(t.get("uuid") or t.get("trade_id")), account_id=account_id,
                        client_order_id=client_order_id, symbol=symbol,
                        side=SIDE_BACK.get(str(t.get("side") or d.get("side")), Side.BUY), quantity=qty,
                        price=Decimal(str(t.get("price"))),
                        commission=(fee * qty / executed) if executed > 0 else ZERO, commission_asset=quote,
                        ts_ms=ms_of(t.get("created_at")), venue_order_id=venue_id))
    out.sort(key=lambda f: (f.ts_ms, f.trade_id))
    return out


def stream_fill(trade_id: str, price: Any, quantity: Any, fee: Any, ts: Any, side: Any, venue_order_id: str,
                account_id: str, symbol: str, client_order_id: str, quote: str) -> Fill:
    """One fill reported on a private stream (the venue's fields already picked out)."""
    return Fill(trade_id=str(trade_id), account_id=account_id, client_order_id=client_order_id, symbol=symbol,
                side=SIDE_BACK.get(str(side), Side.BUY), quantity=Decimal(str(quantity)), price=Decimal(str(price)),
                commission=wire_amount(fee) or ZERO, commission_asset=quote, ts_ms=ms_of(ts),
                venue_order_id=venue_order_id)
