"""What the conformance scenarios need of a venue: its fake on 127.0.0.1 and the faults the venue really
produces, behind one small interface (``VenueHarness``). Each venue's harness lives beside this file; a venue is
added to ``HARNESSES`` once it passes every scenario of ``test_conformance.py`` (a scenario that does not apply
to a venue, such as a session expiry on a venue without sessions, is skipped with the reason)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from decimal import Decimal
from typing import Any, Protocol


class VenueHarness(Protocol):
    """One venue's fake and adapters. ``symbol``: a listed instrument (``BTC/USDT``) with ``qty`` a valid
    order quantity and ``rest_price`` a LIMIT BUY price that rests; ``sessions``: the venue has a session or
    token that expires (None: why the session scenario does not apply)."""

    name: str
    symbol: str
    qty: Decimal
    rest_price: Decimal
    no_sessions_reason: str | None

    def running(self) -> AbstractAsyncContextManager[Any]:
        """The fake, started (``async with``), with one funded account."""

    def adapter(self, account_id: str = "acc1") -> Any:
        """A new adapter of the funded account (a second one is the app after a restart)."""

    async def close_adapter(self, broker: Any) -> None:
        """Close the adapter and what it shares (networks, public feeds)."""

    def lose_next_answer(self) -> None:
        """The next order is taken by the venue but its answer never reaches us."""

    def not_found_for(self, seconds: float) -> None:
        """Queries answer "does not exist" for ``seconds`` after an order was accepted (the venue's lag)."""

    def fail_next(self, status: int, retry_after_s: int) -> None:
        """The next request is answered with HTTP ``status`` (429 rate limit, 418 ban) and ``Retry-After``."""

    def part_fill_next(self, fraction: Decimal) -> None:
        """The next marketable LIMIT order fills only ``fraction`` of what is left and stays open."""

    def move_price(self, price: Decimal) -> None:
        """The venue's price of ``symbol`` moves (resting orders that now cross fill)."""

    async def drop_streams(self) -> None:
        """Every stream connection of the fake is cut."""

    def expire_session(self) -> None:
        """The account's session or token expires now (venues with sessions only)."""

    def requests_sent(self) -> int:
        """Requests the fake has received so far (nothing may be sent while banned)."""

    def orders_placed(self) -> int:
        """Orders the fake has accepted (a lost answer must not become two orders)."""
