"""``WsApiSession``: one account's request/response session over a WebSocket (the ``websockets`` library),
in the shape of Binance's WebSocket API (https://developers.binance.com/docs/binance-spot-api-docs/websocket-api/
request-format): requests ``{"id", "method", "params"}``, answers ``{"id", "status", "result"|"error"}``
matched to their request by ``id``, many in flight at once on one connection.

Why order entry goes over a WebSocket: a request on an open WebSocket costs tens of microseconds of CPU
against about a millisecond for an HTTP request through httpx, and that CPU is what a fan-out to a hundred
accounts pays a hundred times on one event loop (``trader-app bench fanout --order-entry rest|ws``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from ...core.errors import VenueUnavailable

log = logging.getLogger(__name__)


class WsApiSession:
    """Requests over one WebSocket at ``url`` (``ws://`` or ``wss://``).

    ``request(method, params)`` returns ``(status, body)``: ``status`` 200 with the ``result``, or the
    venue's error status with ``{"code", "message"}``. It connects on first use and again after the
    connection is lost (never resends a request: a request whose answer was lost raises, and the caller
    finds out what happened by asking the venue). Raises ``VenueUnavailable`` when the venue cannot be
    reached, the connection drops before the answer, or no answer comes within ``timeout_s`` seconds.
    Permessage-deflate is off: the frames are small and compressing them costs more CPU than it saves.
    """

    def __init__(self, url: str, *, timeout_s: float = 10.0, name: str = "venue") -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.name = name
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._connecting = asyncio.Lock()

    @property
    def connected(self) -> bool:
        return self._ws is not None

    async def connect(self) -> None:
        """Open the connection if it is not open. Raises ``VenueUnavailable`` if it cannot be opened."""
        async with self._connecting:
            if self._ws is not None:
                return
            try:
                async with asyncio.timeout(self.timeout_s):
                    ws = await websockets.connect(self.url, compression=None, max_size=2 ** 22,
                                                  open_timeout=None, ping_interval=20, ping_timeout=20)
            except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
                raise VenueUnavailable(f"{self.name} WebSocket unreachable: {type(exc).__name__}") from None
            self._ws = ws
            self._reader = asyncio.create_task(self._read(ws), name=f"{self.name}-ws-reader")

    async def close(self) -> None:
        """Close the connection; requests still waiting raise ``VenueUnavailable``. Idempotent."""
        ws, self._ws = self._ws, None
        if ws is not None:
            await ws.close()
        if self._reader is not None:
            reader, self._reader = self._reader, None
            await asyncio.gather(reader, return_exceptions=True)
        self._fail_pending("closed")

    async def request(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        """Send one request and wait for its answer (see the class docstring)."""
        if self._ws is None:
            await self.connect()
        ws = self._ws
        if ws is None:  # lost again between connecting and now
            raise VenueUnavailable(f"{self.name} WebSocket closed before {method} was sent")
        rid = str(next(self._ids))
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        try:
            try:
                await ws.send(json.dumps({"id": rid, "method": method, "params": params}))
            except ConnectionClosed:
                raise VenueUnavailable(f"{self.name} WebSocket closed before {method} was sent") from None
            try:
                async with asyncio.timeout(self.timeout_s):
                    answer = await future
            except TimeoutError:
                raise VenueUnavailable(f"{self.name} did not answer {method} within {self.timeout_s:g} s") from None
        finally:
            self._pending.pop(rid, None)
        status = int(answer.get("status", 0))
        if status == 200:
            return 200, answer.get("result")
        error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
        return status, {"code": str(error.get("code", "")), "message": str(error.get("msg", "refused"))}

    async def _read(self, ws: Any) -> None:
        reason = "closed by the venue"
        try:
            async for frame in ws:
                try:
                    answer = json.loads(frame)
                    future = self._pending.get(answer["id"])
                except (ValueError, TypeError, KeyError):
                    log.warning("%s: unreadable WebSocket frame ignored (%d bytes)", self.name, len(frame))
                    continue
                if future is not None and not future.done():
                    future.set_result(answer)
        except ConnectionClosed as exc:
            reason = f"connection lost ({exc.rcvd.code if exc.rcvd else 'no close frame'})"
        finally:
            if self._ws is ws:
                self._ws = None
            self._fail_pending(reason)

    def _fail_pending(self, reason: str) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(VenueUnavailable(f"{self.name} WebSocket {reason}; the answer was lost"))
        self._pending.clear()
