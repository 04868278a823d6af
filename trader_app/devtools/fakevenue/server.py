"""``FakeVenueServer``: one ``FakeVenue`` served on 127.0.0.1: its REST API (Starlette on uvicorn) and its
WebSocket order entry (``WsApiServer``, picows), each on a port the OS picks, on the running event loop."""

from __future__ import annotations

import contextlib
from decimal import Decimal

from ...core.instrument import Instrument
from .venue import FakeVenue
from .ws_api import WsApiServer


class FakeVenueServer:
    """Serves ``venue`` (or a new ``FakeVenue`` built from ``instruments``, ``prices``, ``latency_s`` and
    ``cash``, as ``FakeVenue`` takes them).

    ``await start()`` listens on both ports; then ``url`` is the REST base (``http://127.0.0.1:port``) and
    ``ws_url`` the WebSocket API base (``ws://127.0.0.1:port``; an account's session is
    ``{ws_url}/accounts/{account}/ws-api``). ``await stop()`` closes both (idempotent). Raises
    ``ConfigError``/``OSError`` when a port cannot be bound.
    """

    def __init__(self, venue: FakeVenue | None = None, *, instruments: list[Instrument] | None = None,
                 prices: dict[str, Decimal] | None = None, latency_s: float = 0.02,
                 cash: Decimal = Decimal("100000"), host: str = "127.0.0.1") -> None:
        from ...webhook.server import WebhookServer

        self.venue = venue if venue is not None else FakeVenue(instruments or [], prices or {}, latency_s=latency_s,
                                                               cash=cash)
        self._rest = WebhookServer(None, host, 0, app=self.venue.app)
        self._ws = WsApiServer(self.venue, host, 0)

    @property
    def url(self) -> str:
        return self._rest.url

    @property
    def ws_url(self) -> str:
        return self._ws.url

    @property
    def running(self) -> bool:
        return self._rest.running

    async def start(self) -> None:
        await self._rest.start()
        try:
            await self._ws.start()
        except BaseException:
            await self._rest.stop()
            raise

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self._ws.stop()
        await self._rest.stop()
