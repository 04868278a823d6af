"""Accounts, balances, positions and the cash ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .enums import AccountMode, LedgerKind, SessionState
from .money import ZERO


@dataclass(frozen=True, slots=True)
class Account:
    """A trading account on one broker. ``broker`` names the adapter ("paper", "binance", ...).

    Secrets are never fields here: adapters read them from the OS keyring by ``account_id``.
    ``settings`` holds non-secret adapter options (commission, slippage, base URL, ...).
    """

    account_id: str
    name: str
    broker: str
    mode: AccountMode = AccountMode.PAPER
    base_currency: str = "USDT"
    enabled: bool = True
    settings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Balance:
    """Cash of one currency in an account. ``total = free + locked``; ``locked`` is reserved for open buys."""

    account_id: str
    currency: str
    total: Decimal
    locked: Decimal = ZERO

    @property
    def free(self) -> Decimal:
        return self.total - self.locked


@dataclass(frozen=True, slots=True)
class Position:
    """A net position. ``quantity`` > 0 long, < 0 short; ``avg_price`` is the average entry price
    (quote currency) set from the first fill; ``realized_pnl`` accumulates closed PnL (quote currency,
    before commission). ``last_price`` marks the position for unrealized PnL.
    """

    account_id: str
    symbol: str
    quantity: Decimal
    avg_price: Decimal
    realized_pnl: Decimal = ZERO
    last_price: Decimal | None = None
    updated_ms: int = 0

    @property
    def unrealized_pnl(self) -> Decimal:
        """(last - avg) x quantity; 0 when flat or not yet marked."""
        if self.last_price is None or self.quantity == 0:
            return ZERO
        return (self.last_price - self.avg_price) * self.quantity

    @property
    def market_value(self) -> Decimal:
        """Signed quantity x last price (avg price when not marked)."""
        price = self.last_price if self.last_price is not None else self.avg_price
        return self.quantity * price

    @property
    def profit_rate_pct(self) -> Decimal:
        """Unrealized PnL as percent of cost (0 when flat)."""
        cost = abs(self.avg_price * self.quantity)
        return self.unrealized_pnl / cost * 100 if cost else ZERO


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One cash movement. ``amount`` is signed (negative = cash out); cash_before + amount = cash_after.

    For BUY/SELL, ``amount`` is the notional (without fee: fees have their own FEE row).
    """

    entry_id: str
    account_id: str
    ts_ms: int
    kind: LedgerKind
    currency: str
    amount: Decimal
    cash_before: Decimal
    cash_after: Decimal
    symbol: str = ""
    quantity: Decimal = ZERO
    price: Decimal = ZERO
    client_order_id: str = ""
    trade_id: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """Mark-to-market view of an account (quote currency = ``currency``)."""

    account_id: str
    currency: str
    cash: Decimal
    equity: Decimal
    unrealized_pnl: Decimal
    realized_pnl: Decimal
    day_pnl: Decimal | None  # None until the day's opening equity is known (positions loaded and priced)
    session: SessionState = SessionState.DISCONNECTED


@dataclass(frozen=True, slots=True)
class RiskEvent:
    """A risk event as recorded for the reports: ``kind`` "kill_switch_tripped" or "kill_switch_reset" on
    ``account_id`` at ``ts_ms`` (epoch ms UTC), with the reason (rejected orders live in the orders journal)."""

    ts_ms: int
    account_id: str
    kind: str
    reason: str
