"""Retries for venue READS only (orders are never retried: see ``brokers/base.py``).

Exponential backoff with full jitter (tenacity ``wait_random_exponential``), at least the venue's
``retry_after`` on ``RateLimited``; only ``VenueUnavailable`` and ``RateLimited`` are retried, anything else
raises at once. After the last attempt the last error is re-raised.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, wait_random_exponential
from tenacity.wait import wait_base

from ..core.errors import RateLimited, VenueUnavailable

T = TypeVar("T")

RETRYABLE = (VenueUnavailable, RateLimited)


class wait_read_backoff(wait_base):
    """``wait_random_exponential(multiplier, max_s)``, raised to ``RateLimited.retry_after`` when given (seconds)."""

    def __init__(self, multiplier: float = 0.1, max_s: float = 5.0) -> None:
        self._jitter = wait_random_exponential(multiplier=multiplier, max=max_s)

    def __call__(self, retry_state: RetryCallState) -> float:
        delay = self._jitter(retry_state)
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, RateLimited):
            delay = max(delay, float(exc.retry_after))
        return delay


async def retry_read(
    fn: Callable[..., Awaitable[T]],
    *args: Any,
    attempts: int = 4,
    multiplier: float = 0.1,
    max_s: float = 5.0,
    **kwargs: Any,
) -> T:
    """Await ``fn(*args, **kwargs)``, retrying up to ``attempts`` times in all on ``VenueUnavailable`` or
    ``RateLimited`` with jittered exponential backoff (``multiplier`` seconds base, capped at ``max_s``).
    Use only for reads (instruments, balances, positions, open orders, query_order)."""
    async for attempt in AsyncRetrying(
        stop=stop_after_attempt(max(1, attempts)),
        wait=wait_read_backoff(multiplier, max_s),
        retry=retry_if_exception_type(RETRYABLE),
        reraise=True,
    ):
        with attempt:
            return await fn(*args, **kwargs)
    raise AssertionError("unreachable")  # pragma: no cover
