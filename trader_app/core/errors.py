"""Typed errors. Venue adapters map their own error codes onto these.

Messages never contain secrets (API keys, tokens, passwords).
"""

from __future__ import annotations

from decimal import Decimal


class TraderError(Exception):
    """Base of every error the app raises on purpose."""


class ConfigError(TraderError):
    """A setting or a command-line value is invalid."""


class StoreUnavailable(TraderError):
    """The database refused a write or a read (disk full, read-only, locked, I/O error). Nothing of the
    failed call was stored; an order whose journal write fails is never sent."""


class SecretStoreError(TraderError):
    """The OS keyring is unavailable or refused the operation (never falls back to plain text)."""


class UnknownSymbol(TraderError):
    """The symbol is not an instrument of this venue/market."""

    def __init__(self, symbol: str, venue: str = "") -> None:
        self.symbol = symbol
        self.venue = venue
        where = f" on {venue}" if venue else ""
        super().__init__(f"unknown symbol {symbol!r}{where}")


class DataImportError(TraderError):
    """A data file could not be imported. ``line`` is 1-based (header = line 1), 0 if not line-specific."""

    def __init__(self, path: str, line: int, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"line {line}: " if line else ""
        super().__init__(f"{path}: {where}{problem}")


class BrokerError(TraderError):
    """Base of errors raised by broker adapters."""


class AuthError(BrokerError):
    """Credentials missing, wrong, expired or lacking permission."""


class RateLimited(BrokerError):
    """The venue asked us to slow down; ``retry_after`` in seconds."""

    def __init__(self, message: str = "rate limited", retry_after: float = 1.0) -> None:
        self.retry_after = retry_after
        super().__init__(f"{message} (retry after {retry_after:g} s)")


class VenueBanned(RateLimited):
    """The venue banned our IP (Binance HTTP 418 after ignored 429s: 2 minutes up to 3 days). Nothing may be
    sent to that venue from any account until ``until_ms`` (epoch ms UTC)."""

    def __init__(self, venue: str, until_ms: int, retry_after: float) -> None:
        self.venue = venue
        self.until_ms = until_ms
        super().__init__(f"{venue} banned this IP", retry_after)


class VenueUnavailable(BrokerError):
    """The venue cannot be reached or answered with a server error. Reads may be retried; orders are not."""


class OrderRejected(BrokerError):
    """The venue (or the paper engine) refused an order. ``reason`` is shown to the trader."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class InvalidOrder(OrderRejected):
    """The order breaks a rule of the instrument or the venue (missing price, below min quantity, ...)."""


class InsufficientFunds(OrderRejected):
    """Not enough free cash for a buy, or not enough free holdings for a sell."""


class DuplicateClientOrderId(BrokerError):
    """The venue already holds an order with this client order id. Not a rejection: the order we journalled
    may be exactly that one (an earlier send whose answer was lost), so the caller reconciles by asking the
    venue instead of marking it REJECTED."""


class OrderStateUnknown(BrokerError):
    """The venue could not say whether it took the order (Binance -1006/-1007 "execution status unknown",
    a gateway timeout after the request was written). The order is left UNKNOWN and reconciled."""


class SessionExpired(AuthError):
    """The venue session (token, listen key, login) expired; the adapter logs in again. Nothing was placed."""


class UnsupportedOrder(InvalidOrder):
    """The account's venue does not support what the order asks (order type, time in force, reduce-only,
    short selling); raised before the journal, from the adapter's declared ``capabilities``."""


class OrderNotFound(BrokerError):
    """No order with that client order id exists at the venue."""


class RiskRejected(TraderError):
    """A pre-trade risk rule refused the order. ``rule`` names it; the message gives the numbers."""

    def __init__(self, rule: str, message: str, limit: Decimal | None = None, value: Decimal | None = None) -> None:
        self.rule = rule
        self.limit = limit
        self.value = value
        super().__init__(f"{rule}: {message}")


class DuplicateLink(TraderError):
    """An account is already linked to a strategy group (each (group_name, account_id) pair at most once)."""

    def __init__(self, group_name: str, account_id: str) -> None:
        self.group_name = group_name
        self.account_id = account_id
        super().__init__(f"account {account_id!r} is already linked to strategy group {group_name!r}")
