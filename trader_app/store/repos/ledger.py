"""The cash ledger."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from ...core.enums import LedgerKind
from ...core.portfolio import LedgerEntry
from ..models import LedgerRow
from .base import Repository, Upsert

_FIELDS = (
    "entry_id",
    "account_id",
    "ts_ms",
    "currency",
    "amount",
    "cash_before",
    "cash_after",
    "symbol",
    "quantity",
    "price",
    "client_order_id",
    "trade_id",
    "note",
)


def _values(entry: LedgerEntry) -> dict:
    values = {name: getattr(entry, name) for name in _FIELDS}
    values["kind"] = entry.kind.value
    return values


class LedgerRepository(Repository):
    """``store.ledger``: append-only, idempotent by ``entry_id``."""

    def __init__(self, sessions: Any) -> None:
        super().__init__(sessions)
        self._insert = Upsert(sessions, LedgerRow, ("entry_id",), ("kind", *_FIELDS), replace=False)

    def add(self, entry: LedgerEntry) -> bool:
        """Append the entry. Returns False, changing nothing, if ``entry_id`` is already stored
        (one ``INSERT .. ON CONFLICT DO NOTHING``)."""
        return self._insert(_values(entry))

    def add_many(self, entries: Iterable[LedgerEntry]) -> list[bool]:
        """``add`` several entries atomically (one SELECT, one executemany). Returns, per entry, True if
        stored now, False if its ``entry_id`` was stored already or came earlier in the same call."""
        return self._insert.many([_values(e) for e in entries])

    def list(self, account_id: str | None = None, limit: int | None = None) -> list[LedgerEntry]:
        """Entries newest first (``ts_ms`` descending, then insertion order)."""
        stmt = select(LedgerRow)
        if account_id is not None:
            stmt = stmt.where(LedgerRow.account_id == account_id)
        stmt = stmt.order_by(LedgerRow.ts_ms.desc(), LedgerRow.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._sessions() as s:
            return [
                LedgerEntry(kind=LedgerKind(r.kind), **{name: getattr(r, name) for name in _FIELDS})
                for r in s.execute(stmt).scalars()
            ]
