"""Live fills to round-trip trades and the period's fill figures (realized PnL, commissions, notional).

Round trips come from the backtester's :class:`~trader_app.backtest.result.TradeTracker` (average-price
method, a fill that crosses zero ends one trade and starts the next), run per (account, symbol) over every
journalled fill of the account in time order, so a trade opened before the period and closed inside it
counts in the period. Positions held before an account's first journalled fill are not known here: the
first fills that reduce them open a trade instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from ..backtest.result import SimFill, Trade, TradeTracker
from ..core.money import ZERO, quote_of
from ..core.orders import Fill
from ..core.portfolio import Position
from ..core.position_math import apply_fill


def fill_currency(fill: Fill, account_currency: str) -> str:
    """The currency a fill is settled in: the quote of a ``BASE/QUOTE`` symbol, else the account's."""
    return quote_of(fill.symbol) or account_currency


def fee_in_quote(fill: Fill, currency: str) -> Decimal | None:
    """The fill's commission in its quote ``currency``: as is when paid in it (or no asset named), x price when
    paid in the base coin (Binance spot buys), None when paid in another asset (BNB)."""
    if not fill.commission:
        return ZERO
    asset = fill.commission_asset.upper()
    if asset in ("", currency.upper()):
        return fill.commission
    if asset == fill.symbol.partition("/")[0].upper():
        return fill.commission * fill.price
    return None


@dataclass
class PeriodFills:
    """The fills of one currency and period: ``trades`` ``[(account_id, Trade)]`` closed inside it (exit time
    in ``[start_ms, end_ms)``), ``realized_pnl`` of its fills (before commission), ``commissions`` in the quote
    currency, ``other_fees`` ``{asset: amount}`` paid in other assets, ``fills`` and ``traded_notional``;
    ``partial_closes``: fills that reduced a position without closing it (their PnL is in ``realized_pnl``)."""

    trades: list[tuple[str, Trade]] = field(default_factory=list)
    realized_pnl: Decimal = ZERO
    commissions: Decimal = ZERO
    other_fees: dict[str, Decimal] = field(default_factory=dict)
    fills: int = 0
    traded_notional: Decimal = ZERO
    partial_closes: int = 0  # fills inside the period that reduced a position without closing it


def period_fills(fills: Iterable[Fill], currency_of: dict[str, str], start_ms: int,
                 end_ms: int) -> dict[str, PeriodFills]:
    """``{currency: PeriodFills}``: every fill up to ``end_ms`` accounted once, in time order (sorted here),
    under the currency it settles in; ``currency_of`` maps account ids to their base currency (for symbols
    without a quote)."""
    result: dict[str, PeriodFills] = {}
    positions: dict[tuple[str, str], Position] = {}
    trackers: dict[tuple[str, str], TradeTracker] = {}
    ordered = sorted((f for f in fills if f.ts_ms < end_ms), key=lambda f: (f.ts_ms, f.trade_id))
    for n, fill in enumerate(ordered):
        currency = fill_currency(fill, currency_of.get(fill.account_id, ""))
        out = result.get(currency) or result.setdefault(currency, PeriodFills())
        key = (fill.account_id, fill.symbol)
        pos = positions.get(key) or Position(fill.account_id, fill.symbol, ZERO, ZERO)
        tracker = trackers.get(key) or trackers.setdefault(key, TradeTracker(fill.symbol))
        fee = fee_in_quote(fill, currency)
        new_pos, realized = apply_fill(pos, fill.side, fill.quantity, fill.price, fill.ts_ms)
        positions[key] = new_pos
        closed_before = len(tracker.trades)
        tracker.on_fill(SimFill(n, fill.ts_ms, fill.side, fill.quantity, fill.price, fee or ZERO, fill.account_id),
                        pos.quantity, realized)
        closed = [t for t in tracker.trades[closed_before:] if t.exit_time_ms >= start_ms]
        out.trades += [(fill.account_id, t) for t in closed]
        if fill.ts_ms < start_ms:
            continue
        if realized and not closed and new_pos.quantity != 0 and (new_pos.quantity > 0) == (pos.quantity > 0):
            out.partial_closes += 1
        out.fills += 1
        out.traded_notional += fill.notional
        out.realized_pnl += realized
        if fee is None:
            asset = fill.commission_asset.upper()
            out.other_fees[asset] = out.other_fees.get(asset, ZERO) + fill.commission
        else:
            out.commissions += fee
    return result
