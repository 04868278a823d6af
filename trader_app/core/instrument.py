"""Instruments: what can be traded, with the venue's tick and lot rules."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from .enums import MarketType
from .money import ONE, ZERO, round_price, round_qty_down

#: the venue of the in-process paper exchange; the demo and replay markets price its instruments
HOME_VENUE = "paper"
_SEP = ":"


def symbol_text(text: str) -> str:
    """A symbol as typed or sent (``" btc/usdt "``) as the app spells it (``"BTC/USDT"``): trimmed and upper-cased.

    It must be plain ASCII and unchanged by Unicode NFKC normalisation (https://unicode.org/reports/tr15/)
    before anything else: ``"ſol/uſdt"`` (U+017F LATIN SMALL LETTER LONG S) upper-cases to ``SOL/USDT`` in
    Python, and a full-width ``ＢＴＣ`` or a Cyrillic ``ВТС`` look like BTC; such text is refused rather than
    traded. Raises ``ValueError`` naming the first offending character."""
    stripped = text.strip()
    for ch in stripped:
        if not ch.isascii() or unicodedata.normalize("NFKC", ch) != ch:
            name = unicodedata.name(ch, "unnamed character")
            raise ValueError(f"{stripped[:40]!r} contains {ch!r} (U+{ord(ch):04X} {name}): symbols are plain ASCII "
                             "letters, digits and . _ - /")
    return stripped.upper()


def market_id(venue: str, symbol: str) -> str:
    """The text id of ``symbol`` on ``venue`` used by the watchlist, the chart and the UI's quote tables:
    the bare symbol on the home (paper) venue, ``venue:symbol`` elsewhere (``binance:BTC/USDT``), so the same
    symbol on two venues is two rows. Inverse: :func:`parse_market_id`."""
    return symbol if venue == HOME_VENUE else f"{venue}{_SEP}{symbol}"


def parse_market_id(text: str) -> tuple[str, str]:
    """``(venue, symbol)`` of a :func:`market_id` text (a bare symbol is the home venue's). Raises ValueError
    for an empty venue or symbol."""
    venue, sep, symbol = text.strip().partition(_SEP)
    if not sep:
        venue, symbol = HOME_VENUE, venue
    if not venue or not symbol:
        raise ValueError(f"not a market id (symbol or venue:symbol): {text!r}")
    return venue, symbol


@dataclass(frozen=True, slots=True)
class Instrument:
    """A tradable instrument on one venue, identified by ``key`` = (venue, symbol): the same ``BTC/USDT`` on
    two venues is two instruments.

    symbol: ``BASE/QUOTE`` for crypto ("BTC/USDT"), the code for stocks ("005930", "AAPL"); ``venue_symbol``:
    the venue's own name for it ("BTCUSDT", "KRW-BTC"; "" = the symbol).
    tick_size: price increment (quote currency); ``tick_bands``: a tick ladder by price band, ascending
    ``(price from, tick)`` pairs (KRW crypto markets, KRX stocks: e.g. a KRW market's 1 KRW below 5,000,
    5 up to 10,000, ..., 1,000 from 1,000,000; each venue's profile holds its ladder and its source); a price below
    the first band uses ``tick_size``. lot_size: quantity increment (base units, shares or contracts);
    min_qty / max_qty: smallest / largest quantity of one order (max 0 = none); min_notional: smallest
    price x quantity x multiplier (quote currency); ``multiplier``: quote currency per price point and
    contract (1 for spot and stocks).
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
    venue_symbol: str = ""
    max_qty: Decimal = ZERO
    multiplier: Decimal = ONE
    tick_bands: tuple[tuple[Decimal, Decimal], ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """``(venue, symbol)``: what quotes, bars and positions of this instrument are keyed by."""
        return (self.venue, self.symbol)

    @property
    def market_id(self) -> str:
        """The watchlist/chart id (see :func:`market_id`)."""
        return market_id(self.venue, self.symbol)

    @property
    def vt_symbol(self) -> str:
        """Globally unique id ``symbol.venue``."""
        return f"{self.symbol}.{self.venue}"

    @property
    def wire_symbol(self) -> str:
        """The symbol as the venue spells it on the wire."""
        return self.venue_symbol or self.symbol

    def tick_at(self, price: Decimal) -> Decimal:
        """The tick size that applies at ``price``: the tick of the highest band starting at or below it."""
        tick = self.tick_size
        for start, band_tick in self.tick_bands:
            if price < start:
                break
            tick = band_tick
        return tick

    def round_price(self, price: Decimal) -> Decimal:
        """``price`` rounded half up to the tick that applies at it (``tick_at``)."""
        rounded = round_price(price, self.tick_at(price))
        return round_price(rounded, self.tick_at(rounded))  # rounding up may cross into a coarser band

    def on_tick(self, price: Decimal) -> bool:
        """True if ``price`` is a multiple of the tick that applies at it."""
        tick = self.tick_at(price)
        return tick <= 0 or price % tick == 0

    def round_qty(self, qty: Decimal) -> Decimal:
        """Round a quantity down to the lot size."""
        return round_qty_down(qty, self.lot_size)
