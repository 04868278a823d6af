"""One running strategy instance of the live runner: its per-symbol strategies, windows and books."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from ..core.enums import MarketType
from ..core.groups import StrategyInstanceRecord
from .base import Strategy
from .live import BarWindow, LiveBook, LiveContext

WINDOW_MIN = 500
WINDOW_WARMUP_FACTOR = 10
_REFUSED = {"REJECTED", "ERROR", "FAILED", "CANCELLED", "EXPIRED", "SKIPPED"}


def window_size(strategy: Strategy) -> int:
    """Bars kept live: ``max(500, 10 x warmup)`` so EMA-based indicators (RSI, MACD) have converged."""
    return max(WINDOW_MIN, WINDOW_WARMUP_FACTOR * strategy.warmup())


@dataclass
class SymbolSlot:
    """One symbol of an instance: its strategy object, rolling window and book."""

    symbol: str
    strategy: Strategy
    window: BarWindow
    book: LiveBook = field(default_factory=LiveBook)

    @property
    def last_price(self) -> float:
        data = self.window
        return float(data._cols[3][-1]) if len(data) else 0.0

    def bind(self, ctx: LiveContext) -> None:
        self.strategy.bind(ctx, self.window.data())


class LiveInstance:
    """A running instance: ``record`` (as stored), ``slots`` per symbol, a FIFO ``queue`` of bar / tick /
    fill / job items handled by one worker task, scheduler ``jobs``, the last ``error``."""

    def __init__(self, record: StrategyInstanceRecord, market_type: MarketType) -> None:
        self.record = record
        self.name = record.name
        self.market_type = market_type
        self.slots: dict[str, SymbolSlot] = {}
        self.queue: asyncio.Queue[tuple[str, str, Any]] = asyncio.Queue()
        self.task: asyncio.Future[Any] | None = None
        self.jobs: list[Any] = []
        self.error = ""
        self.last_signal: dict[str, Any] = {}

    def add_symbol(self, symbol: str, strategy: Strategy) -> SymbolSlot:
        saved = (self.record.state.get("symbols") or {}).get(symbol, {})
        slot = SymbolSlot(symbol, strategy, BarWindow(symbol, window_size(strategy)), LiveBook.from_json(saved.get("book")))
        strategy.set_state(saved.get("strategy") or {})
        self.slots[symbol] = slot
        return slot

    def persisted_state(self) -> dict[str, Any]:
        """JSON state saved in ``store.strategy_instances``: per symbol the book and the strategy's
        ``state_fields``; the last error and signal."""
        return {
            "symbols": {
                s: {"book": slot.book.to_json(), "strategy": slot.strategy.get_state(),
                    "last_bar_ms": slot.window.last_time_ms}
                for s, slot in self.slots.items()
            },
            "error": self.error,
            "last_signal": self.last_signal,
        }

    def visible_state(self) -> dict[str, Any]:
        """For the Strategies panel and the watchlist: per symbol position, entry price, last bar time and,
        for strategies with ``trailing_state()`` (rsi_macd), ``trail_high``/``trail_stop``/``armed``."""
        symbols: dict[str, Any] = {}
        for s, slot in self.slots.items():
            entry: dict[str, Any] = {"position": slot.book.qty, "avg_price": slot.book.avg_price,
                                     "last_bar_ms": slot.window.last_time_ms}
            trailing = getattr(slot.strategy, "trailing_state", None)
            if trailing is not None and slot.strategy.data is not None:
                ctx = slot.strategy._ctx
                slot.strategy._ctx = LiveContext(s, self.market_type, slot.book, slot.last_price, None)
                try:
                    entry["trailing"] = trailing()
                finally:
                    slot.strategy._ctx = ctx
            symbols[s] = entry
        return {"strategy": self.record.strategy, "group_name": self.record.group_name,
                "interval": self.record.interval.value, "params": dict(self.record.params),
                "symbols": symbols, "last_signal": self.last_signal}


def _results(outcome: Any) -> list[Any]:
    return list(getattr(outcome, "results", None) or (outcome.get("results", []) if isinstance(outcome, dict) else []))


def _get(r: Any, key: str) -> Any:
    return r.get(key) if isinstance(r, dict) else getattr(r, key, None)


def _status(r: Any) -> str:
    s = _get(r, "status")
    return str(getattr(s, "value", s) or "").upper()


def outcome_accepted(outcome: Any) -> bool:
    """True when at least one account's result is not a refusal (REJECTED, ERROR, ...)."""
    if getattr(outcome, "duplicate", False):
        return False
    return any(_status(r) not in _REFUSED for r in _results(outcome))


def outcome_summary(outcome: Any) -> dict[str, Any]:
    """``{"accounts", "accepted", "errors": [...]}`` of an executor outcome (JSON-able)."""
    results = _results(outcome)
    errors = [f"{_get(r, 'account_id')}: {_get(r, 'error') or _status(r)}" for r in results if _status(r) in _REFUSED]
    return {"accounts": len(results), "accepted": len(results) - len(errors), "errors": errors[:10],
            "duplicate": bool(getattr(outcome, "duplicate", False))}
