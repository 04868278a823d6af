"""``MessageListener``: a picows listener that hands on whole messages, for both ends of the WebSocket order
entry and the private stream (the venue's ``ws_api.py``, the adapter's ``ws_session.py`` and ``stream.py``);
``open_websocket``: the adapter side's connect, shared by the order-entry session and the private stream.

picows delivers frames, not messages (https://picows.readthedocs.io/en/stable/guides.html): this joins a
fragmented message (a TEXT/BINARY frame without FIN, then CONTINUATION frames up to the one with FIN,
RFC 6455 section 5.4), answers the peer's CLOSE with a CLOSE and disconnects (section 5.5.1), and drops a
connection whose message grows past ``max_message`` bytes with close code 1009. PING is answered by picows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from picows import WSCloseCode, WSError, WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from ...core.errors import VenueUnavailable

_DATA = (WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION)


class MessageListener(WSListener):
    """Subclasses implement ``on_message(transport, data)``; ``max_message``: the largest message accepted,
    in bytes."""

    max_message = 1 << 22

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []
        self._size = 0

    def on_message(self, transport: WSTransport, data: bytes) -> None:
        """One whole message (``data``: its payload bytes). The hook each end defines: the venue's
        ``_AccountSession`` answers the request, the adapter's ``_Answers`` resolves the waiting future.
        The base class has no use for a message, so reaching this is a programming error."""
        raise NotImplementedError(f"{type(self).__name__} must define on_message")

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind is WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()
            return
        if kind not in _DATA:
            return  # PING is answered by picows; PONG needs nothing
        if kind is not WSMsgType.CONTINUATION:
            self._parts.clear()
            self._size = 0
        payload = frame.get_payload_as_bytes()
        self._size += len(payload)
        if self._size > self.max_message:
            self._parts.clear()
            self._size = 0
            transport.send_close(WSCloseCode.MESSAGE_TOO_BIG, b"message too big")
            transport.disconnect()
            return
        if frame.fin and not self._parts:
            self.on_message(transport, payload)  # the usual case: one frame, one message
            return
        self._parts.append(payload)
        if frame.fin:
            data = b"".join(self._parts)
            self._parts.clear()
            self._size = 0
            self.on_message(transport, data)


async def open_websocket(factory: Callable[[], WSListener], url: str, *, timeout_s: float, name: str,
                         logger_name: str, max_frame_size: int = 2 ** 22) -> WSTransport:
    """Open a client WebSocket to ``url`` with ``factory``'s listener (picows ``ws_connect``), pinging after
    20 s without traffic and dropping the connection when no pong comes within 20 s. Raises
    ``VenueUnavailable`` naming ``name`` when it cannot be opened within ``timeout_s`` or closes at once."""
    try:
        async with asyncio.timeout(timeout_s):
            transport, _ = await ws_connect(factory, url, max_frame_size=max_frame_size,
                                            websocket_handshake_timeout=timeout_s, enable_auto_ping=True,
                                            auto_ping_idle_timeout=20, auto_ping_reply_timeout=20,
                                            logger_name=logger_name)
    except (OSError, TimeoutError, WSError) as exc:
        raise VenueUnavailable(f"{name} unreachable: {type(exc).__name__}") from None
    if transport.is_disconnected:
        raise VenueUnavailable(f"{name} closed as it opened")
    return transport
