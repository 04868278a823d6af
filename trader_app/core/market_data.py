"""Market data: quotes (top of book + last trade) and OHLCV bars."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .enums import Interval
from .money import ZERO


@dataclass(frozen=True, slots=True)
class Quote:
    """Top of book and last trade for one symbol at ``ts_ms`` (epoch ms, UTC).

    ``volume`` is the traded quantity of this tick (base units); ``day_open`` is the reference for change %.
    ``venue``: whose instrument it prices (the demo and replay markets price the paper venue's).
    """

    symbol: str
    ts_ms: int
    bid: Decimal
    ask: Decimal
    last: Decimal
    volume: Decimal = ZERO
    day_open: Decimal = ZERO
    venue: str = "paper"

    @property
    def mid(self) -> Decimal:
        return (self.bid + self.ask) / 2

    @property
    def change_pct(self) -> Decimal:
        """Change of ``last`` against ``day_open`` in percent (0 when unknown)."""
        if not self.day_open:
            return ZERO
        return (self.last - self.day_open) / self.day_open * 100


@dataclass(frozen=True, slots=True)
class Bar:
    """An OHLCV candle of ``symbol`` on ``venue``. ``open_time_ms`` is the bar's start (epoch ms, UTC);
    ``closed`` is False while it forms. Prices in the quote currency, volume in base units (Decimal)."""

    symbol: str
    interval: Interval
    open_time_ms: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    closed: bool = True
    venue: str = "paper"

    @property
    def close_time_ms(self) -> int:
        return self.open_time_ms + self.interval.ms
