"""Venue reads are retried with jittered exponential backoff, only on VenueUnavailable / RateLimited."""

from __future__ import annotations

import pytest
from tenacity import RetryCallState

from trader_app.core import AuthError, RateLimited, VenueUnavailable
from trader_app.trading.retry import retry_read, wait_read_backoff


class Flaky:
    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self, value: str) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return value


async def test_transient_errors_are_retried_until_the_read_succeeds():
    fn = Flaky(VenueUnavailable("down"), RateLimited(retry_after=0.001))
    assert await retry_read(fn, "ok", attempts=4, multiplier=0.001) == "ok"
    assert fn.calls == 3


async def test_other_errors_are_not_retried():
    fn = Flaky(AuthError("bad key"))
    with pytest.raises(AuthError):
        await retry_read(fn, "ok", attempts=4, multiplier=0.001)
    assert fn.calls == 1


async def test_the_last_error_is_raised_after_the_last_attempt():
    fn = Flaky(*(VenueUnavailable(f"down {i}") for i in range(5)))
    with pytest.raises(VenueUnavailable, match="down 2"):
        await retry_read(fn, "ok", attempts=3, multiplier=0.001)
    assert fn.calls == 3


@pytest.mark.parametrize("attempt", [1, 2, 3, 6])
def test_backoff_is_jittered_exponential_capped_and_at_least_retry_after(attempt):
    wait = wait_read_backoff(multiplier=0.1, max_s=2.0)
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    state.set_exception((VenueUnavailable, VenueUnavailable("x"), None))
    delays = [wait(state) for _ in range(50)]
    assert all(0 <= d <= min(2.0, 0.1 * 2 ** attempt) for d in delays)
    state.set_exception((RateLimited, RateLimited(retry_after=3.5), None))
    assert all(wait(state) == 3.5 for _ in range(20))  # the venue's retry_after wins over a shorter jitter
