"""Orders and fills, with the order state machine.

Modelled on hummingbot's ``InFlightOrder``: an explicit set of allowed status transitions, and fills keyed
by ``trade_id`` so that a repeated fill report changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from .enums import OrderStatus, OrderType, Side, TimeInForce
from .errors import InvalidOrder
from .money import ZERO


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What the caller asks a venue to do. Prices/quantities in Decimal; ``price`` for LIMIT/STOP_LIMIT,
    ``stop_price`` for STOP_*; ``client_order_id`` is chosen by us and journalled before sending.

    ``signal_id`` links the order to the signal (webhook, strategy, manual) that produced it.

    ``quote_amount``: a MARKET BUY sized by what it spends (Decimal, quote currency: USDT, KRW) rather than by a
    base quantity: the venue buys as much as the amount pays for (each venue's adapter
    says how it sends one). ``quantity`` is then the estimate at the sizing price
    (base units), which the risk rules and the journal read; the fills say what was bought.
    """

    account_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    client_order_id: str
    price: Decimal | None = None
    stop_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.GTC
    reduce_only: bool = False
    signal_id: str | None = None
    group_name: str | None = None
    quote_amount: Decimal | None = None

    def validate(self) -> None:
        """Raise ``InvalidOrder`` for a request no venue could accept (quantity <= 0, missing prices, a quote
        amount on anything but a market buy)."""
        if self.quantity <= 0:
            raise InvalidOrder(f"quantity must be > 0, got {self.quantity}")
        if self.quote_amount is not None and (
                self.quote_amount <= 0 or self.order_type is not OrderType.MARKET or self.side is not Side.BUY):
            raise InvalidOrder(f"a quote amount sizes a MARKET BUY only, by an amount > 0 "
                               f"(got {self.order_type.value} {self.side.value} {self.quote_amount})")
        if self.order_type.needs_price and (self.price is None or self.price <= 0):
            raise InvalidOrder(f"{self.order_type.value} needs a price > 0")
        if self.order_type.needs_stop_price and (self.stop_price is None or self.stop_price <= 0):
            raise InvalidOrder(f"{self.order_type.value} needs a stop price > 0")
        if not self.client_order_id:
            raise InvalidOrder("client order id is required")


# Allowed transitions. Staying in the same state is always allowed (idempotent updates).
_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING_SUBMIT: frozenset(
        {
            OrderStatus.UNKNOWN,
            OrderStatus.NEW,
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.FILLED,
            OrderStatus.CANCELLED,
            OrderStatus.REJECTED,
            OrderStatus.EXPIRED,
        }
    ),
    # sent, answer lost: whatever the venue says next is the truth
    OrderStatus.UNKNOWN: frozenset(
        {
            OrderStatus.NEW,
            OrderStatus.PARTIALLY_FILLED,
            OrderStatus.FILLED,
            OrderStatus.CANCELLED,
            OrderStatus.REJECTED,
            OrderStatus.EXPIRED,
        }
    ),
    OrderStatus.NEW: frozenset(
        {OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.EXPIRED, OrderStatus.REJECTED}
    ),
    OrderStatus.PARTIALLY_FILLED: frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.EXPIRED}),
    OrderStatus.FILLED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REJECTED: frozenset(),
    OrderStatus.EXPIRED: frozenset(),
}


def can_transition(old: OrderStatus, new: OrderStatus) -> bool:
    """True if an order may go from ``old`` to ``new`` (or ``old == new``)."""
    return old == new or new in _TRANSITIONS[old]


NOT_FOUND_REASON = "not found at the venue"
"""Start of the ``reject_reason`` of an order that reconciliation declared REJECTED because the venue kept
answering "not found" over the whole grace window (``trading/reconcile.py``). Such an order was never
refused by the venue, so it is *lost*, not rejected: a later report of it from the venue (NEW, a fill) is
still applied (``is_lost``, ``revivable``), as hummingbot keeps lost orders able to fill."""

_REVIVE = frozenset({OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED, OrderStatus.CANCELLED,
                     OrderStatus.EXPIRED})


def is_lost(order: "Order") -> bool:
    """True for an order reconciliation declared REJECTED (never acknowledged) or EXPIRED (acknowledged once)
    after repeated "not found" answers from the venue."""
    return (order.status in (OrderStatus.REJECTED, OrderStatus.EXPIRED)
            and order.reject_reason.startswith(NOT_FOUND_REASON))


def revivable(order: "Order", new: OrderStatus) -> bool:
    """True if a venue report of status ``new`` may still move ``order``: the state machine allows it, or
    the order is lost (``is_lost``) and the venue now reports it working or done."""
    return can_transition(order.status, new) or (is_lost(order) and new in _REVIVE)


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution. ``trade_id`` is unique per venue+account; ``commission`` in ``commission_asset``.

    ``price`` and ``quantity`` are Decimal; ``ts_ms`` epoch ms UTC.
    """

    trade_id: str
    account_id: str
    client_order_id: str
    symbol: str
    side: Side
    price: Decimal
    quantity: Decimal
    commission: Decimal
    commission_asset: str
    ts_ms: int
    venue_order_id: str = ""

    @property
    def notional(self) -> Decimal:
        return self.price * self.quantity


@dataclass(frozen=True, slots=True)
class Order:
    """An order as we track it. Immutable: every change returns a new ``Order``.

    ``filled_qty`` and ``avg_fill_price`` are derived from fills; ``fill_ids`` makes fills idempotent.
    Times are epoch ms UTC. ``quote_amount``: a market buy by the amount to spend (``OrderRequest.quote_amount``):
    ``quantity`` is the estimate until the fills say what was bought.
    """

    account_id: str
    client_order_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    time_in_force: TimeInForce
    status: OrderStatus
    created_ms: int
    updated_ms: int
    venue_order_id: str = ""
    filled_qty: Decimal = ZERO
    avg_fill_price: Decimal | None = None
    reject_reason: str = ""
    reduce_only: bool = False
    signal_id: str | None = None
    group_name: str | None = None
    triggered: bool = False
    fill_ids: tuple[str, ...] = field(default=())
    quote_amount: Decimal | None = None

    @classmethod
    def from_request(cls, request: OrderRequest, ts_ms: int) -> "Order":
        """A new order in ``PENDING_SUBMIT`` for a request (what the journal saves before sending)."""
        return cls(
            account_id=request.account_id,
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            side=request.side,
            order_type=request.order_type,
            quantity=request.quantity,
            price=request.price,
            stop_price=request.stop_price,
            time_in_force=request.time_in_force,
            status=OrderStatus.PENDING_SUBMIT,
            created_ms=ts_ms,
            updated_ms=ts_ms,
            reduce_only=request.reduce_only,
            signal_id=request.signal_id,
            group_name=request.group_name,
            quote_amount=request.quote_amount,
        )

    @property
    def remaining_qty(self) -> Decimal:
        return self.quantity - self.filled_qty

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def with_status(self, status: OrderStatus, ts_ms: int, reason: str = "", venue_order_id: str = "") -> "Order":
        """Move to ``status``. Raises ``ValueError`` for a transition the state machine forbids."""
        if not can_transition(self.status, status):
            raise ValueError(f"order {self.client_order_id}: {self.status.value} -> {status.value} is not allowed")
        return replace(
            self,
            status=status,
            updated_ms=ts_ms,
            reject_reason=reason or self.reject_reason,
            venue_order_id=venue_order_id or self.venue_order_id,
        )

    def with_fill(self, fill: Fill) -> "Order":
        """Apply a fill: a fill whose ``trade_id`` was seen already returns ``self`` unchanged.

        Raises ``ValueError`` if the fill would exceed the order quantity or the order is final.
        """
        if fill.trade_id in self.fill_ids:
            return self
        if is_lost(self):  # the venue had it after all: a fill revives it
            self = replace(self, status=OrderStatus.NEW, reject_reason="")
        if self.status.is_final:
            raise ValueError(f"order {self.client_order_id} is {self.status.value}; cannot fill")
        filled = self.filled_qty + fill.quantity
        if filled > self.quantity:
            raise ValueError(f"order {self.client_order_id}: fill {fill.quantity} exceeds remaining {self.remaining_qty}")
        prev_notional = (self.avg_fill_price or ZERO) * self.filled_qty
        avg = (prev_notional + fill.price * fill.quantity) / filled
        status = OrderStatus.FILLED if filled == self.quantity else OrderStatus.PARTIALLY_FILLED
        return replace(
            self,
            filled_qty=filled,
            avg_fill_price=avg,
            status=status,
            updated_ms=fill.ts_ms,
            fill_ids=self.fill_ids + (fill.trade_id,),
            venue_order_id=fill.venue_order_id or self.venue_order_id,
        )
