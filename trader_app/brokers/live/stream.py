"""``ManagedStream``: one venue WebSocket kept alive, the piece every live venue's streams are built on.

- **Reconnect**: a dropped connection is reopened at once; a failed attempt is retried with exponential
  backoff and jitter (tenacity ``wait_exponential_jitter``, ``backoff_initial_s`` up to ``backoff_max_s``), so a
  venue outage does not become a connection storm. Attempts pass the venue's ``ConnectGate`` (connections
  per IP per window) first.
- **Resubscribe**: ``on_open(stream)`` runs on every (re)connection before messages are delivered: the
  adapter subscribes its current streams or logs in there. Then ``on_state(CONNECTED)``; a drop reports
  ``RECONNECTING`` with the reason (the core reconciles the accounts on it after the next CONNECTED).
- **Ping/pong**: the ``websockets`` library answers the server's pings (Binance pings every 20 s and drops a
  client that does not pong within a minute) and sends its own every ``ping_interval_s``.
- **Stale detector**: no message for ``stale_after_s`` (a connection that is open but silent) is a drop.
- **Lifetime**: the connection is renewed before ``max_lifetime_s`` (Binance closes at 24 h).

Messages are JSON-decoded (or by the venue's ``decode``) and handed to ``on_message(obj)`` one at a time on the
loop; a handler that raises is logged and the stream goes on (a handler never kills the dispatcher). Venue hooks:
an app-level ``heartbeat`` (``{"op":"ping"}`` every 20 s), ``headers`` at each connect (a JWT), ``decode`` for frames
that are not JSON. Nothing here is venue-specific.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential_jitter
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from ...core.enums import SessionState
from .network import ConnectGate

log = logging.getLogger(__name__)


class StreamDropped(Exception):
    """Why the connection ended (reason text; never a secret)."""


class ManagedStream:
    """See the module docstring. ``url``: the address, or a callable giving it at each connection (a listen key
    that changes). ``name`` appears in logs and states."""

    def __init__(
        self,
        name: str,
        url: str | Callable[[], str],
        on_message: Callable[[Any], None],
        *,
        on_open: Callable[["ManagedStream"], Awaitable[None]] | None = None,
        on_state: Callable[[SessionState, str], None] | None = None,
        gate: ConnectGate | None = None,
        stale_after_s: float = 60.0,
        max_lifetime_s: float = 23.5 * 3600,
        ping_interval_s: float | None = 20.0,
        backoff_initial_s: float = 0.1,
        backoff_max_s: float = 30.0,
        open_timeout_s: float = 10.0,
        heartbeat: tuple[float, Callable[[], Any]] | None = None,
        headers: Callable[[], dict[str, str]] | None = None,
        decode: Callable[[str | bytes], Any] | None = None,
    ) -> None:
        self.name = name
        # venue hooks: an app-level heartbeat ``(every_s, message())`` sent while connected (a
        # {"op":"ping"} every 20 s); ``headers()`` for each connection (a fresh JWT); ``decode`` for frames that
        # are not JSON (KIS's "0|H0STCNT0|..." text); it returns None for a frame to skip
        self.heartbeat = heartbeat
        self.headers = headers
        self.decode = decode
        self._url = url
        self.on_message = on_message
        self.on_open = on_open
        self.on_state = on_state
        self.gate = gate
        self.stale_after_s = stale_after_s
        self.max_lifetime_s = max_lifetime_s
        self.ping_interval_s = ping_interval_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.open_timeout_s = open_timeout_s
        self.state = SessionState.DISCONNECTED
        self.connects = 0  # successful connections, the first included
        self.drops: list[str] = []  # reasons of the drops so far (last 100)
        self.messages = 0
        self._ws: ClientConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._closing = False

    # ---- lifecycle --------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start connecting in the background (idempotent)."""
        if self._task is None or self._task.done():
            self._closing = False
            self._task = asyncio.ensure_future(self._run())

    async def wait_connected(self, timeout_s: float = 10.0) -> None:
        """Wait for the connection (and its ``on_open``). Raises TimeoutError."""
        await asyncio.wait_for(self._connected.wait(), timeout_s)

    async def close(self) -> None:
        """Close the connection and stop reconnecting (idempotent)."""
        self._closing = True
        task, self._task = self._task, None
        ws = self._ws
        if ws is not None:
            await ws.close()
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._set_state(SessionState.DISCONNECTED, "closed")

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def send_json(self, obj: Any) -> None:
        """Send one JSON message. Raises StreamDropped when not connected (the caller's subscription is
        re-sent by ``on_open`` on the next connection anyway)."""
        ws = self._ws
        if ws is None or not self._connected.is_set():
            raise StreamDropped(f"{self.name} is not connected")
        try:
            await ws.send(json.dumps(obj, separators=(",", ":")))
        except ConnectionClosed as exc:
            raise StreamDropped(f"{self.name} closed while sending ({exc.rcvd.code if exc.rcvd else 'no code'})") from None

    async def drop(self) -> None:
        """Close the current connection as if the venue dropped it (it reconnects). For tests and for
        proactive renewal."""
        ws = self._ws
        if ws is not None:
            await ws.close()

    # ---- internals --------------------------------------------------------------------------------------
    def _set_state(self, state: SessionState, reason: str = "") -> None:
        if state is self.state and state is not SessionState.RECONNECTING:
            return
        self.state = state
        if self.on_state is not None:
            try:
                self.on_state(state, reason)
            except Exception:  # noqa: BLE001 - a listener's failure never stops the stream
                log.exception("%s: state listener failed", self.name)

    def url(self) -> str:
        return self._url() if callable(self._url) else self._url

    async def _open(self) -> ClientConnection:
        if self.gate is not None:
            await self.gate.wait()
        extra = self.headers() if self.headers is not None else None
        return await connect(self.url(), ping_interval=self.ping_interval_s, ping_timeout=self.ping_interval_s,
                             open_timeout=self.open_timeout_s, max_size=2**23, close_timeout=2,
                             additional_headers=extra)

    async def _connect(self) -> ClientConnection:
        retrying = AsyncRetrying(
            wait=wait_exponential_jitter(multiplier=self.backoff_initial_s, max=self.backoff_max_s),
            retry=retry_if_exception_type((OSError, InvalidHandshake, TimeoutError, ConnectionClosed, StreamDropped)),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    self._set_state(SessionState.RECONNECTING, f"attempt {attempt.retry_state.attempt_number}")
                ws = await self._open()
                self._ws = ws
                try:
                    if self.on_open is not None:
                        self._connected.set()  # on_open may send (subscribe, log on)
                        await self.on_open(self)
                except BaseException:
                    self._connected.clear()
                    await ws.close()
                    raise
                return ws
        raise AssertionError("unreachable")  # pragma: no cover

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._closing:
            try:
                ws = await self._connect()
            except InvalidURI:
                # the address is not repeated: a user-data URL carries the account's listen key
                self._set_state(SessionState.DOWN, "the stream's address is not a valid ws:// or wss:// URL")
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - reported; tenacity already waited between attempts
                self._set_state(SessionState.DOWN, type(exc).__name__ if isinstance(exc, InvalidHandshake)
                                else f"{type(exc).__name__}: {exc}")
                return
            self.connects += 1
            self._connected.set()
            self._set_state(SessionState.CONNECTED)
            beat = asyncio.ensure_future(self._beat()) if self.heartbeat is not None else None
            try:
                reason = await self._pump(ws, loop.time() + self.max_lifetime_s)
            finally:
                if beat is not None:
                    beat.cancel()
                    await asyncio.gather(beat, return_exceptions=True)
            self._connected.clear()
            self._ws = None
            self.drops = (self.drops + [reason])[-100:]
            if not self._closing:
                log.info("%s dropped (%s); reconnecting", self.name, reason)
                self._set_state(SessionState.RECONNECTING, reason)

    async def _beat(self) -> None:
        """The venue's app-level heartbeat while connected (a failed send ends it: the pump sees the drop)."""
        assert self.heartbeat is not None
        every, message = self.heartbeat
        while True:
            await asyncio.sleep(every)
            try:
                await self.send_json(message())
            except StreamDropped:
                return

    async def _pump(self, ws: ClientConnection, renew_at: float) -> str:
        loop = asyncio.get_running_loop()
        try:
            while True:
                left = renew_at - loop.time()
                if left <= 0:
                    await ws.close()
                    return "renewed before the venue's connection lifetime"
                try:
                    raw = await asyncio.wait_for(ws.recv(), min(self.stale_after_s, left))
                except TimeoutError:
                    if renew_at - loop.time() <= 0:
                        continue
                    await ws.close()
                    return f"stale: no message for {self.stale_after_s:g} s"
                self.messages += 1
                try:
                    obj = self.decode(raw) if self.decode is not None else json.loads(raw)
                except ValueError:
                    log.warning("%s: a message that could not be decoded was ignored", self.name)
                    continue
                if obj is None:
                    continue
                try:
                    self.on_message(obj)
                except Exception:  # noqa: BLE001 - one bad message never stops the stream
                    log.exception("%s: message handler failed", self.name)
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd else None
            return f"closed by the venue (code {code})" if code else "connection lost"
