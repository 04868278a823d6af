"""Bars (OHLCV history) and the watchlist."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..types import DecimalText
from .base import Base


class BarRow(Base):
    """One bar, keyed by (venue, symbol, interval, open_time_ms); prices/volume as exact Decimal strings."""

    __tablename__ = "bars"

    venue: Mapped[str] = mapped_column(String(32), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(64), primary_key=True)
    interval: Mapped[str] = mapped_column(String(8), primary_key=True)
    open_time_ms: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    open: Mapped[Decimal] = mapped_column(DecimalText)
    high: Mapped[Decimal] = mapped_column(DecimalText)
    low: Mapped[Decimal] = mapped_column(DecimalText)
    close: Mapped[Decimal] = mapped_column(DecimalText)
    volume: Mapped[Decimal] = mapped_column(DecimalText)
    closed: Mapped[bool] = mapped_column(Boolean)


class WatchlistRow(Base):
    """The watchlist: ``position`` is the row's place in the list (0-based); ``symbol`` holds a market id
    (``core.instrument.market_id``: a bare symbol on the paper venue, ``venue:symbol`` elsewhere)."""

    __tablename__ = "watchlist"

    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    symbol: Mapped[str] = mapped_column(String(64), unique=True)
