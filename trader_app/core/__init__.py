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
    DuplicateLink,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    OrderRejected,
    RateLimited,
    RiskRejected,
    SecretStoreError,
    TraderError,
    UnknownSymbol,
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
)
from .groups import AccountLink, SignalRecord, StrategyGroup, StrategyInstanceRecord
from .instrument import Instrument
from .market_data import Bar, Quote
from .orders import Fill, Order, OrderRequest, can_transition
from .portfolio import Account, AccountSummary, Balance, LedgerEntry, Position

__all__ = [name for name in dir() if not name.startswith("_")]
