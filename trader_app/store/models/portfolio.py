"""Positions, balances and the cash ledger."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..types import DecimalText
from .base import Base


class PositionRow(Base):
    """Net position per (account_id, symbol); a flat one (quantity 0) is kept for its realized PnL."""

    __tablename__ = "positions"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(64), primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    avg_price: Mapped[Decimal] = mapped_column(DecimalText)
    realized_pnl: Mapped[Decimal] = mapped_column(DecimalText)
    last_price: Mapped[Decimal | None] = mapped_column(DecimalText, nullable=True)
    updated_ms: Mapped[int] = mapped_column(BigInteger)


class BalanceRow(Base):
    """Cash per (account_id, currency)."""

    __tablename__ = "balances"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    currency: Mapped[str] = mapped_column(String(16), primary_key=True)
    total: Mapped[Decimal] = mapped_column(DecimalText)
    locked: Mapped[Decimal] = mapped_column(DecimalText)


class LedgerRow(Base):
    """One cash movement, unique by ``entry_id``; ``id`` keeps insertion order."""

    __tablename__ = "ledger"
    __table_args__ = (Index("ix_ledger_account_ts", "account_id", "ts_ms"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[str] = mapped_column(String(64))
    ts_ms: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(DecimalText)
    cash_before: Mapped[Decimal] = mapped_column(DecimalText)
    cash_after: Mapped[Decimal] = mapped_column(DecimalText)
    symbol: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[Decimal] = mapped_column(DecimalText)
    price: Mapped[Decimal] = mapped_column(DecimalText)
    client_order_id: Mapped[str] = mapped_column(String(64))
    trade_id: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text)
