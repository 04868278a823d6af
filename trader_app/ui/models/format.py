"""Display formatting for the tables: Decimal money, prices to the instrument's tick, times in local time.

Everything here returns strings for display only; the models keep the Decimal values for sorting.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from PySide6.QtGui import QColor

from ...core.instrument import HOME_VENUE, Instrument
from ...core.money import CURRENCY_PLACES, fmt
from .. import theme


def places_of(step: Decimal) -> int:
    """Decimal places of a tick or lot size: ``0.01`` -> 2, ``1`` -> 0, ``100`` -> 0."""
    exponent = step.normalize().as_tuple().exponent
    return max(0, -int(exponent))


def fixed(value: Decimal | None, places: int) -> str:
    """``value`` rounded half-up to ``places`` with thousands separators (``1234.5`` -> ``1,234.50``); a value
    that rounds to zero reads ``0.00``, never ``-0.00``."""
    if value is None:
        return ""
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if q == 0:
        q = abs(q)
    return f"{q:,.{places}f}"


def money(value: Decimal | None, places: int = 2) -> str:
    """Cash and PnL: 2 places with separators."""
    return fixed(value, places)


def amount(value: Decimal | None, currency: str) -> str:
    """An amount of ``currency``: at its places (``CURRENCY_PLACES``; coins 8, trailing zeros dropped down to
    2), so 0.26998 BTC does not read as 0.27."""
    places = CURRENCY_PLACES.get(currency.upper())
    if places is not None or value is None:
        return fixed(value, 2 if places is None else places)
    text = fixed(value, 8)
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0")
    return f"{whole}.{frac.ljust(2, '0')}"


def pct(value: Decimal | float | None, places: int = 2) -> str:
    """A percentage with sign: ``1.234`` -> ``+1.23%``; one that rounds to zero reads ``0.00%`` (never
    ``-0.00%`` or ``+0.00%``: no direction to show)."""
    if value is None:
        return ""
    text = f"{float(value):+.{places}f}%"
    return text[1:] if float(text[1:-1]) == 0 else text


def time_text(ts_ms: int | None) -> str:
    """Local wall-clock time ``HH:MM:SS`` of an epoch-ms UTC timestamp."""
    if not ts_ms:
        return ""
    return datetime.fromtimestamp(ts_ms / 1000).strftime("%H:%M:%S")


def datetime_text(ts_ms: int | None) -> str:
    """Local ``YYYY-MM-DD HH:MM:SS``."""
    if not ts_ms:
        return ""
    return datetime.fromtimestamp(ts_ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def sign_colour(value: Decimal | float | None, places: int = 2) -> QColor | None:
    """Up colour for > 0, down colour for < 0, None (default text) for zero or unknown; a value that rounds to
    zero at ``places`` (how it is shown: 0.00, never red) counts as zero."""
    if value is None or value == 0 or abs(value) < 0.5 * 10 ** -places:
        return None
    return theme.UP_COLOR if value > 0 else theme.DOWN_COLOR


def side_colour(side) -> QColor:
    """Buy in the up colour, sell in the down colour (``side`` is a ``Side``)."""
    return theme.UP_COLOR if side.value == "BUY" else theme.DOWN_COLOR


class Formats:
    """Per-symbol price and quantity formatting from the instruments' tick and lot sizes.

    ``price(symbol, value)`` rounds to the tick's decimal places (the tick of the price's band where the instrument
    has a ladder: 95,000,000 KRW shows no decimals, 0.15 KRW four); ``qty(symbol, value)`` to the lot's.
    ``symbol`` may be a market id (``venue:symbol``). Unknown symbols fall back to ``core.money.fmt`` (plain decimal, trailing zeros stripped).
    """

    def __init__(self, instruments: Iterable[Instrument] = ()) -> None:
        self._price_places: dict[str, int] = {}
        self._qty_places: dict[str, int] = {}
        self._ladders: dict[str, Instrument] = {}  # instruments whose tick depends on the price
        self.add(instruments)

    def add(self, instruments: Iterable[Instrument]) -> None:
        """Learn the places of ``instruments``, by symbol (the paper venue's win a tie) and by market id
        (``venue:symbol``, as the watchlist names rows)."""
        for inst in instruments:
            price, qty = places_of(inst.tick_size), places_of(inst.lot_size)
            self._price_places[inst.market_id] = price
            self._qty_places[inst.market_id] = qty
            if inst.tick_bands:
                self._ladders[inst.market_id] = inst
            if inst.venue == HOME_VENUE or inst.symbol not in self._price_places:
                self._price_places[inst.symbol] = price
                self._qty_places[inst.symbol] = qty
                if inst.tick_bands:
                    self._ladders[inst.symbol] = inst
                else:
                    self._ladders.pop(inst.symbol, None)

    def price_places(self, symbol: str) -> int | None:
        return self._price_places.get(symbol)

    def price(self, symbol: str, value: Decimal | None) -> str:
        if value is None:
            return ""
        ladder = self._ladders.get(symbol)
        if ladder is not None:
            return fixed(value, places_of(ladder.tick_at(value)))
        places = self._price_places.get(symbol)
        return fmt(value) if places is None else fixed(value, places)

    def qty(self, symbol: str, value: Decimal | None) -> str:
        if value is None:
            return ""
        places = self._qty_places.get(symbol)
        return fmt(value) if places is None else fixed(value, places)
