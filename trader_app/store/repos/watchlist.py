"""The watchlist (an ordered list of symbols)."""

from __future__ import annotations

from sqlalchemy import delete, select

from ..models import WatchlistRow
from .base import Repository


class WatchlistRepository(Repository):
    """``store.watchlist``."""

    def set(self, symbols: list[str]) -> None:
        """Replace the watchlist with ``symbols`` in that order. Raises ``ValueError`` (nothing changes)
        for a duplicate or empty symbol."""
        cleaned = [str(sym).strip() for sym in symbols]
        if any(not sym for sym in cleaned):
            raise ValueError("watchlist symbols must not be empty")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("watchlist symbols must be unique")
        with self._sessions.begin() as s:
            s.execute(delete(WatchlistRow))
            s.add_all(WatchlistRow(position=i, symbol=sym) for i, sym in enumerate(cleaned))

    def get(self) -> list[str]:
        """The symbols in their saved order ([] if never set)."""
        with self._sessions() as s:
            return list(s.execute(select(WatchlistRow.symbol).order_by(WatchlistRow.position)).scalars())
