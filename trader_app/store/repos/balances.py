"""Cash balances."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from ...core.portfolio import Balance
from ..models import BalanceRow
from .base import Repository, Upsert


class BalanceRepository(Repository):
    """``store.balances``: one row per (account_id, currency)."""

    def __init__(self, sessions: Any) -> None:
        super().__init__(sessions)
        self._upsert = Upsert(sessions, BalanceRow, ("account_id", "currency"),
                              ("account_id", "currency", "total", "locked"))

    def save(self, balance: Balance) -> None:
        """Insert or replace the balance of (account_id, currency)."""
        values = {
            "account_id": balance.account_id,
            "currency": balance.currency,
            "total": balance.total,
            "locked": balance.locked,
        }
        self._upsert(values)

    def save_many(self, balances: Iterable[Balance]) -> None:
        """``save`` each balance, in order, atomically (one executemany)."""
        self._upsert.many([
            {"account_id": b.account_id, "currency": b.currency, "total": b.total, "locked": b.locked}
            for b in balances
        ])

    def list(self, account_id: str | None = None) -> list[Balance]:
        """Balances ordered by (account_id, currency)."""
        stmt = select(BalanceRow).order_by(BalanceRow.account_id, BalanceRow.currency)
        if account_id is not None:
            stmt = stmt.where(BalanceRow.account_id == account_id)
        with self._sessions() as s:
            return [
                Balance(account_id=r.account_id, currency=r.currency, total=r.total, locked=r.locked)
                for r in s.execute(stmt).scalars()
            ]
