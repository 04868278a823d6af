"""ORM models (SQLAlchemy 2 declarative). ``Base.metadata`` is the schema the migrations must produce."""

from .base import Base
from .groups import AccountLinkRow, SignalRow, StrategyGroupRow, StrategyInstanceRow
from .market import BarRow, WatchlistRow
from .misc import KeyValueRow
from .portfolio import BalanceRow, LedgerRow, PositionRow
from .reports import ReportRow, RiskEventRow
from .trading import AccountRow, FillRow, OrderRow

__all__ = [
    "AccountLinkRow",
    "AccountRow",
    "BalanceRow",
    "BarRow",
    "Base",
    "FillRow",
    "KeyValueRow",
    "LedgerRow",
    "OrderRow",
    "PositionRow",
    "ReportRow",
    "RiskEventRow",
    "SignalRow",
    "StrategyGroupRow",
    "StrategyInstanceRow",
    "WatchlistRow",
]
