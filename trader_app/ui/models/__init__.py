"""Qt table models for the panels. Each updates only the rows that changed (``dataChanged``), never a reset per tick."""

from .accounts import AccountRow, AccountsModel
from .base import RAW_ROLE, RECORD_ROLE, Column, KeyedTableModel
from .format import Formats
from .log import LogModel
from .trading import FillsModel, LedgerModel, OpenOrdersModel, PositionsModel
from .watchlist import WatchlistModel, WatchRow

__all__ = [
    "AccountRow", "AccountsModel", "Column", "FillsModel", "Formats", "KeyedTableModel", "LedgerModel", "LogModel",
    "OpenOrdersModel", "PositionsModel", "RAW_ROLE", "RECORD_ROLE", "WatchRow", "WatchlistModel",
]
