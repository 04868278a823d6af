"""The event bus: publish/subscribe by event type on one asyncio loop.

- ``publish`` never blocks and never raises because of a handler: a handler that raises is logged and the
  other handlers still run (handlers are isolated).
- Sync handlers are called in subscription order inside ``publish``; coroutine handlers are scheduled as
  tasks on the running loop (their exceptions are logged too).
- Events are frozen dataclasses, so no handler can change what the next one sees.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Handler = Callable[[Any], Any]


class EventBus:
    """Type-keyed pub/sub. ``subscribe(QuoteEvent, fn)`` calls ``fn(event)`` for every ``QuoteEvent``
    (exact type match). Returns an unsubscribe callable.
    """

    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = defaultdict(list)
        self._tasks: set[asyncio.Task[Any]] = set()
        self.errors = 0  # handler exceptions so far (for tests and diagnostics)
        self.published = 0

    def subscribe(self, event_type: type, handler: Handler) -> Callable[[], None]:
        self._handlers[event_type].append(handler)

        def unsubscribe() -> None:
            try:
                self._handlers[event_type].remove(handler)
            except ValueError:
                pass

        return unsubscribe

    def publish(self, event: Any) -> None:
        """Deliver ``event`` to every handler of its type. Safe to call from any code on the loop thread."""
        self.published += 1
        for handler in tuple(self._handlers.get(type(event), ())):
            try:
                result = handler(event)
            except Exception:  # noqa: BLE001 - isolation is the contract
                self.errors += 1
                log.exception("event handler %r failed on %s", handler, type(event).__name__)
                continue
            if result is not None and inspect.isawaitable(result):  # sync handlers return None: skip the check
                self._schedule(result, handler, event)

    def _schedule(self, awaitable: Any, handler: Handler, event: Any) -> None:
        try:
            task = asyncio.ensure_future(awaitable)
        except RuntimeError:
            log.error("no running loop for async handler %r; %s dropped", handler, type(event).__name__)
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            return
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.errors += 1
            log.error("async event handler failed", exc_info=exc)

    async def drain(self) -> None:
        """Wait until every scheduled async handler has finished (used at shutdown and in tests)."""
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)
