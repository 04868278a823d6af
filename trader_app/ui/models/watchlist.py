"""The watchlist table: one row per symbol with the quote, indicators and the position held in it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from ...core.market_data import Quote
from ...core.money import ZERO
from ...core.portfolio import Position
from .base import LEFT, Column, KeyedTableModel
from .format import Formats, pct, sign_colour


@dataclass(frozen=True, slots=True)
class WatchRow:
    """A watchlist row. ``volume`` is the traded quantity summed over the quotes seen since start (base units);
    ``position_qty``/``avg_price`` aggregate every account's position in the symbol (quantity-weighted average);
    ``rsi``/``macd`` are floats from the 1m closes (None until enough bars); ``trail`` is a strategy's
    trailing-stop state as text ("" when no strategy trails the symbol)."""

    symbol: str
    quote: Quote | None = None
    volume: Decimal = ZERO
    rsi: float | None = None
    macd: float | None = None
    macd_signal: float | None = None
    position_qty: Decimal = ZERO
    avg_price: Decimal | None = None
    trail: str = ""

    @property
    def last(self) -> Decimal | None:
        return self.quote.last if self.quote else None

    @property
    def change_pct(self) -> Decimal | None:
        return self.quote.change_pct if self.quote and self.quote.day_open else None

    @property
    def profit_pct(self) -> Decimal | None:
        """(last - avg) / avg x 100, with the sign of the position (short gains when price falls)."""
        if not self.position_qty or not self.avg_price or self.quote is None:
            return None
        direction = 1 if self.position_qty > 0 else -1
        return (self.quote.last - self.avg_price) / self.avg_price * 100 * direction


def _float_text(value: float | None, places: int = 2) -> str:
    return "" if value is None else f"{value:.{places}f}"


class WatchlistModel(KeyedTableModel):
    """Rows keyed by symbol in watchlist order. Quotes arrive in batches (``on_quotes``), at most one
    ``dataChanged`` run per flush; symbols with no new quote are not touched."""

    def __init__(self, formats: Formats, parent=None) -> None:
        self.formats = f = formats
        columns = [
            Column("Symbol", lambda r: r.symbol, align=LEFT, width=80),
            Column("Last", lambda r: r.last, lambda r: f.price(r.symbol, r.last),
                   colour=lambda r: sign_colour(r.change_pct), width=80),
            Column("Chg %", lambda r: r.change_pct, lambda r: pct(r.change_pct),
                   colour=lambda r: sign_colour(r.change_pct), width=60),
            Column("Bid", lambda r: r.quote.bid if r.quote else None,
                   lambda r: f.price(r.symbol, r.quote.bid) if r.quote else "", width=80, optional=4),
            Column("Ask", lambda r: r.quote.ask if r.quote else None,
                   lambda r: f.price(r.symbol, r.quote.ask) if r.quote else "", width=80, optional=4),
            Column("Volume", lambda r: r.volume, lambda r: f.qty(r.symbol, r.volume) if r.volume else "", width=80,
                   optional=5),
            Column("RSI", lambda r: r.rsi, lambda r: _float_text(r.rsi, 1), width=45),
            Column("MACD", lambda r: r.macd, lambda r: _float_text(r.macd, 3),
                   colour=lambda r: None if r.macd is None or r.macd_signal is None
                   else sign_colour(r.macd - r.macd_signal, 12), width=60),
            Column("Position", lambda r: r.position_qty,
                   lambda r: f.qty(r.symbol, r.position_qty) if r.position_qty else "",
                   colour=lambda r: sign_colour(r.position_qty, 12), optional=6),
            Column("Avg price", lambda r: r.avg_price,
                   lambda r: f.price(r.symbol, r.avg_price) if r.position_qty else "", optional=8),
            Column("Profit %", lambda r: r.profit_pct, lambda r: pct(r.profit_pct),
                   colour=lambda r: sign_colour(r.profit_pct), optional=7),
            Column("Trail", lambda r: r.trail, align=LEFT, width=80, optional=9),
        ]
        super().__init__(columns, key=lambda r: r.symbol, parent=parent)
        self._positions: dict[tuple[str, str], Position] = {}

    def symbols(self) -> list[str]:
        return [r.symbol for r in self.records()]

    def set_symbols(self, symbols: Iterable[str]) -> None:
        """Make the rows exactly ``symbols`` (keeping what is known of the ones that stay)."""
        wanted = list(dict.fromkeys(symbols))
        gone = [s for s in self.keys() if s not in wanted]
        if gone:
            self.remove(gone)
        new = [s for s in wanted if self.row_of(s) is None]
        if new:
            self.upsert(self._with_position(WatchRow(symbol=s)) for s in new)

    def on_quotes(self, quotes: Mapping[str, Quote]) -> None:
        """Apply a flush of quotes ``{symbol: latest Quote}``; ``volume`` adds the latest tick's volume.
        The hot path of the window (every flush, up to every symbol): rows are rebuilt directly and
        reported in contiguous ``dataChanged`` runs."""
        rows, index = self._rows, self._index
        changed = []
        for symbol, quote in quotes.items():
            i = index.get(symbol)
            if i is None:
                continue
            r = rows[i]
            if r.quote is quote:
                continue
            rows[i] = WatchRow(r.symbol, quote, r.volume + quote.volume, r.rsi, r.macd, r.macd_signal,
                               r.position_qty, r.avg_price, r.trail)
            changed.append(i)
        if changed:
            self.update_rows(changed)

    def set_indicators(self, symbol: str, rsi: float | None, macd: float | None, macd_signal: float | None) -> None:
        row = self.get(symbol)
        if row is not None:
            self.upsert([replace(row, rsi=rsi, macd=macd, macd_signal=macd_signal)])

    def set_trail(self, symbol: str, text: str) -> None:
        row = self.get(symbol)
        if row is not None:
            self.upsert([replace(row, trail=text)])

    def on_positions(self, positions: Iterable[Position]) -> None:
        """Aggregate positions per symbol across accounts (quantity sum, quantity-weighted average price)."""
        touched = set()
        for pos in positions:
            self._positions[(pos.account_id, pos.symbol)] = pos
            touched.add(pos.symbol)
        updates = [self._with_position(self.get(s)) for s in touched if self.get(s) is not None]
        if updates:
            self.upsert(updates)

    def _with_position(self, row: WatchRow) -> WatchRow:
        held = [p for (_, sym), p in self._positions.items() if sym == row.symbol and p.quantity]
        qty = sum((p.quantity for p in held), ZERO)
        if not qty:
            return replace(row, position_qty=ZERO, avg_price=None)
        avg = sum((p.avg_price * abs(p.quantity) for p in held), ZERO) / sum((abs(p.quantity) for p in held), ZERO)
        return replace(row, position_qty=qty, avg_price=avg)
