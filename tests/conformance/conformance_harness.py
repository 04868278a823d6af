"""What the conformance scenarios need of a venue: its fake on 127.0.0.1 and the faults the venue really
produces, behind one small interface (``VenueHarness``). Each venue's harness lives beside this file; a venue is
added to ``HARNESSES`` once it passes every scenario of ``test_conformance.py`` (a scenario that does not apply
to a venue, such as a session expiry on a venue without sessions, is skipped with the reason)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from decimal import Decimal
from typing import Any, Protocol

from adapter_updates import close_adapter


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


class FakeHarness:
    """What every harness over a fake venue server shares: the fake's fault switches and counters. A harness sets
    ``wire_symbol`` (the fake's name of ``symbol``), ``ban_status`` (the HTTP status of the venue's IP ban: 418, or
    Bybit's 403) and, where the fake keeps its orders apart from the venue object, overrides ``book``."""

    wire_symbol = ""
    ban_status = 418

    def __init__(self) -> None:
        self.fake: Any = None

    def book(self) -> Any:
        """The object holding the fake's orders and order faults (``lose_next_answers``, ``not_found_s``,
        ``part_fill``, ``placed``)."""
        return self.fake.venue

    async def close_adapter(self, broker: Any) -> None:
        await close_adapter(broker)

    def lose_next_answer(self) -> None:
        self.book().lose_next_answers = 1

    def not_found_for(self, seconds: float) -> None:
        self.book().not_found_s = seconds

    def fail_next(self, status: int, retry_after_s: int) -> None:
        faults = self.fake.venue.faults
        faults.status, faults.count, faults.retry_after_s = (self.ban_status if status == 418 else status), 1, retry_after_s

    def part_fill_next(self, fraction: Decimal) -> None:
        self.book().part_fill = fraction

    def move_price(self, price: Decimal) -> None:
        self.fake.venue.set_price(self.wire_symbol, price)

    async def drop_streams(self) -> None:
        await self.fake.streams.drop_all()

    def requests_sent(self) -> int:
        return len(self.fake.venue.requests)

    def orders_placed(self) -> int:
        return self.book().placed
