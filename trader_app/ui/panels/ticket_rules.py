"""The order ticket's rules, without widgets: what a ticket's fields must hold and what they become.

- One account: ``validate_ticket`` -> an ``OrderRequest`` (quantity > 0; a price for LIMIT/STOP_LIMIT; a stop
  price for STOP_MARKET/STOP_LIMIT) sent through ``OrderManager.submit``.
- A strategy group (target ``group:<name>``): ``validate_group_ticket`` -> a manual ``Signal`` with one order
  sized by ``qty_per`` as the webhook defines it (issue 3): positive = percent of the group's allocated capital
  on each account (equity x weight x leverage) for SPOT/FUTURES groups, shares for STOCK groups; negative =
  close that percent of each account's position (-100 closes it). It runs through ``Executor.execute``:
  concurrent fan-out, each account's order risk-checked and journalled by ``OrderManager.submit``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from ...core.enums import OrderStatus, OrderType, Side, SignalSource, TimeInForce
from ...core.ids import new_client_order_id, new_id, now_ms
from ...core.money import fmt
from ...core.orders import Order, OrderRequest
from ...execution.signal import Signal, SignalOrder, SignalOrderType
from ..models.format import Formats



class TicketError(ValueError):
    """A ticket field is missing or wrong; the message is shown to the trader as is."""


@dataclass(frozen=True)
class TicketFields:
    """What the ticket's widgets hold, as text (what the trader typed)."""

    account_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: str
    price: str = ""
    stop_price: str = ""
    time_in_force: TimeInForce = TimeInForce.GTC


def _parse(text: str, label: str) -> Decimal | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise TicketError(f"{label} must be a number, got {text!r}") from None
    if not value.is_finite():
        raise TicketError(f"{label} must be a number, got {text!r}")
    return value


def validate_ticket(fields: TicketFields, client_order_id: str | None = None) -> OrderRequest:
    """Turn ticket fields into an ``OrderRequest`` or raise ``TicketError`` with the first problem.

    Rules: an account and a symbol are chosen; quantity > 0; LIMIT and STOP_LIMIT need a price > 0;
    STOP_MARKET and STOP_LIMIT need a stop price > 0. A price typed for a type that takes none is ignored.
    """
    if not fields.account_id:
        raise TicketError("Choose an account")
    symbol = fields.symbol.strip()
    if not symbol:
        raise TicketError("Choose a symbol")
    qty = _parse(fields.quantity, "Quantity")
    if qty is None:
        raise TicketError("Quantity is required")
    if qty <= 0:
        raise TicketError("Quantity must be greater than 0")
    price = stop = None
    if fields.order_type.needs_price:
        price = _parse(fields.price, "Price")
        if price is None:
            raise TicketError(f"Price is required for {fields.order_type.value} orders")
        if price <= 0:
            raise TicketError("Price must be greater than 0")
    if fields.order_type.needs_stop_price:
        stop = _parse(fields.stop_price, "Stop price")
        if stop is None:
            raise TicketError(f"Stop price is required for {fields.order_type.value} orders")
        if stop <= 0:
            raise TicketError("Stop price must be greater than 0")
    return OrderRequest(
        account_id=fields.account_id,
        symbol=symbol,
        side=fields.side,
        order_type=fields.order_type,
        quantity=qty,
        client_order_id=client_order_id or new_client_order_id(),
        price=price,
        stop_price=stop,
        time_in_force=fields.time_in_force,
    )


def by_amount(request: OrderRequest, ask: Decimal | None, quote: str) -> OrderRequest:
    """A MARKET BUY for a venue that buys at market by the amount to spend only (the KRW exchanges): the ticket's
    quantity at the ask shown becomes that amount (``quote_amount``, in ``quote``; whole units for KRW and JPY,
    rounded down so it never spends more), the quantity stays as the estimate. Other orders come back unchanged.
    Raises ``TicketError`` when there is no ask to turn the quantity into an amount."""
    if request.order_type is not OrderType.MARKET or request.side is not Side.BUY:
        return request
    if ask is None or ask <= 0:
        raise TicketError(f"No ask price for {request.symbol} yet: this venue buys at market by an amount, "
                          "which the ticket works out from the quantity at the ask")
    unit = Decimal(1) if quote in ("KRW", "JPY") else Decimal("0.00000001")
    amount = (request.quantity * ask).quantize(unit, rounding=ROUND_DOWN)
    return replace(request, quote_amount=amount)


def describe(order: Order, formats: Formats | None = None) -> str:
    """One line for the trader: ``FILLED BUY 0.5 BTC/USDT @ 65,000.00`` or ``REJECTED ...: reason``."""
    f = formats or Formats()
    head = f"{order.status.value} {order.side.value} {f.qty(order.symbol, order.quantity)} {order.symbol}"
    if order.status is OrderStatus.REJECTED:
        return f"{head}: {order.reject_reason}"
    if order.avg_fill_price is not None and order.filled_qty:
        head += f" @ {f.price(order.symbol, order.avg_fill_price)}"
        if order.status is OrderStatus.PARTIALLY_FILLED:
            head += f" ({f.qty(order.symbol, order.filled_qty)} filled)"
    elif order.order_type is not OrderType.MARKET:
        limit = order.price if order.price is not None else order.stop_price
        head += f" {order.order_type.value} {f.price(order.symbol, limit)}"
    return head


GROUP_PREFIX = "group:"


def group_of(target: str) -> str | None:
    """The group name of a ticket target ``group:<name>``; None for an account id."""
    return target[len(GROUP_PREFIX):] if target.startswith(GROUP_PREFIX) else None


def validate_group_ticket(fields: TicketFields, signal_id: str | None = None, ts_ms: int | None = None) -> Signal:
    """A group ticket as a manual ``Signal`` or ``TicketError`` with the first problem: a symbol; qty_per a
    number other than 0 (percent); LIMIT/STOP_LIMIT need a price > 0, STOP_* a stop price > 0."""
    group = group_of(fields.account_id)
    if not group:
        raise TicketError("Choose a strategy group")
    symbol = fields.symbol.strip()
    if not symbol:
        raise TicketError("Choose a symbol")
    qty_per = _parse(fields.quantity, "qty_per")
    if qty_per is None:
        raise TicketError("qty_per is required (percent of the allocation; negative closes)")
    if qty_per == 0:
        raise TicketError("qty_per must not be 0")
    price = stop = None
    if fields.order_type.needs_price:
        price = _parse(fields.price, "Price")
        if price is None or price <= 0:
            raise TicketError(f"Price is required for {fields.order_type.value} orders" if price is None
                              else "Price must be greater than 0")
    if fields.order_type.needs_stop_price:
        stop = _parse(fields.stop_price, "Stop price")
        if stop is None or stop <= 0:
            raise TicketError(f"Stop price is required for {fields.order_type.value} orders" if stop is None
                              else "Stop price must be greater than 0")
    order = SignalOrder(symbol, SignalOrderType(fields.order_type.value), fields.side, qty_per, price, stop)
    payload: dict[str, Any] = {"group_name": group, "symbol": symbol, "order_type": fields.order_type.value,
                               "side": fields.side.value.lower(), "qty_per": format(qty_per, "f")}
    if price is not None:
        payload["price"] = format(price, "f")
    if stop is not None:
        payload["stop_price"] = format(stop, "f")
    return Signal(signal_id or new_id("sig"), group, (order,), SignalSource.MANUAL, ts_ms or now_ms(), payload)


def describe_outcome(outcome: Any, names: dict[str, str]) -> tuple[str, bool]:
    """One line per account (``Paper 1: FILLED``, ``Paper 2: REJECTED (reason)``) and whether all went through
    (no REJECTED/ERROR/FAILED result)."""
    results = list(getattr(outcome, "results", []))
    if not results:
        return "no linked account took the signal", False
    lines, ok = [], True
    for r in results:
        name = names.get(r.account_id, r.account_id)
        line = f"{name}: {r.status}"
        if r.quantity is not None:
            line += f" {fmt(r.quantity)}"
        if r.error:
            line += f" ({r.error})"
            ok = False
        if str(r.status).upper() in ("REJECTED", "ERROR", "FAILED", "TIMEOUT"):
            ok = False
        lines.append(line)
    return "\n".join(lines), ok
