"""Decimal helpers: parsing money from the wire and rounding to tick and lot sizes.

All money in the domain is ``Decimal`` (quote currency unless a field says otherwise).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation

ZERO = Decimal(0)
ONE = Decimal(1)


def to_decimal(value: object, field: str = "value") -> Decimal:
    """Parse ``value`` (str, int, float, Decimal) into a finite Decimal.

    Floats go through ``repr`` so ``0.1`` becomes ``Decimal("0.1")``, not its binary expansion.
    Raises ``ValueError`` naming ``field`` for anything else, NaN or infinity.
    """
    if isinstance(value, bool):
        raise ValueError(f"{field} must be a number, got a boolean")
    try:
        if isinstance(value, Decimal):
            d = value
        elif isinstance(value, float):
            d = Decimal(repr(value))
        elif isinstance(value, (int, str)):
            d = Decimal(str(value).strip())
        else:
            raise ValueError(f"{field} must be a number, got {type(value).__name__}")
    except InvalidOperation:
        raise ValueError(f"{field} must be a number, got {value!r}") from None
    if not d.is_finite():
        raise ValueError(f"{field} must be finite, got {value!r}")
    return d


def round_to_step(value: Decimal, step: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round ``value`` to a multiple of ``step`` (``step`` > 0) with the given Decimal rounding mode."""
    if step <= 0:
        return value
    units = (value / step).to_integral_value(rounding=rounding)
    return (units * step).quantize(step) if step.as_tuple().exponent < 0 else units * step


def round_price(price: Decimal, tick_size: Decimal) -> Decimal:
    """Nearest multiple of the tick size (half up)."""
    return round_to_step(price, tick_size, ROUND_HALF_UP)


def round_qty_down(qty: Decimal, lot_size: Decimal) -> Decimal:
    """Largest multiple of the lot size not above ``qty`` (quantities are never rounded up)."""
    return round_to_step(qty, lot_size, ROUND_DOWN)


def round_qty_up(qty: Decimal, lot_size: Decimal) -> Decimal:
    return round_to_step(qty, lot_size, ROUND_UP)


def fmt(value: Decimal | None, places: int | None = None) -> str:
    """Plain decimal string without exponent (``1E+2`` -> ``100``); ``""`` for None."""
    if value is None:
        return ""
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = format(value, "f")
    if "." in text and places is None:
        text = text.rstrip("0").rstrip(".") or "0"
    return text
