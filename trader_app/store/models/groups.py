"""Strategy groups, account links, recorded signals and strategy instances."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..types import DecimalText, JSONText
from .base import Base


class StrategyGroupRow(Base):
    """A strategy group (the webhook token is NOT here: it lives in the keyring)."""

    __tablename__ = "strategy_groups"

    group_name: Mapped[str] = mapped_column(String(128), primary_key=True)
    market_type: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class AccountLinkRow(Base):
    """An account linked to a group; deleted with its group (ON DELETE CASCADE)."""

    __tablename__ = "account_links"

    group_name: Mapped[str] = mapped_column(
        String(128), ForeignKey("strategy_groups.group_name", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    weight: Mapped[Decimal] = mapped_column(DecimalText)
    leverage: Mapped[Decimal] = mapped_column(DecimalText)
    max_positions: Mapped[int] = mapped_column(Integer)


class SignalRow(Base):
    """A received signal with each account's outcome (JSON). ``id`` keeps arrival order."""

    __tablename__ = "signals"
    __table_args__ = (Index("ix_signals_ts", "ts_ms"), Index("ix_signals_idem_key", "idem_key"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    signal_id: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    group_name: Mapped[str] = mapped_column(String(128), index=True)
    payload: Mapped[Any] = mapped_column(JSONText)
    ts_ms: Mapped[int] = mapped_column(BigInteger)
    duplicate: Mapped[bool] = mapped_column(Boolean)
    results: Mapped[Any] = mapped_column(JSONText)
    idem_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    idem_expires_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class StrategyInstanceRow(Base):
    """A configured strategy instance with its parameters and persisted state (JSON)."""

    __tablename__ = "strategy_instances"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    strategy: Mapped[str] = mapped_column(String(128))
    group_name: Mapped[str] = mapped_column(String(128))
    symbols: Mapped[Any] = mapped_column(JSONText)
    interval: Mapped[str] = mapped_column(String(8))
    params: Mapped[Any] = mapped_column(JSONText)
    state: Mapped[Any] = mapped_column(JSONText)
    running: Mapped[bool] = mapped_column(Boolean)
