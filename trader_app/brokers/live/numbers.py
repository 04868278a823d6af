"""Numbers as venues send them: decimal strings (``"0.00100000"``), ``""`` or ``null`` for "none"."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def wire_decimal(value: Any, default: str = "0") -> Decimal:
    """``value`` (a decimal string or number) as a Decimal; ``default`` when it is None, ``""`` or not a number
    (an instrument's missing or malformed filter field)."""
    try:
        return Decimal(str(value if value not in (None, "") else default))
    except InvalidOperation:
        return Decimal(default)


def wire_amount(value: Any) -> Decimal | None:
    """``value`` as a Decimal, or None for None, ``""`` and zero (an order's unset price, stop price or average:
    venues send ``"0"`` or ``""`` for "none"). Raises ``decimal.InvalidOperation`` on a non-number."""
    if value in (None, ""):
        return None
    d = Decimal(str(value))
    return d if d != 0 else None
