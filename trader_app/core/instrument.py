"""Instruments: what can be traded, with the venue's tick and lot rules."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .enums import MarketType
from .money import ZERO, round_price, round_qty_down


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable instrument on one venue.

    symbol: ``BASE/QUOTE`` for crypto ("BTC/USDT"), the code for stocks ("005930", "AAPL").
    tick_size: price increment (quote currency); lot_size: quantity increment (base units or shares);
    min_qty: smallest quantity; min_notional: smallest price x quantity (quote currency).
    """

    symbol: str
    venue: str
    market_type: MarketType
    base: str
    quote: str
    tick_size: Decimal
    lot_size: Decimal
    min_qty: Decimal = ZERO
    min_notional: Decimal = ZERO
    name: str = ""

    @property
    def vt_symbol(self) -> str:
        """Globally unique id ``symbol.venue``."""
        return f"{self.symbol}.{self.venue}"

    def round_price(self, price: Decimal) -> Decimal:
        return round_price(price, self.tick_size)

    def round_qty(self, qty: Decimal) -> Decimal:
        """Round a quantity down to the lot size."""
        return round_qty_down(qty, self.lot_size)
