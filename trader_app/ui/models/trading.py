"""Table models of the trading panels: open orders, fills, positions and the cash ledger.

Each takes batches from the ``EventBridge`` (lists of domain records) and updates only the rows concerned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from dataclasses import replace

from ...core.instrument import HOME_VENUE, market_id
from ...core.market_data import Quote
from ...core.orders import Fill, Order
from ...core.portfolio import LedgerEntry, Position
from .base import LEFT, Column, KeyedTableModel
from .format import Formats, money, pct, side_colour, sign_colour, time_text


NO_PRICE = "no price"  # what a position without a price from its venue shows

class OpenOrdersModel(KeyedTableModel):
    """Working orders (not final), newest first, keyed by (account_id, client_order_id).

    An order that reaches a final state (FILLED, CANCELLED, REJECTED, EXPIRED) leaves the table.
    ``account_names`` maps account ids to display names.
    """

    def __init__(self, formats: Formats, account_names: Mapping[str, str] | None = None, parent=None) -> None:
        self.formats = formats
        self.account_names = account_names if account_names is not None else {}
        f = formats
        columns = [
            Column("Time", lambda o: o.created_ms, lambda o: time_text(o.created_ms), LEFT, width=70),
            Column("Account", lambda o: self.account_names.get(o.account_id, o.account_id), align=LEFT, width=90),
            Column("Symbol", lambda o: o.symbol, align=LEFT, width=80),
            Column("Side", lambda o: o.side.value, align=LEFT, colour=lambda o: side_colour(o.side), width=45),
            Column("Type", lambda o: o.order_type.value, align=LEFT, width=90),
            Column("Qty", lambda o: o.quantity, lambda o: f.qty(o.symbol, o.quantity)),
            Column("Filled", lambda o: o.filled_qty, lambda o: f.qty(o.symbol, o.filled_qty), optional=2),
            Column("Price", lambda o: o.price, lambda o: f.price(o.symbol, o.price)),
            Column("Stop", lambda o: o.stop_price, lambda o: f.price(o.symbol, o.stop_price)),
            Column("TIF", lambda o: o.time_in_force.value, align=LEFT, width=40),
            Column("Status", lambda o: o.status.value, align=LEFT, width=110),
            Column("Client order id", lambda o: o.client_order_id, align=LEFT, width=190, optional=3),
        ]
        super().__init__(columns, key=lambda o: (o.account_id, o.client_order_id), newest_first=True, parent=parent)

    def apply(self, orders: Iterable[Order]) -> None:
        """Upsert open orders, drop final ones."""
        open_orders, closed = [], []
        for order in orders:
            (open_orders if order.is_open else closed).append(order)
        if closed:
            self.remove((o.account_id, o.client_order_id) for o in closed)
        if open_orders:
            self.upsert(open_orders)

    def order(self, row: int) -> Order:
        return self.record(row)


class FillsModel(KeyedTableModel):
    """Executions, newest first, keyed by (account_id, trade_id) so a repeated fill report adds nothing."""

    def __init__(self, formats: Formats, account_names: Mapping[str, str] | None = None, max_rows: int = 5000,
                 parent=None) -> None:
        self.account_names = account_names if account_names is not None else {}
        f = formats
        columns = [
            Column("Time", lambda x: x.ts_ms, lambda x: time_text(x.ts_ms), LEFT, width=70),
            Column("Account", lambda x: self.account_names.get(x.account_id, x.account_id), align=LEFT, width=90),
            Column("Symbol", lambda x: x.symbol, align=LEFT, width=80),
            Column("Side", lambda x: x.side.value, align=LEFT, colour=lambda x: side_colour(x.side), width=45),
            Column("Price", lambda x: x.price, lambda x: f.price(x.symbol, x.price)),
            Column("Qty", lambda x: x.quantity, lambda x: f.qty(x.symbol, x.quantity)),
            Column("Notional", lambda x: x.notional, lambda x: money(x.notional), width=105),
            Column("Commission", lambda x: x.commission, lambda x: f"{money(x.commission, 4)} {x.commission_asset}",
                   width=125),
            Column("Client order id", lambda x: x.client_order_id, align=LEFT, width=190, optional=3),
            Column("Trade id", lambda x: x.trade_id, align=LEFT, width=150, optional=4),
        ]
        super().__init__(columns, key=lambda x: (x.account_id, x.trade_id), newest_first=True, max_rows=max_rows,
                         parent=parent)

    def apply(self, fills: Iterable[Fill]) -> None:
        self.upsert(fills)


class PositionsModel(KeyedTableModel):
    """Open positions keyed by (account_id, symbol); a flat position (quantity 0) leaves the table.

    ``mark(quotes)`` re-marks positions at each quote's ``last`` so unrealized PnL moves with the market,
    emitting ``dataChanged`` only for the positions whose symbol had a new price.
    """

    def __init__(self, formats: Formats, account_names: Mapping[str, str] | None = None, parent=None) -> None:
        self.account_names = account_names if account_names is not None else {}
        self.account_venues: dict[str, str] = {}  # account -> venue; positions are marked by its quotes
        self.price_venue: Any = lambda venue: venue  # venue -> the venue whose quotes price it
        f = formats
        columns = [
            Column("Account", lambda p: self.account_names.get(p.account_id, p.account_id), align=LEFT, width=90),
            Column("Symbol", lambda p: p.symbol, align=LEFT, width=80),
            Column("Qty", lambda p: p.quantity, lambda p: f.qty(p.symbol, p.quantity),
                   colour=lambda p: sign_colour(p.quantity, 12)),
            Column("Avg price", lambda p: p.avg_price, lambda p: f.price(p.symbol, p.avg_price)),
            # a position its venue has no price for reads "no price", never its average price and 0.00 PnL
            Column("Last", lambda p: p.last_price,
                   lambda p: NO_PRICE if p.last_price is None else f.price(p.symbol, p.last_price)),
            Column("Market value", lambda p: p.market_value,
                   lambda p: "-" if p.last_price is None else money(p.market_value), width=100, optional=2),
            Column("Unrealized PnL", lambda p: p.unrealized_pnl,
                   lambda p: "-" if p.last_price is None else money(p.unrealized_pnl),
                   colour=lambda p: sign_colour(p.unrealized_pnl), width=110),
            Column("Profit %", lambda p: p.profit_rate_pct,
                   lambda p: "-" if p.last_price is None else pct(p.profit_rate_pct),
                   colour=lambda p: sign_colour(p.profit_rate_pct)),
            Column("Realized PnL", lambda p: p.realized_pnl, lambda p: money(p.realized_pnl),
                   colour=lambda p: sign_colour(p.realized_pnl), width=100),
        ]
        super().__init__(columns, key=lambda p: (p.account_id, p.symbol), parent=parent)

    def apply(self, positions: Iterable[Position]) -> None:
        """Upsert non-flat positions (keeping our latest mark if the update carries none); remove flat ones."""
        keep, flat = [], []
        for pos in positions:
            if pos.quantity == 0:
                flat.append((pos.account_id, pos.symbol))
                continue
            old = self.get((pos.account_id, pos.symbol))
            if pos.last_price is None and old is not None and old.last_price is not None:
                pos = replace(pos, last_price=old.last_price)
            keep.append(pos)
        if flat:
            self.remove(flat)
        if keep:
            self.upsert(keep)

    def mark(self, quotes: Mapping[str, Quote]) -> None:
        """Mark positions to the last prices of ``quotes`` (``{market id: Quote}``) of their account's venue (one
        dataChanged per run of changed rows)."""
        if not self.rowCount():
            return
        updated = []
        venues = self.account_venues
        for pos in self.records():
            quote = quotes.get(market_id(self.price_venue(venues.get(pos.account_id, HOME_VENUE)), pos.symbol))
            if quote is not None and quote.last != pos.last_price:
                updated.append(replace(pos, last_price=quote.last))
        if updated:
            self.upsert(updated)

class LedgerModel(KeyedTableModel):
    """Cash movements, newest first, keyed by entry id (a repeated entry adds nothing)."""

    def __init__(self, formats: Formats, account_names: Mapping[str, str] | None = None, max_rows: int = 5000,
                 parent=None) -> None:
        self.account_names = account_names if account_names is not None else {}
        f = formats
        columns = [
            Column("Time", lambda e: e.ts_ms, lambda e: time_text(e.ts_ms), LEFT, width=70),
            Column("Account", lambda e: self.account_names.get(e.account_id, e.account_id), align=LEFT, width=90),
            Column("Kind", lambda e: e.kind.value, align=LEFT, width=70),
            Column("Ccy", lambda e: e.currency, align=LEFT, width=45),
            Column("Amount", lambda e: e.amount, lambda e: money(e.amount), colour=lambda e: sign_colour(e.amount),
                   width=115),
            Column("Cash before", lambda e: e.cash_before, lambda e: money(e.cash_before), width=115, optional=3),
            Column("Cash after", lambda e: e.cash_after, lambda e: money(e.cash_after), width=115),
            Column("Symbol", lambda e: e.symbol, align=LEFT, width=80),
            Column("Qty", lambda e: e.quantity, lambda e: f.qty(e.symbol, e.quantity) if e.symbol else ""),
            Column("Price", lambda e: e.price, lambda e: f.price(e.symbol, e.price) if e.symbol else ""),
            Column("Note", lambda e: e.note, align=LEFT, width=160, optional=2),
        ]
        super().__init__(columns, key=lambda e: e.entry_id, newest_first=True, max_rows=max_rows, parent=parent)

    def apply(self, entries: Iterable[LedgerEntry]) -> None:
        self.upsert(entries)
