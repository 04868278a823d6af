"""Domain core: types, enums, errors and the event bus. Knows nothing of Qt, SQL or HTTP.

Import the names you need from here: ``from trader_app.core import Order, Side, EventBus``.
"""

from .bus import EventBus
from .enums import (
    AccountMode,
    Interval,
    LedgerKind,
    MarketType,
    OrderStatus,
    OrderType,
    SessionState,
    Side,
    SignalSource,
    TimeInForce,
)
from .errors import (
    AuthError,
    BrokerError,
    ConfigError,
    DataImportError,
    DuplicateClientOrderId,
    DuplicateLink,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    OrderRejected,
    OrderStateUnknown,
    RateLimited,
    RiskRejected,
    SecretStoreError,
    SessionExpired,
    TraderError,
    UnknownSymbol,
    UnsupportedOrder,
    VenueUnavailable,
)
from .events import (
    AccountEvent,
    AccountSummaryEvent,
    BalanceEvent,
    BarEvent,
    FillEvent,
    KillSwitchEvent,
    LedgerEvent,
    LogEvent,
    OrderEvent,
    PositionEvent,
    QuoteEvent,
    SignalEvent,
    StrategyStateEvent,
    WatchlistEvent,
)
from .groups import AccountLink, SignalRecord, StrategyGroup, StrategyInstanceRecord
from .instrument import Instrument
from .market_data import Bar, Quote
from .orders import NOT_FOUND_REASON, Fill, Order, OrderRequest, can_transition, is_lost, revivable
from .portfolio import Account, AccountSummary, Balance, LedgerEntry, Position

__all__ = [name for name in dir() if not name.startswith("_")]
