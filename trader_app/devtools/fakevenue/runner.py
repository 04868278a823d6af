"""Running the bench's ``FakeVenueServer`` (REST on uvicorn and the WebSocket API on picows, 127.0.0.1, ports
the OS picks) in one of three places:

- ``process`` (the default of ``trader-app bench fanout``): a separate process (``multiprocessing`` spawn,
  so it also works in the frozen app). The venue's own CPU work (HTTP parsing, JSON, its books) runs on
  another interpreter and another core, as a remote venue's would: the bench measures only our side.
- ``thread``: a thread of this process with its own event loop: the venue shares our GIL, so its work
  competes with the executor's (it inflates the figures; kept for comparison).
- ``loop``: on the bench's own event loop (competes even more).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from decimal import Decimal
from typing import Any

from ...core.instrument import Instrument
from .server import FakeVenueServer
from .venue import FakeVenue

MODES = ("process", "thread", "loop")


def _serve_in_child(instruments: list[Instrument], prices: dict[str, Decimal], latency_s: float, cash: Decimal,
                    conn: Any) -> None:
    """Entry point of the venue process: serve until told to stop (or the parent's end of ``conn`` closes).
    Sends ``("urls", (url, ws_url))`` once listening, ``("error", text)`` if it cannot start."""

    async def main() -> None:
        server = FakeVenueServer(instruments=instruments, prices=prices, latency_s=latency_s, cash=cash)
        try:
            await server.start()
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
            return
        conn.send(("urls", (server.url, server.ws_url)))
        try:
            while server.running:
                if conn.poll(0):
                    try:
                        conn.recv()
                    except EOFError:
                        pass
                    break
                await asyncio.sleep(0.05)
        finally:
            await server.stop()

    asyncio.run(main())


class VenueRunner:
    """Starts and stops a ``FakeVenueServer`` in ``mode`` (see the module docstring).

    ``instruments``/``prices``/``latency_s``/``cash``: as ``FakeVenue`` takes them. ``await start()`` returns
    ``(url, ws_url)``, the REST and WebSocket API bases (raises ``RuntimeError`` if the venue could not
    start within 60 s); ``await stop()`` ends it (idempotent). ``venue``: the ``FakeVenue`` object for the
    in-process modes, None for ``process``.
    """

    def __init__(self, instruments: list[Instrument], prices: dict[str, Decimal], *, latency_s: float,
                 cash: Decimal, mode: str = "process") -> None:
        if mode not in MODES:
            raise ValueError(f"venue mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.mode = mode
        self._args = (list(instruments), dict(prices), latency_s, cash)
        self.venue: FakeVenue | None = None
        self.server: FakeVenueServer | None = None
        self._thread: threading.Thread | None = None
        self._thread_loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._process: Any = None
        self._conn: Any = None

    def _new_server(self) -> FakeVenueServer:
        instruments, prices, latency_s, cash = self._args
        server = FakeVenueServer(instruments=instruments, prices=prices, latency_s=latency_s, cash=cash)
        self.venue = server.venue
        return server

    async def start(self) -> tuple[str, str]:
        if self.mode == "process":
            return await self._start_process()
        if self.mode == "loop":
            self.server = self._new_server()
            await self.server.start()
            return self.server.url, self.server.ws_url

        def serve() -> None:
            async def main() -> None:
                self._thread_loop = asyncio.get_running_loop()
                self._stopped = asyncio.Event()
                self.server = self._new_server()
                try:
                    await self.server.start()
                finally:
                    self._started.set()
                await self._stopped.wait()
                await self.server.stop()

            try:
                asyncio.run(main())
            except BaseException as exc:  # noqa: BLE001 - reported by start()
                self._error = exc
                self._started.set()

        self._thread = threading.Thread(target=serve, name="fake-venue", daemon=True)
        self._thread.start()
        await asyncio.to_thread(self._started.wait, 30)
        if self._error is not None:
            raise self._error
        return self.server.url, self.server.ws_url

    async def _start_process(self) -> tuple[str, str]:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve_in_child, args=(*self._args, child), name="fake-venue",
                                    daemon=True)
        self._process.start()
        child.close()
        ready = await asyncio.to_thread(self._conn.poll, 60)
        if not ready:
            await self.stop()
            raise RuntimeError("the fake venue process did not start within 60 s")
        try:
            kind, value = self._conn.recv()
        except EOFError:
            kind, value = "error", f"exit code {self._process.exitcode}"
        if kind != "urls":
            await self.stop()
            raise RuntimeError(f"the fake venue process failed to start: {value}")
        return value

    async def stop(self) -> None:
        if self._process is not None:
            process, self._process = self._process, None
            try:
                self._conn.send("stop")
            except (OSError, ValueError):
                pass
            await asyncio.to_thread(process.join, 10)
            if process.is_alive():
                process.terminate()
                await asyncio.to_thread(process.join, 5)
            self._conn.close()
            return
        if self.server is None:
            return
        server, self.server = self.server, None
        if self.mode == "loop":
            await server.stop()
            return
        if self._thread_loop is not None and self._stopped is not None:
            self._thread_loop.call_soon_threadsafe(self._stopped.set)
        await asyncio.to_thread(self._thread.join, 10)
