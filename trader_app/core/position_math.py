"""Net-position arithmetic shared by the paper broker, the trading layer and the backtester.

Average-price method: adding to a position moves the average price to the quantity-weighted mean of the
old average and the fill price; reducing keeps it and realizes (fill - avg) x closed qty x sign; a fill that
crosses zero closes the old position and opens the rest at the fill price.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from .enums import Side
from .money import ZERO
from .portfolio import Position


def apply_fill(position: Position, side: Side, quantity: Decimal, price: Decimal, ts_ms: int = 0) -> tuple[Position, Decimal]:
    """Return ``(new_position, realized_pnl_delta)`` after a fill of ``quantity`` (> 0) at ``price``.

    Realized PnL is in quote currency and excludes commission. Raises ``ValueError`` if quantity <= 0.
    """
    if quantity <= 0:
        raise ValueError(f"fill quantity must be > 0, got {quantity}")
    signed = quantity * side.sign
    old_qty = position.quantity
    new_qty = old_qty + signed
    realized = ZERO
    if old_qty == 0 or (old_qty > 0) == (signed > 0):
        # opening or adding: weighted average price
        avg = (position.avg_price * abs(old_qty) + price * quantity) / abs(new_qty)
    else:
        closed = min(abs(old_qty), quantity)
        direction = 1 if old_qty > 0 else -1
        realized = (price - position.avg_price) * closed * direction
        if new_qty == 0:
            avg = ZERO
        elif (new_qty > 0) == (old_qty > 0):
            avg = position.avg_price  # partial reduce keeps the entry price
        else:
            avg = price  # flipped: the remainder is a new position at the fill price
    new = replace(
        position,
        quantity=new_qty,
        avg_price=avg,
        realized_pnl=position.realized_pnl + realized,
        last_price=price if position.last_price is None else position.last_price,
        updated_ms=ts_ms or position.updated_ms,
    )
    return new, realized


def base_commission(symbol: str, commission: Decimal, commission_asset: str) -> Decimal:
    """The part of a fill's commission paid in the instrument's base asset (``BASE/QUOTE`` symbols): a spot
    venue that takes the fee from the bought coin (Binance: a BUY of 0.01 BTC with a 0.1 % fee leaves 0.00999
    BTC) holds that much less. 0 when the fee is in another asset."""
    base, sep, _quote = symbol.partition("/")
    return commission if sep and commission_asset == base and commission > 0 else ZERO


def pay_in_base(position: Position, fee: Decimal) -> Position:
    """``position`` with ``fee`` base units taken off what is held (see ``base_commission``)."""
    if fee <= 0:
        return position
    return replace(position, quantity=position.quantity - fee)


def flat(account_id: str, symbol: str) -> Position:
    """An empty position (quantity 0, no average price)."""
    return Position(account_id=account_id, symbol=symbol, quantity=ZERO, avg_price=ZERO)
