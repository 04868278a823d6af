"""Fills (executions)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from ...core.enums import Side
from ...core.orders import Fill
from ..models import FillRow
from .base import Repository, Upsert


_COLUMNS = ("trade_id", "account_id", "client_order_id", "symbol", "side", "price", "quantity", "commission",
            "commission_asset", "ts_ms", "venue_order_id")


def _values(fill: Fill) -> dict:
    return {
        "trade_id": fill.trade_id,
        "account_id": fill.account_id,
        "client_order_id": fill.client_order_id,
        "symbol": fill.symbol,
        "side": fill.side.value,
        "price": fill.price,
        "quantity": fill.quantity,
        "commission": fill.commission,
        "commission_asset": fill.commission_asset,
        "ts_ms": fill.ts_ms,
        "venue_order_id": fill.venue_order_id,
    }


def fill_from_row(r: FillRow) -> Fill:
    return Fill(
        trade_id=r.trade_id,
        account_id=r.account_id,
        client_order_id=r.client_order_id,
        symbol=r.symbol,
        side=Side(r.side),
        price=r.price,
        quantity=r.quantity,
        commission=r.commission,
        commission_asset=r.commission_asset,
        ts_ms=r.ts_ms,
        venue_order_id=r.venue_order_id,
    )


class FillRepository(Repository):
    """``store.fills``: idempotent by (account_id, trade_id)."""

    def __init__(self, sessions: Any) -> None:
        super().__init__(sessions)
        self._insert = Upsert(sessions, FillRow, ("account_id", "trade_id"), _COLUMNS, replace=False)

    def add(self, fill: Fill) -> bool:
        """Store the fill. Returns False, changing nothing, if (account_id, trade_id) is already stored
        (one ``INSERT .. ON CONFLICT DO NOTHING``)."""
        return self._insert(_values(fill))

    def add_many(self, fills: Iterable[Fill]) -> list[bool]:
        """``add`` several fills atomically (one SELECT, one executemany). Returns, per fill, True if stored
        now, False if (account_id, trade_id) was stored already or came earlier in the same call."""
        return self._insert.many([_values(f) for f in fills])

    def list(self, account_id: str | None = None, client_order_id: str | None = None, limit: int | None = None) -> list[Fill]:
        """Fills, newest first (``ts_ms`` descending, then insertion order)."""
        stmt = select(FillRow)
        if account_id is not None:
            stmt = stmt.where(FillRow.account_id == account_id)
        if client_order_id is not None:
            stmt = stmt.where(FillRow.client_order_id == client_order_id)
        stmt = stmt.order_by(FillRow.ts_ms.desc(), FillRow.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._sessions() as s:
            return [fill_from_row(r) for r in s.execute(stmt).scalars()]
