"""``FakeVenueServer``: a fake venue's REST app (Starlette on uvicorn, through the product's ``WebhookServer``
runner) and its streams, each on a free 127.0.0.1 port, on the running loop. Each venue's fake subclasses it."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.server import serve

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


@dataclass
class Faults:
    """A fake venue's injected faults: the next ``count`` requests answered HTTP ``status`` (with ``Retry-After``
    ``retry_after_s`` where the venue sends one), its clock ``timestamp_skew_ms`` off, every answer ``delay_s`` late."""

    status: int = 0
    count: int = 0
    retry_after_s: int = 1
    timestamp_skew_ms: int = 0
    delay_s: float = 0.0


class WsServing:
    """A fake venue's WebSocket server on 127.0.0.1 (a free port; ``url`` after ``start()``) with a push loop:
    a subclass gives ``_handle(ws)`` (one connection) and ``_push_loop()`` (market data every tick)."""

    _server: Any = None
    _pusher: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = next(iter(self._server.sockets)).getsockname()[:2]
        return f"ws://{host}:{port}"

    async def start(self) -> None:
        self._server = await serve(self._handle, "127.0.0.1", 0, ping_interval=20)
        self._pusher = asyncio.ensure_future(self._push_loop())

    async def stop(self) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
            await asyncio.gather(self._pusher, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    def connections(self) -> list[Any]:
        """Every open connection of the fake's streams."""
        raise NotImplementedError

    async def drop_all(self) -> None:
        """Cut every connection (a network drop)."""
        for ws in self.connections():
            with contextlib.suppress(Exception):
                await ws.close(1011, "dropped by the test")

    async def _handle(self, ws: Any) -> None:
        raise NotImplementedError

    async def _push_loop(self) -> None:
        raise NotImplementedError


def run_bench_fake(prog: str, server_of: Any) -> None:
    """The ``__main__`` of a fake run in its own process by the benches: ``python -m fakes.<venue> --accounts N
    --latency-ms L [--order-limit O] [--weight-limit W]``. ``server_of(args)`` builds the fake's server with N bench
    accounts (``bench-key-<i>`` / ``bench-secret-<i>``) and the answers delayed L ms (the limits are the fake
    Binance's; other fakes ignore them); it prints one JSON line ``{"rest": url, "stream": url}`` and serves until
    its standard input closes."""
    import argparse
    import json
    import sys

    p = argparse.ArgumentParser(prog=prog)
    p.add_argument("--accounts", type=int, default=1)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--order-limit", type=int, default=0, help="ORDERS per 10 s the fake Binance declares (0: 100)")
    p.add_argument("--weight-limit", type=int, default=0, help="REQUEST_WEIGHT per minute of the fake Binance")
    args = p.parse_args()

    async def serve_until_stdin_closes() -> None:
        async with server_of(args) as server:
            print(json.dumps({"rest": server.rest_url, "stream": server.stream_url}), flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

    asyncio.run(serve_until_stdin_closes())
