"""Accounts, orders (the journal) and fills."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..types import DecimalText, JSONText
from .base import Base


class AccountRow(Base):
    """One trading account. ``id`` keeps creation order; ``settings`` non-secret adapter options (JSON)."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    broker: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(16))
    base_currency: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean)
    settings: Mapped[Any] = mapped_column(JSONText)


class OrderRow(Base):
    """An order as journalled. Unique by (account_id, client_order_id); ``id`` breaks ordering ties."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("account_id", "client_order_id"),
        Index("ix_orders_client_order_id", "client_order_id"),
        Index("ix_orders_account_status", "account_id", "status"),
        Index("ix_orders_created", "created_ms"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64))
    client_order_id: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(8))
    order_type: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    price: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)
    stop_price: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)
    time_in_force: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    updated_ms: Mapped[int] = mapped_column(BigInteger)
    venue_order_id: Mapped[str] = mapped_column(String(128))
    filled_qty: Mapped[Decimal] = mapped_column(DecimalText)
    avg_fill_price: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)
    reject_reason: Mapped[str] = mapped_column(Text)
    reduce_only: Mapped[bool] = mapped_column(Boolean)
    signal_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    group_name: Mapped[str | None] = mapped_column(String(128), nullable=True, index=True)
    triggered: Mapped[bool] = mapped_column(Boolean)
    fill_ids: Mapped[Any] = mapped_column(JSONText)
    quote_amount: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)


class FillRow(Base):
    """One execution. Unique by (account_id, trade_id): a repeated fill report is not stored twice."""

    __tablename__ = "fills"
    __table_args__ = (
        UniqueConstraint("account_id", "trade_id"),
        Index("ix_fills_order", "account_id", "client_order_id"),
        Index("ix_fills_ts", "ts_ms"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trade_id: Mapped[str] = mapped_column(String(128))
    account_id: Mapped[str] = mapped_column(String(64))
    client_order_id: Mapped[str] = mapped_column(String(64))
    symbol: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(8))
    price: Mapped[Decimal] = mapped_column(DecimalText)
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    commission: Mapped[Decimal] = mapped_column(DecimalText)
    commission_asset: Mapped[str] = mapped_column(String(16))
    ts_ms: Mapped[int] = mapped_column(BigInteger)
    venue_order_id: Mapped[str] = mapped_column(String(128))
