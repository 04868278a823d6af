"""Rate-limit budgets: fixed windows as the venue counts them, usage headers read back, 429 pause, 418 ban."""

from __future__ import annotations

import pytest

from trader_app.brokers.live.ratelimit import RateBudget, RateLimit, header_interval_ms
from trader_app.core.errors import RateLimited, VenueBanned


class Clock:
    def __init__(self, t: int = 1_700_000_000_000 - 1_700_000_000_000 % 60_000) -> None:
        self.t = t

    def __call__(self) -> int:
        return self.t


def test_binance_rate_limit_entries_and_header_suffixes():
    assert RateLimit.from_binance({"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
                                   "limit": 6000}) == RateLimit("REQUEST_WEIGHT", 60_000, 6000)
    assert RateLimit.from_binance({"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10,
                                   "limit": 100}) == RateLimit("ORDERS", 10_000, 100)
    with pytest.raises(ValueError):
        RateLimit.from_binance({"rateLimitType": "ORDERS", "interval": "WEEK", "intervalNum": 1, "limit": 1})
    assert [header_interval_ms(s) for s in ("1m", "10S", "1d", "x")] == [60_000, 10_000, 86_400_000, None]


async def test_weight_is_counted_per_window_and_the_venues_count_wins():
    clock = Clock()
    b = RateBudget("binance", "REQUEST_WEIGHT", [RateLimit("REQUEST_WEIGHT", 60_000, 100)], clock_ms=clock,
                   headroom=0.0, max_wait_s=0.0, order_reserve=0.0)
    await b.acquire(60)
    await b.acquire(40)
    assert b.used(60_000) == 100
    with pytest.raises(RateLimited) as err:
        await b.acquire(1)  # nothing waits: max_wait_s 0
    assert err.value.retry_after == 60.0
    clock.t += 60_000  # the next minute window
    await b.acquire(1)
    assert b.used(60_000) == 1
    b.observe({"X-MBX-USED-WEIGHT-1M": "90", "X-MBX-USED-WEIGHT": "90", "Content-Type": "x"}, "x-mbx-used-weight-")
    assert b.used(60_000) == 90  # another process on this IP spent more
    b.observe({"x-mbx-used-weight-1m": "5"}, "x-mbx-used-weight-")
    assert b.used(60_000) == 90  # a lower count never lowers ours


async def test_acquire_waits_for_the_next_window_when_it_is_close():
    clock = Clock()
    b = RateBudget("x", "ORDERS", [RateLimit("ORDERS", 1000, 2)], clock_ms=clock, headroom=0.0, max_wait_s=2.0)
    await b.acquire(order=True)
    await b.acquire(order=True)
    assert b.wait_s() == 1.0


def test_429_pauses_and_418_bans_every_request_until_it_lifts():
    clock = Clock()
    bans = []
    b = RateBudget("binance api", "REQUEST_WEIGHT", [RateLimit("REQUEST_WEIGHT", 60_000, 6000)], clock_ms=clock)
    b.ban_listeners.append(bans.append)
    b.pause(3)
    assert b.wait_s() == 3.0
    b.ban(120)
    assert bans == [clock.t + 120_000] and b.banned
    with pytest.raises(VenueBanned) as err:
        b.wait_s()
    assert err.value.until_ms == clock.t + 120_000 and err.value.retry_after == 120.0
    clock.t += 120_000
    assert not b.banned and b.wait_s() == 0


async def test_orders_go_first_reads_never_spend_the_order_reserve():
    """Issue 21, defect 3: a reconcile pass over 100 accounts (weight 80 each) spent the IP's minute and a
    100-account signal then got 20 orders through and 80 refused. Reads stop at 70 % of the limit (less the
    headroom); orders may use all of it."""
    clock = Clock()
    budget = RateBudget("binance", "REQUEST_WEIGHT", [RateLimit("REQUEST_WEIGHT", 60_000, 6000)], clock_ms=clock,
                        max_wait_s=0.0)
    reads = 0
    with pytest.raises(RateLimited):
        while True:
            await budget.acquire(80)  # the all-symbols openOrders of one account
            reads += 1
    assert reads == 49 and budget.used(60_000) == 3920  # 6000 x 0.95 x 0.7 = 3990: the 50th read would pass it
    for _ in range(100):  # the signal's 100 orders all go through in the same minute
        await budget.acquire(1, order=True)
    assert budget.used(60_000) == 4020
    with pytest.raises(RateLimited):
        await budget.acquire(6)  # still no read
    budget.take(5700 - 4020)
    with pytest.raises(RateLimited):
        await budget.acquire(1, order=True)  # an order stops only at the limit itself (less the 5 % headroom)
