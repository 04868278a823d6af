"""Enumerations of the trading domain (string-valued so they persist and serialise as-is)."""

from __future__ import annotations

from enum import Enum


class Side(str, Enum):
    """Order or trade direction."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def sign(self) -> int:
        """+1 for BUY, -1 for SELL (the sign of the position change)."""
        return 1 if self is Side.BUY else -1

    @property
    def opposite(self) -> "Side":
        return Side.SELL if self is Side.BUY else Side.BUY

    @classmethod
    def parse(cls, text: str) -> "Side":
        """Parse ``buy``/``BUY``/``Sell`` (case-insensitive). Raises ``ValueError`` otherwise."""
        try:
            return cls(str(text).strip().upper())
        except ValueError:
            raise ValueError(f"side must be buy or sell, got {text!r}") from None


class OrderType(str, Enum):
    """Order types every venue adapter maps to its own names."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP_MARKET = "STOP_MARKET"
    STOP_LIMIT = "STOP_LIMIT"

    @property
    def needs_price(self) -> bool:
        return self in (OrderType.LIMIT, OrderType.STOP_LIMIT)

    @property
    def needs_stop_price(self) -> bool:
        return self in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT)


class TimeInForce(str, Enum):
    """GTC: rest until cancelled; IOC: fill what can be filled now, cancel the rest; FOK: all now or nothing."""

    GTC = "GTC"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(str, Enum):
    """Normalised order status.

    ``PENDING_SUBMIT`` is ours: the order is journalled but the venue has not acknowledged it.
    ``UNKNOWN`` is ours too: the order was sent but the answer was lost (timeout, dropped connection, the
    venue's own "status unknown"); it is not final, it can still fill, and reconciliation asks the venue
    until it knows (DESIGN.md "Unknown is a state, not a verdict").
    Final states: FILLED, CANCELLED, REJECTED, EXPIRED.
    """

    PENDING_SUBMIT = "PENDING_SUBMIT"
    UNKNOWN = "UNKNOWN"
    NEW = "NEW"
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    CANCELLED = "CANCELLED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"

    @property
    def is_final(self) -> bool:
        return self in _FINAL

    @property
    def is_open(self) -> bool:
        """Working at the venue (or about to be): can still fill or be cancelled."""
        return not self.is_final


_FINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED})


class MarketType(str, Enum):
    """What a strategy group or an instrument trades."""

    SPOT = "SPOT"
    FUTURES = "FUTURES"
    STOCK = "STOCK"


class AccountMode(str, Enum):
    PAPER = "paper"
    TESTNET = "testnet"
    LIVE = "live"


class SessionState(str, Enum):
    """Connection state of an account's broker adapter (reported by the adapter on ``updates()`` as a
    ``ConnectionUpdate``, and by the account service while it connects).

    DISCONNECTED: not connected on purpose (disabled or closed); CONNECTING: first connect under way;
    CONNECTED: streams up, orders accepted; RECONNECTING: the connection dropped and the adapter is
    re-establishing it (orders are refused meanwhile, reconciliation follows); DOWN: gave up or failed,
    with a reason; BANNED: the venue banned us until a time (HTTP 418 and the like); ERROR: the connect
    itself failed (bad credentials, unreachable venue).
    """

    DISCONNECTED = "DISCONNECTED"
    CONNECTING = "CONNECTING"
    CONNECTED = "CONNECTED"
    RECONNECTING = "RECONNECTING"
    DOWN = "DOWN"
    BANNED = "BANNED"
    ERROR = "ERROR"


class LedgerKind(str, Enum):
    """Kinds of cash movement in an account's ledger."""

    BUY = "BUY"
    SELL = "SELL"
    DEPOSIT = "DEPOSIT"
    WITHDRAW = "WITHDRAW"
    FEE = "FEE"
    TAX = "TAX"


class Interval(str, Enum):
    """Bar intervals. ``ms`` is the bar length in milliseconds."""

    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    H1 = "1h"
    D1 = "1d"

    @property
    def ms(self) -> int:
        return _INTERVAL_MS[self]

    def bucket_start(self, ts_ms: int) -> int:
        """Open time (epoch ms, UTC) of the bar that contains ``ts_ms``."""
        return ts_ms - ts_ms % self.ms


_INTERVAL_MS = {
    Interval.M1: 60_000,
    Interval.M5: 300_000,
    Interval.M15: 900_000,
    Interval.H1: 3_600_000,
    Interval.D1: 86_400_000,
}


class SignalSource(str, Enum):
    WEBHOOK = "webhook"
    STRATEGY = "strategy"
    MANUAL = "manual"
