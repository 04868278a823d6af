"""Net positions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from ...core.portfolio import Position
from ..models import PositionRow
from .base import Repository, Upsert


def _values(position: Position) -> dict:
    return {
        "account_id": position.account_id,
        "symbol": position.symbol,
        "quantity": position.quantity,
        "avg_price": position.avg_price,
        "realized_pnl": position.realized_pnl,
        "last_price": position.last_price,
        "updated_ms": position.updated_ms,
    }


def position_from_row(r: PositionRow) -> Position:
    return Position(
        account_id=r.account_id,
        symbol=r.symbol,
        quantity=r.quantity,
        avg_price=r.avg_price,
        realized_pnl=r.realized_pnl,
        last_price=r.last_price,
        updated_ms=r.updated_ms,
    )


class PositionRepository(Repository):
    """``store.positions``: one row per (account_id, symbol)."""

    def __init__(self, sessions: Any) -> None:
        super().__init__(sessions)
        self._upsert = Upsert(sessions, PositionRow, ("account_id", "symbol"),
                              ("account_id", "symbol", "quantity", "avg_price", "realized_pnl", "last_price",
                               "updated_ms"))

    def save(self, position: Position) -> None:
        """Insert or replace the position of (account_id, symbol). A flat one is kept (realized PnL)."""
        self._upsert(_values(position))

    def save_many(self, positions: Iterable[Position]) -> None:
        """``save`` each position, in order, atomically (one executemany)."""
        self._upsert.many([_values(p) for p in positions])

    def get(self, account_id: str, symbol: str) -> Position | None:
        with self._sessions() as s:
            row = s.get(PositionRow, (account_id, symbol))
            return None if row is None else position_from_row(row)

    def list(self, account_id: str | None = None, include_flat: bool = False) -> list[Position]:
        """Positions ordered by (account_id, symbol); flat ones (quantity 0) only with ``include_flat``."""
        stmt = select(PositionRow).order_by(PositionRow.account_id, PositionRow.symbol)
        if account_id is not None:
            stmt = stmt.where(PositionRow.account_id == account_id)
        with self._sessions() as s:
            out = [position_from_row(r) for r in s.execute(stmt).scalars()]
        return out if include_flat else [p for p in out if p.quantity != 0]
