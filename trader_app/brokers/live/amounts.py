"""Checks every venue applies to a market buy by quote amount (``OrderRequest.quote_amount``) before sending."""

from __future__ import annotations

from decimal import Decimal

from ...core.errors import InvalidOrder
from ...core.instrument import Instrument
from ...core.money import fmt
from ...core.orders import OrderRequest


def checked_quote_amount(request: OrderRequest, inst: Instrument, *, spot: bool) -> Decimal:
    """The amount (Decimal, ``inst.quote``) of a market buy by quote amount, checked: the instrument must be spot
    (contracts take a quantity only) and the amount at least the instrument's minimum notional. Raises
    ``InvalidOrder`` (nothing sent) naming the venue."""
    amount = request.quote_amount
    if amount is None:
        raise InvalidOrder(f"{request.symbol}: no amount to spend")
    if not spot:
        raise InvalidOrder(f"{request.symbol}: {inst.venue} contracts take a quantity, not an amount to spend")
    if inst.min_notional and amount < inst.min_notional:
        raise InvalidOrder(f"{request.symbol}: {fmt(amount)} {inst.quote} is below the minimum order value "
                           f"{fmt(inst.min_notional)} on {inst.venue}")
    return amount
