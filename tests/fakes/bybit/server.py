"""``FakeBybitServer``: the fake's REST app and its streams, each on a free 127.0.0.1 port, on the running loop."""

from __future__ import annotations

import contextlib

from trader_app.webhook.server import WebhookServer

from .streams import Streams
from .venue import FakeBybit


class FakeBybitServer:
    """``async with``; then ``rest_url`` and ``stream_url`` are the bases to point an adapter at."""

    def __init__(self, venue: FakeBybit | None = None, tick_s: float = 0.05) -> None:
        self.venue = venue or FakeBybit()
        self._rest = WebhookServer(None, "127.0.0.1", 0, app=self.venue.app())
        self.streams = Streams(self.venue, tick_s)

    @property
    def rest_url(self) -> str:
        return self._rest.url

    @property
    def stream_url(self) -> str:
        return self.streams.url

    async def __aenter__(self) -> "FakeBybitServer":
        await self._rest.start()
        await self.streams.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            await self.streams.stop()
        await self._rest.stop()
