"""Order tracking helpers: merging what a venue reports into the journalled order, and preparing requests
(rounding to tick and lot, reference prices) before the journal."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any, TypeVar

from ..core.enums import OrderType, Side
from ..core.errors import InvalidOrder
from ..core.instrument import Instrument
from ..core.market_data import Quote
from ..core.money import ZERO, fmt
from ..core.orders import Order, OrderRequest, is_lost, revivable


V = TypeVar("V")


class ByAccount(dict[tuple[str, Any], V]):
    """A dict keyed by ``(account_id, x)`` that also indexes its entries by account: ``of(account_id)`` is a
    read-only view of one account's entries in O(1) (so per-account queries do not scan every account's).
    Supports item assignment, ``del``, ``pop`` and ``clear``; other mutators are refused."""

    def __init__(self) -> None:
        super().__init__()
        self._by: dict[str, dict[tuple[str, Any], V]] = {}

    def __setitem__(self, key: tuple[str, Any], value: V) -> None:
        super().__setitem__(key, value)
        self._by.setdefault(key[0], {})[key] = value

    def __delitem__(self, key: tuple[str, Any]) -> None:
        super().__delitem__(key)
        self._forget(key)

    def pop(self, key: tuple[str, Any], *default: Any) -> Any:
        if key in self:
            self._forget(key)
        return super().pop(key, *default)

    def clear(self) -> None:
        super().clear()
        self._by.clear()

    def _refused(self, *args: Any, **kw: Any) -> None:
        raise TypeError("ByAccount supports [key] = value, del, pop and clear only")

    update = setdefault = popitem = _refused  # type: ignore[assignment]

    def of(self, account_id: str) -> dict[tuple[str, Any], V]:
        """The entries of ``account_id`` (do not mutate the returned dict)."""
        return self._by.get(account_id, {})

    def _forget(self, key: tuple[str, Any]) -> None:
        entries = self._by.get(key[0])
        if entries is not None:
            entries.pop(key, None)
            if not entries:
                del self._by[key[0]]


def merge_order(current: Order | None, reported: Order) -> tuple[Order, bool]:
    """Merge a venue report into the tracked order. Returns ``(order, changed)``.

    The venue is the truth for status, filled quantity, average fill price, venue order id, trigger state and
    reject reason; the journal keeps what only we know (signal id, group name, created time, request fields).
    A stale report (a status the state machine cannot reach from the current one, or less filled than
    already known) is ignored: ``(current, False)``. An identical report is ``(current, False)`` too.
    An order reconciliation declared lost (``is_lost``) takes the venue's report after all (``revivable``).
    """
    if current is None:
        return reported, True
    same = (
        reported.status == current.status
        and reported.filled_qty == current.filled_qty
        and reported.triggered == current.triggered
        and (not reported.venue_order_id or reported.venue_order_id == current.venue_order_id)
        and (not reported.reject_reason or reported.reject_reason == current.reject_reason)
    )
    if same:
        return current, False
    if not revivable(current, reported.status) or reported.filled_qty < current.filled_qty:
        return current, False
    fill_ids = current.fill_ids + tuple(t for t in reported.fill_ids if t not in current.fill_ids)
    merged = replace(
        current,
        status=reported.status,
        filled_qty=reported.filled_qty,
        avg_fill_price=reported.avg_fill_price if reported.filled_qty else current.avg_fill_price,
        venue_order_id=reported.venue_order_id or current.venue_order_id,
        reject_reason=reported.reject_reason or ("" if is_lost(current) else current.reject_reason),
        updated_ms=max(current.updated_ms, reported.updated_ms),
        triggered=current.triggered or reported.triggered,
        fill_ids=fill_ids,
    )
    return merged, True


def round_request(request: OrderRequest, instrument: Instrument) -> OrderRequest:
    """Round prices to the tick that applies at them (half up; tick ladders by price band) and the quantity DOWN
    to the lot; check the instrument's minimum and maximum quantity.

    Raises ``InvalidOrder`` when the quantity rounds to 0, is below ``min_qty`` or above ``max_qty``, or a
    price rounds to 0.
    The minimum notional is checked by ``check_min_notional`` (it needs a reference price).
    """
    qty = instrument.round_qty(request.quantity)
    if qty <= 0:
        raise InvalidOrder(
            f"quantity {fmt(request.quantity)} rounds down to 0 at the lot size {fmt(instrument.lot_size)} of {instrument.symbol}"
        )
    if qty < instrument.min_qty:
        raise InvalidOrder(f"quantity {fmt(qty)} is below the minimum {fmt(instrument.min_qty)} of {instrument.symbol}")
    if instrument.max_qty > 0 and qty > instrument.max_qty:
        raise InvalidOrder(f"quantity {fmt(qty)} is above the maximum {fmt(instrument.max_qty)} of one "
                           f"{instrument.symbol} order on {instrument.venue}")
    price = instrument.round_price(request.price) if request.price is not None else None
    stop = instrument.round_price(request.stop_price) if request.stop_price is not None else None
    for label, value in (("price", price), ("stop price", stop)):
        if value is not None and value <= 0:
            raise InvalidOrder(f"{label} rounds to 0 at the tick size {fmt(instrument.tick_size)} of {instrument.symbol}")
    return replace(request, quantity=qty, price=price, stop_price=stop)


def reference_price(request: OrderRequest, quote: Quote | None) -> Decimal:
    """The price an order is expected to trade at (quote currency): its limit for LIMIT/STOP_LIMIT, its stop for
    STOP_MARKET, the ask (buy) / bid (sell) of ``quote`` for MARKET (the last price if the side is 0); 0 if unknown."""
    if request.order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        return request.price or ZERO
    if request.order_type is OrderType.STOP_MARKET:
        return request.stop_price or ZERO
    if quote is None:
        return ZERO
    side_price = quote.ask if request.side is Side.BUY else quote.bid
    return side_price if side_price > 0 else (quote.last if quote.last > 0 else ZERO)


def check_min_notional(request: OrderRequest, instrument: Instrument, ref_price: Decimal) -> None:
    """Raise ``InvalidOrder`` if quantity x reference price x contract multiplier is below the instrument's
    minimum notional (skipped when the reference price is unknown, i.e. 0)."""
    if instrument.min_notional > 0 and ref_price > 0:
        notional = request.quantity * ref_price * instrument.multiplier
        if notional < instrument.min_notional:
            raise InvalidOrder(
                f"notional {fmt(notional)} is below the minimum {fmt(instrument.min_notional)} {instrument.quote} of {instrument.symbol}"
            )
