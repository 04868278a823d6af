"""Events carried by the bus. All frozen: a handler can never change what another handler sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .enums import SessionState, SignalSource
from .market_data import Bar, Quote
from .orders import Fill, Order
from .portfolio import Account, AccountSummary, Balance, LedgerEntry, Position


@dataclass(frozen=True, slots=True)
class QuoteEvent:
    """A quote from a market source; ``source`` names it ("demo", "replay", a venue feed; "" = unnamed).
    The bar aggregator skips sources that bring their own bars (a replayed file, a venue's kline stream)."""

    quote: Quote
    source: str = ""


@dataclass(frozen=True, slots=True)
class WatchlistEvent:
    """The watchlist changed; ``symbols`` is the new list of market ids (``core.instrument.market_id``: a bare
    symbol on the paper venue, ``venue:symbol`` elsewhere), in the trader's order."""

    symbols: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BarEvent:
    """A bar update: ``bar.closed`` False while the bar forms (live last bar), True once when it closes."""

    bar: Bar


@dataclass(frozen=True, slots=True)
class OrderEvent:
    order: Order


@dataclass(frozen=True, slots=True)
class FillEvent:
    fill: Fill


@dataclass(frozen=True, slots=True)
class PositionEvent:
    position: Position


@dataclass(frozen=True, slots=True)
class BalanceEvent:
    balance: Balance


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    entry: LedgerEntry


@dataclass(frozen=True, slots=True)
class AccountEvent:
    """An account was added, changed or removed (``removed``), or its session state changed."""

    account: Account
    session: SessionState = SessionState.DISCONNECTED
    removed: bool = False
    error: str = ""
    warning: str = ""  # what the trader should know about a connected account (``Broker.warnings``)


@dataclass(frozen=True, slots=True)
class AccountSummaryEvent:
    summary: AccountSummary


@dataclass(frozen=True, slots=True)
class SignalEvent:
    """A signal and (once known) each account's outcome: ``results`` is a tuple of dicts
    ``{"account_id", "order_type", "status", "client_order_id", "venue_order_id"?, "error"?}``."""

    signal_id: str
    source: SignalSource
    group_name: str
    payload: dict[str, Any]
    ts_ms: int
    results: tuple[dict[str, Any], ...] = field(default=())
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class LogEvent:
    """A line for the Log panel. ``level`` is a logging level name."""

    ts_ms: int
    level: str
    source: str
    message: str


@dataclass(frozen=True, slots=True)
class StrategyStateEvent:
    """A strategy's visible state changed (running, error, trailing stop)."""

    name: str
    running: bool
    error: str = ""
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class KillSwitchEvent:
    account_id: str
    tripped: bool
    reason: str = ""
    loss: Decimal | None = None
