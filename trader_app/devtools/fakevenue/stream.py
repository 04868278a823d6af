"""``PrivateStream``: the adapter's end of the fake venue's private update stream
(``ws://host:port/accounts/{a}/stream``, ``ws_api.py``): order, fill, balance and position events as they
happen, over one picows connection that is re-opened whenever it drops.

On a drop it reports ``ConnectionUpdate(RECONNECTING)`` and reconnects with jittered exponential backoff
(tenacity: 50 ms doubling to at most 2 s, no limit on attempts while the adapter is open); once back it
reports ``ConnectionUpdate(CONNECTED)``, after which the order manager reconciles the account (the stream
does not replay what was sent while it was down). Events arrive in the venue's order; a repeated fill is
harmless downstream (fills are keyed by trade id).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from picows import WSTransport
from tenacity import AsyncRetrying, retry_if_exception_type, wait_random_exponential

from ...core.enums import SessionState
from ...core.errors import VenueUnavailable
from .ws_messages import MessageListener, open_websocket

log = logging.getLogger(__name__)


class _Events(MessageListener):
    def __init__(self, stream: PrivateStream) -> None:
        super().__init__()
        self.stream = stream

    def on_message(self, transport: WSTransport, data: bytes) -> None:
        try:
            event = json.loads(data)
        except ValueError:
            log.warning("%s: unreadable stream frame ignored (%d bytes)", self.stream.name, len(data))
            return
        if isinstance(event, dict):
            self.stream.on_event(event)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.stream._dropped(transport)  # noqa: SLF001 - the stream's own listener


class PrivateStream:
    """One account's private stream at ``url``. ``on_event(dict)`` gets every event; ``on_state(state,
    reason)`` every connection change after the first connect. ``await open()`` connects (raises
    ``VenueUnavailable``); ``await close()`` ends it for good (idempotent)."""

    def __init__(self, url: str, on_event: Callable[[dict[str, Any]], None],
                 on_state: Callable[[SessionState, str], None], *, name: str = "venue",
                 timeout_s: float = 10.0) -> None:
        self.url = url
        self.on_event = on_event
        self.on_state = on_state
        self.name = name
        self.timeout_s = timeout_s
        self._ws: WSTransport | None = None
        self._closing = False
        self._reconnect: asyncio.Task[None] | None = None
        self.reconnects = 0

    async def open(self) -> None:
        self._closing = False
        await self._connect()

    async def _connect(self) -> None:
        self._ws = await open_websocket(lambda: _Events(self), self.url, timeout_s=self.timeout_s,
                                        name=f"{self.name} stream", logger_name="fakevenue.stream")

    def _dropped(self, transport: WSTransport) -> None:
        if self._ws is not transport:
            return
        self._ws = None
        if self._closing:
            return
        self.on_state(SessionState.RECONNECTING, "private stream dropped")
        if self._reconnect is None or self._reconnect.done():
            self._reconnect = asyncio.ensure_future(self._reconnect_patiently())

    async def _reconnect_patiently(self) -> None:
        retrying = AsyncRetrying(wait=wait_random_exponential(multiplier=0.05, max=2.0),
                                 retry=retry_if_exception_type(VenueUnavailable), reraise=True)
        async for attempt in retrying:
            with attempt:
                if self._closing:
                    return
                await self._connect()
        self.reconnects += 1
        self.on_state(SessionState.CONNECTED, "")

    async def close(self) -> None:
        self._closing = True
        if self._reconnect is not None:
            self._reconnect.cancel()
            await asyncio.gather(self._reconnect, return_exceptions=True)
        ws, self._ws = self._ws, None
        if ws is not None:
            ws.send_close()
            ws.disconnect()
            await asyncio.gather(ws.wait_disconnected(), return_exceptions=True)
