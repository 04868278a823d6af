"""The order journal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from ...core.enums import OrderStatus, OrderType, Side, TimeInForce
from ...core.orders import Order
from ..models import OrderRow
from .base import Repository, Upsert

OPEN_STATUSES = tuple(s.value for s in OrderStatus if s.is_open)
_KEY = ("account_id", "client_order_id")


def order_values(o: Order) -> dict:
    return {
        "account_id": o.account_id,
        "client_order_id": o.client_order_id,
        "symbol": o.symbol,
        "side": o.side.value,
        "order_type": o.order_type.value,
        "quantity": o.quantity,
        "price": o.price,
        "stop_price": o.stop_price,
        "time_in_force": o.time_in_force.value,
        "status": o.status.value,
        "created_ms": o.created_ms,
        "updated_ms": o.updated_ms,
        "venue_order_id": o.venue_order_id,
        "filled_qty": o.filled_qty,
        "avg_fill_price": o.avg_fill_price,
        "reject_reason": o.reject_reason,
        "reduce_only": o.reduce_only,
        "signal_id": o.signal_id,
        "group_name": o.group_name,
        "triggered": o.triggered,
        "fill_ids": list(o.fill_ids),
        "quote_amount": o.quote_amount,
    }


_COLUMNS = (
    "account_id", "client_order_id", "symbol", "side", "order_type", "quantity", "price", "stop_price",
    "time_in_force", "status", "created_ms", "updated_ms", "venue_order_id", "filled_qty", "avg_fill_price",
    "reject_reason", "reduce_only", "signal_id", "group_name", "triggered", "fill_ids", "quote_amount",
)


def order_from_row(r: OrderRow) -> Order:
    return Order(
        account_id=r.account_id,
        client_order_id=r.client_order_id,
        symbol=r.symbol,
        side=Side(r.side),
        order_type=OrderType(r.order_type),
        quantity=r.quantity,
        price=r.price,
        stop_price=r.stop_price,
        time_in_force=TimeInForce(r.time_in_force),
        status=OrderStatus(r.status),
        created_ms=r.created_ms,
        updated_ms=r.updated_ms,
        venue_order_id=r.venue_order_id,
        filled_qty=r.filled_qty,
        avg_fill_price=r.avg_fill_price,
        reject_reason=r.reject_reason,
        reduce_only=r.reduce_only,
        signal_id=r.signal_id,
        group_name=r.group_name,
        triggered=r.triggered,
        fill_ids=tuple(r.fill_ids or ()),
        quote_amount=r.quote_amount,
    )


class OrderRepository(Repository):
    """``store.orders``: the journal, unique by (account_id, client_order_id)."""

    def __init__(self, sessions: Any) -> None:
        super().__init__(sessions)
        self._upsert = Upsert(sessions, OrderRow, _KEY, _COLUMNS)
        self._insert_new = Upsert(sessions, OrderRow, _KEY, _COLUMNS, replace=False)

    def save(self, order: Order) -> None:
        """Insert the order, or replace every field of the stored one with the same
        (account_id, client_order_id) (one ``INSERT .. ON CONFLICT DO UPDATE``; the row keeps its ``id``).
        The caller enforces the state machine (``Order.with_status``)."""
        self._upsert(order_values(order))

    def insert_new(self, order: Order) -> bool:
        """Journal a NEW client order id: insert the order and return True, or return False and change
        nothing if (account_id, client_order_id) is already stored (one ``INSERT .. ON CONFLICT DO NOTHING``)."""
        return self._insert_new(order_values(order))

    def save_many(self, orders: Iterable[Order]) -> None:
        """``save`` each order, in order, atomically (one executemany; the last version of an order wins)."""
        self._upsert.many([order_values(o) for o in orders])

    def insert_new_many(self, orders: Iterable[Order]) -> list[bool]:
        """``insert_new`` for several orders at once, atomically: one SELECT of the ids already journalled,
        then one executemany INSERT. Returns, per order, True if it was journalled now, False if its
        (account_id, client_order_id) existed (or came earlier in the same call): nothing changed for it."""
        return self._insert_new.many([order_values(o) for o in orders])

    def get(self, account_id: str, client_order_id: str) -> Order | None:
        with self._sessions() as s:
            stmt = select(OrderRow).filter_by(account_id=account_id, client_order_id=client_order_id)
            row = s.execute(stmt).scalar_one_or_none()
            return None if row is None else order_from_row(row)

    def find(self, client_order_id: str) -> Order | None:
        """The order with this client order id in any account (the newest if several accounts share it)."""
        with self._sessions() as s:
            stmt = (
                select(OrderRow)
                .filter_by(client_order_id=client_order_id)
                .order_by(OrderRow.created_ms.desc(), OrderRow.id.desc())
                .limit(1)
            )
            row = s.execute(stmt).scalar_one_or_none()
            return None if row is None else order_from_row(row)

    def by_client_order_ids(self, client_order_ids: Iterable[str]) -> dict[tuple[str, str], Order]:
        """``{(account_id, client_order_id): order}`` of the orders with those client order ids, in one
        indexed query per 500 ids (a report looks up every account's order of every signal)."""
        ids = sorted(set(client_order_ids))
        out: dict[tuple[str, str], Order] = {}
        with self._sessions() as s:
            for k in range(0, len(ids), 500):
                stmt = select(OrderRow).where(OrderRow.client_order_id.in_(ids[k:k + 500]))
                for row in s.execute(stmt).scalars():
                    out[(row.account_id, row.client_order_id)] = order_from_row(row)
        return out

    def list(
        self,
        account_id: str | None = None,
        status: OrderStatus | str | None = None,
        open_only: bool = False,
        group_name: str | None = None,
        signal_id: str | None = None,
        limit: int | None = None,
    ) -> list[Order]:
        """Orders matching every given filter, newest first (``created_ms`` descending, then insertion).

        ``open_only``: statuses that can still fill (PENDING_SUBMIT, NEW, PARTIALLY_FILLED).
        ``status`` accepts an ``OrderStatus`` or its value; an unknown value raises ``ValueError``.
        """
        stmt = select(OrderRow)
        if account_id is not None:
            stmt = stmt.where(OrderRow.account_id == account_id)
        if status is not None:
            stmt = stmt.where(OrderRow.status == OrderStatus(status).value)
        if open_only:
            stmt = stmt.where(OrderRow.status.in_(OPEN_STATUSES))
        if group_name is not None:
            stmt = stmt.where(OrderRow.group_name == group_name)
        if signal_id is not None:
            stmt = stmt.where(OrderRow.signal_id == signal_id)
        stmt = stmt.order_by(OrderRow.created_ms.desc(), OrderRow.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._sessions() as s:
            return [order_from_row(r) for r in s.execute(stmt).scalars()]
