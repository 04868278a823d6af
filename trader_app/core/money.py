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


#: decimal places of an amount of a currency as venues show it (fiat and stablecoins 2, KRW and JPY 0);
#: anything else (coins) gets ``COIN_PLACES``
CURRENCY_PLACES = {"USD": 2, "USDT": 2, "USDC": 2, "FDUSD": 2, "BUSD": 2, "EUR": 2, "GBP": 2, "KRW": 0, "JPY": 0}
COIN_PLACES = 8


def quote_of(symbol: str) -> str:
    """The quote currency of a ``BASE/QUOTE`` symbol ("" for a stock code, whose currency is the venue's)."""
    return symbol.partition("/")[2]


def amount_text(value: Decimal | None, currency: str = "") -> str | None:
    """An amount of ``currency`` as a plain decimal string at its precision (``CURRENCY_PLACES``, else
    ``COIN_PLACES``), rounded half up, trailing zeros dropped: arithmetic noise such as
    ``0.2519171000000000000000001283`` USDT becomes ``0.25``. None stays None."""
    if value is None:
        return None
    places = CURRENCY_PLACES.get(currency.upper(), COIN_PLACES)
    text = format(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
