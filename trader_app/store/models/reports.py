"""Daily/weekly reports and the risk events they list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..types import JSONText
from .base import Base


class ReportRow(Base):
    """One report: ``period`` ("daily"/"weekly"), ``scope`` ("all", "account:ID", "group:NAME"), the period
    ``[start_ms, end_ms)`` (epoch ms UTC), the report's numbers (JSON, ``reports/`` builds them) and its HTML
    page. Unique by (period, scope, start_ms): making the same report again replaces it."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("period", "scope", "start_ms"), Index("ix_reports_created", "created_ms"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(200))
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    metrics: Mapped[Any] = mapped_column(JSONText)
    html: Mapped[str] = mapped_column(Text)


class RiskEventRow(Base):
    """A kill switch tripped or reset on an account (``kind`` "kill_switch_tripped"/"kill_switch_reset") at
    ``ts_ms`` (epoch ms UTC), with its reason. Rejected orders are in the orders journal."""

    __tablename__ = "risk_events"
    __table_args__ = (Index("ix_risk_events_ts", "ts_ms"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ts_ms: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
