"""``FakeVenueServer``: a fake venue's REST app (Starlette on uvicorn, through the product's ``WebhookServer``
runner) and its streams, each on a free 127.0.0.1 port, on the running loop. Each venue's fake subclasses it."""

from __future__ import annotations

import contextlib
from typing import Any

from trader_app.webhook.server import WebhookServer


class FakeVenueServer:
    """``async with`` (or ``await start()``); then ``rest_url`` and ``stream_url`` are the bases to point an
    adapter at. ``venue``: the fake (``venue.app()`` is its REST app); ``streams``: an object with ``url``,
    ``start()`` and ``stop()``."""

    def __init__(self, venue: Any, streams: Any) -> None:
        self.venue = venue
        self._rest = WebhookServer(None, "127.0.0.1", 0, app=venue.app())
        self.streams = streams

    @property
    def rest_url(self) -> str:
        return self._rest.url

    @property
    def stream_url(self) -> str:
        return self.streams.url

    async def start(self) -> None:
        await self._rest.start()
        await self.streams.start()

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self.streams.stop()
        await self._rest.stop()

    async def __aenter__(self) -> Any:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
