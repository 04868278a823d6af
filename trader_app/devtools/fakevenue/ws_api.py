"""``WsApiServer``: the fake venue's WebSocket order entry, served by picows (a WebSocket library written in
Cython: https://picows.readthedocs.io) at ``ws://127.0.0.1:{port}/accounts/{a}/ws-api``, on its own port
beside the REST server, as Binance serves its WebSocket API on a host of its own (ws-api.binance.com).

Beside it, ``ws://127.0.0.1:{port}/accounts/{a}/stream`` is the account's private update stream (as a
venue's user-data stream): the venue pushes ``{"e": "order", "o": {...}}``, ``{"e": "fill", "f": {...}}``,
``{"e": "balance", "b": {...}}`` and ``{"e": "position", "p": {...}}`` as the account's orders change, also
for an order whose answer it dropped; a client never sends anything on it.

Wire format: Binance's WebSocket API request/response shape
(https://developers.binance.com/docs/binance-spot-api-docs/websocket-api/request-format), described in
``venue.py``. One connection per account; many requests in flight on it; each answered ``latency_s`` after
it arrived, in whatever order they finish.

Why picows and not the REST server's Starlette: the venue handles every account's order in turn on one
event loop, so its own cost per message delays the last account's answer. Measured here with 100
connections each sending one request the venue answers after 20 ms: 35.3 ms for all answers through
Starlette's WebSocket, 29.7 ms through this server (the client side the same), against one round trip of
21.5 ms. A real venue spreads its accounts over many machines; the fake one must not be the bottleneck the
bench measures.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import TYPE_CHECKING, Any

from picows import (
    WSCloseCode,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    WSUpgradeResponse,
    WSUpgradeResponseWithListener,
    ws_create_server,
)

from .ws_messages import MessageListener

if TYPE_CHECKING:
    from .venue import FakeVenue

log = logging.getLogger(__name__)

_PATH = re.compile(r"^/accounts/([^/?#]+)/ws-api/?(?:\?.*)?$")
_STREAM = re.compile(r"^/accounts/([^/?#]+)/stream/?(?:\?.*)?$")
_MAX_MESSAGE = 1 << 20
_BAD_REQUEST = {"code": "invalid", "msg": "a request is a JSON object with a string id and method and an object params"}


class _AccountSession(MessageListener):
    """One account's connection: answers each message after the latency."""

    max_message = _MAX_MESSAGE

    def __init__(self, venue: FakeVenue, account: str, open_sessions: set[WSTransport]) -> None:
        super().__init__()
        self.venue = venue
        self.account = account
        self._open = open_sessions
        self._loop = asyncio.get_running_loop()

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.venue.ws_connections += 1
        self._open.add(transport)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._open.discard(transport)

    def on_message(self, transport: WSTransport, data: bytes) -> None:
        try:
            msg = json.loads(data)
        except ValueError:
            msg = None
        rid = msg.get("id") if isinstance(msg, dict) else None
        params = msg.get("params", {}) if isinstance(msg, dict) else None
        if not isinstance(rid, str) or not isinstance(msg.get("method"), str) or not isinstance(params, dict):
            self._send(transport, {"id": None, "status": 400, "error": _BAD_REQUEST})
            return
        if self.venue.latency_s > 0:
            self._loop.call_later(self.venue.latency_s, self._answer, transport, rid, msg["method"], params)
        else:
            self._answer(transport, rid, msg["method"], params)

    def _answer(self, transport: WSTransport, rid: str, method: str, params: dict[str, Any]) -> None:
        if transport.is_disconnected:
            return  # the client left: nobody to answer (the venue did not act on it either)
        status, body = self.venue.ws_call(self.account, method, params)
        self._send(transport, {"id": rid, "status": status, "result": body} if status == 200 else
                   {"id": rid, "status": status, "error": {"code": body["code"], "msg": body["message"]}})

    @staticmethod
    def _send(transport: WSTransport, reply: dict[str, Any]) -> None:
        transport.send(WSMsgType.TEXT, json.dumps(reply, separators=(",", ":")).encode())


class _StreamSession(MessageListener):
    """One subscriber of an account's private stream: the venue writes to it (``FakeVenue.streams``)."""

    def __init__(self, venue: FakeVenue, account: str, open_sessions: set[WSTransport]) -> None:
        super().__init__()
        self.venue = venue
        self.account = account
        self._open = open_sessions

    def on_ws_connected(self, transport: WSTransport) -> None:
        self._open.add(transport)
        self.venue.streams.setdefault(self.account, set()).add(transport)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._open.discard(transport)
        self.venue.streams.get(self.account, set()).discard(transport)

    def on_message(self, transport: WSTransport, data: bytes) -> None:
        """Clients do not speak on the stream; whatever they send is ignored."""


class WsApiServer:
    """The WebSocket order entry of ``venue`` on ``host``:``port`` (0: a port the OS picks).

    ``await start()`` listens and returns the base URL (``ws://host:port``; an account's session is at
    ``{url}/accounts/{account}/ws-api``; any other path gets a 404 at the handshake). ``await stop()``
    closes the listener and every open connection (idempotent). Raises ``OSError`` if the port is taken.
    """

    def __init__(self, venue: FakeVenue, host: str = "127.0.0.1", port: int = 0) -> None:
        self.venue = venue
        self.host = host
        self.port = port
        self.url = ""
        self._server: asyncio.Server | None = None
        self._sessions: set[WSTransport] = set()

    async def start(self) -> str:
        def listener(request: WSUpgradeRequest) -> WSListener | WSUpgradeResponseWithListener:
            path = request.path.decode("latin-1")
            m = _PATH.match(path)
            if m is not None:
                return _AccountSession(self.venue, m.group(1), self._sessions)
            m = _STREAM.match(path)
            if m is not None:
                return _StreamSession(self.venue, m.group(1), self._sessions)
            return WSUpgradeResponseWithListener(
                WSUpgradeResponse.create_error_response(404, b"no such WebSocket API"), None)

        self._server = await ws_create_server(listener, self.host, self.port, max_frame_size=_MAX_MESSAGE,
                                              logger_name="fakevenue.ws")
        self.port = self._server.sockets[0].getsockname()[1]
        self.url = f"ws://{self.host}:{self.port}"
        return self.url

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        sessions = list(self._sessions)
        for transport in sessions:
            transport.send_close(WSCloseCode.GOING_AWAY)
            transport.disconnect()
        await asyncio.gather(*(t.wait_disconnected() for t in sessions), return_exceptions=True)
        await server.wait_closed()
