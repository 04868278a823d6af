"""``PendingRequests``: requests sent on a venue WebSocket and their answers matched by id (Binance's WebSocket
API ``{"id", "status", "result"|"error"}``, a trade API's ``{"reqId", "retCode", "data"}``).

``ask`` registers a future under a fresh id, writes the request (``send(id)``) and awaits the answer up to
``timeout_s``; ``answer(id, value)`` (from the connection's message handler) resolves it; ``fail_all`` fails
every request still waiting when the connection drops (their answers will never come on it).
- not written (the connection is down): ``NotSent`` - nothing reached the venue, another route may be used;
- written but unanswered (timeout, drop): ``VenueUnavailable`` - for an order its outcome is unknown, and the
  core asks the venue; nothing is ever resent here.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

from ...core.errors import VenueUnavailable
from .stream import StreamDropped


class NotSent(VenueUnavailable):
    """The request was not written to the connection (not connected): nothing reached the venue."""


class PendingRequests:
    """Requests of one connection awaiting their answers (see the module docstring). ``venue`` names the venue
    in the errors; ``prefix`` starts every id (``rq-1``, ``rq-2``, ...)."""

    def __init__(self, venue: str, prefix: str = "rq") -> None:
        self.venue = venue
        self.prefix = prefix
        self._ids = itertools.count(1)
        self._waiting: dict[str, asyncio.Future[Any]] = {}

    def next_id(self) -> str:
        return f"{self.prefix}-{next(self._ids)}"

    async def ask(self, send: Callable[[str], Awaitable[None]], timeout_s: float) -> Any:
        """Write one request (``send(request_id)``) and return its answer (what ``answer`` was given). Raises
        ``NotSent`` when it could not be written, ``VenueUnavailable`` when no answer came in ``timeout_s``
        or the connection closed first."""
        rid = self.next_id()
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = fut
        try:
            try:
                await send(rid)
            except StreamDropped:
                raise NotSent(f"{self.venue}: the connection closed before the request was written") from None
            try:
                return await asyncio.wait_for(fut, timeout_s)
            except TimeoutError:
                raise VenueUnavailable(f"{self.venue} did not answer in time (WebSocket)") from None
        finally:
            self._waiting.pop(rid, None)

    def answer(self, request_id: Any, value: Any) -> bool:
        """Resolve the request ``request_id`` with ``value``; False when none waits under that id."""
        fut = self._waiting.get(request_id) if isinstance(request_id, str) else None
        if fut is None:
            return False
        if not fut.done():
            fut.set_result(value)
        return True

    def fail_all(self, reason: str = "the connection closed before the answer") -> None:
        """Every request still waiting fails with ``VenueUnavailable`` (the connection they were sent on is gone)."""
        waiting, self._waiting = self._waiting, {}
        for fut in waiting.values():
            if not fut.done():
                fut.set_exception(VenueUnavailable(f"{self.venue}: {reason}"))
