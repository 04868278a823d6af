"""Helpers for the window tests (imported by name: tests/ui is on sys.path while its tests run)."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from trader_app.core.events import QuoteEvent
from trader_app.core.market_data import Quote


async def until(predicate, timeout_s: float = 10.0, step_s: float = 0.02) -> None:
    """Await until ``predicate()`` holds; fail the test after ``timeout_s`` (a hang guard, not a timing test)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(step_s)


def publish_quote(services, symbol: str, bid: str, ask: str, last: str | None = None, volume: str = "1") -> Quote:
    """Publish one exact quote on the bus (the paper venue, portfolio and window all take it)."""
    q = Quote(symbol, int(time.time() * 1000), Decimal(bid), Decimal(ask), Decimal(last or ask), Decimal(volume),
              Decimal(bid))
    services.bus.publish(QuoteEvent(q))
    return q
