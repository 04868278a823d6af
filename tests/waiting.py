"""Waiting in async tests for something the event loop will make true (a stream's message, a reconnect)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(check: Callable[[], object], seconds: float = 5.0, step_s: float = 0.02) -> bool:
    """Poll ``check`` every ``step_s`` until it is truthy or ``seconds`` have passed; returns its last value
    as a bool (assert on it, so a timeout fails the test with the line that waited)."""
    for _ in range(int(seconds / step_s)):
        if check():
            return True
        await asyncio.sleep(step_s)
    return bool(check())
