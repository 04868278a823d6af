"""Repositories: one per entity, each mapping table rows to the frozen core dataclasses and back.

Every method is synchronous and runs in its own transaction. From async code call them through
``await store.run(...)`` (the store's single worker thread); the CLI and tests may call them directly.
"""

from .accounts import AccountRepository
from .balances import BalanceRepository
from .bars import BarRepository
from .fills import FillRepository
from .groups import GroupRepository
from .kv import KeyValueRepository
from .ledger import LedgerRepository
from .links import LinkRepository
from .orders import OrderRepository
from .positions import PositionRepository
from .reports import ReportRepository, RiskEventRepository
from .signals import SignalRepository
from .strategy_instances import StrategyInstanceRepository
from .watchlist import WatchlistRepository

__all__ = [
    "AccountRepository",
    "BalanceRepository",
    "BarRepository",
    "FillRepository",
    "GroupRepository",
    "KeyValueRepository",
    "LedgerRepository",
    "LinkRepository",
    "OrderRepository",
    "PositionRepository",
    "ReportRepository",
    "RiskEventRepository",
    "SignalRepository",
    "StrategyInstanceRepository",
    "WatchlistRepository",
]
