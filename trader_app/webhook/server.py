"""``WebhookServer``: the FastAPI app on uvicorn, in-process, as a task on the app's loop (qasync or plain).

Details that matter (shared/STACK.md trap 8 and measurements here):

- uvicorn's ``Server.serve`` replaces the process's SIGINT/SIGTERM handlers while it runs; in the GUI (and
  in ``serve``, which handles signals itself) that must not happen, so ``_InProcessServer`` skips it.
- We bind the listening socket ourselves (so a port in use raises here, instead of uvicorn calling
  ``sys.exit`` inside a task, and so port 0 works: ``.port``/``.url`` tell the port the OS chose). The
  socket is created with ``IPPROTO_TCP`` explicitly: asyncio turns on ``TCP_NODELAY`` only for sockets
  whose ``proto`` is TCP, and without it every response on a kept-alive connection waits ~40 ms for the
  peer's delayed ACK (Nagle).
- ``log_config=None``: uvicorn must not reconfigure the app's logging.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import ssl
from collections.abc import Iterator
from typing import Any

import uvicorn

from ..core.errors import ConfigError
from .guard import PeerCertificates

log = logging.getLogger(__name__)


class _InProcessServer(uvicorn.Server):
    """A uvicorn server that leaves the process's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def install_signal_handlers(self) -> None:  # uvicorn < 0.29
        return None


def bind_socket(host: str, port: int) -> socket.socket:
    """A bound TCP socket for ``host:port`` (``port`` 0 = any free port), ``proto=IPPROTO_TCP``.

    Raises ``ConfigError`` naming the address when it cannot be bound (port in use, no such address)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc}") from None
    family, type_, proto, _, addr = infos[0]
    sock = socket.socket(family, type_, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        hint = ""
        if exc.errno == errno.EADDRINUSE:
            hint = (" (another program, or another Trader App, listens there: choose another port with "
                    "--webhook-port N, or in Strategies > Local API)")
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}") from None
    sock.setblocking(False)
    return sock


def _certificate_protocol(certificates: PeerCertificates) -> type:
    """uvicorn's h11 protocol that records each TLS connection's verified client certificate subject in
    ``certificates`` (uvicorn puts no TLS details in the ASGI scope), for ``ListenerGuard``'s CN check."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class CertificateProtocol(H11Protocol):
        def connection_made(self, transport: Any) -> None:  # type: ignore[override]
            super().connection_made(transport)
            peer = transport.get_extra_info("peername")
            if peer:
                certificates.add((str(peer[0]), int(peer[1])), transport.get_extra_info("peercert"))

        def connection_lost(self, exc: Exception | None) -> None:
            peer = self.transport.get_extra_info("peername") if self.transport is not None else None
            if peer:
                certificates.discard((str(peer[0]), int(peer[1])))
            super().connection_lost(exc)

    return CertificateProtocol


class WebhookServer:
    """The listener. ``services``: the ``AppServices`` (``create_app`` reads what it needs from it);
    ``app``: an app to serve instead (tests, the bench's fake venue)."""

    def __init__(self, services: Any, host: str = "127.0.0.1", port: int = 8780, *, app: Any = None,
                 tls: Any = None) -> None:
        """``tls``: an ``exposure.TlsFiles`` for HTTPS (client certificates verified against its
        ``client_ca`` when given), None for plain HTTP."""
        self.services = services
        self.host = host
        self.requested_port = port
        self.port = port
        self._app = app
        self.tls = tls
        self.certificates = PeerCertificates()
        self._server: _InProcessServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """``http://host:port`` (the actual port once started)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls is not None else 'http'}://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Bind and start serving; returns once the server accepts connections. Raises ``ConfigError`` when
        the address cannot be bound (nothing keeps running then)."""
        if self.running:
            return
        app = self._app
        if app is None:
            from .app import create_app

            app = create_app(self.services, self.certificates)
        sock = bind_socket(self.host, self.requested_port)
        self.port = sock.getsockname()[1]
        tls: dict[str, Any] = {}
        if self.tls is not None:
            tls = {"ssl_certfile": str(self.tls.cert), "ssl_keyfile": str(self.tls.key)}
            if self.tls.client_ca is not None:  # the handshake fails without a certificate this CA signed
                tls.update(ssl_ca_certs=str(self.tls.client_ca), ssl_cert_reqs=ssl.CERT_REQUIRED,
                           http=_certificate_protocol(self.certificates))
        config = uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=2, server_header=False, **tls)
        self._server = _InProcessServer(config)
        self._task = asyncio.ensure_future(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                sock.close()
                exc = self._task.exception() if not self._task.cancelled() else None
                raise ConfigError(f"listener on {self.host}:{self.port} stopped at start-up: {exc}")
            await asyncio.sleep(0.01)
        log.info("listening on %s", self.url)

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish (up to 2 s), then close. Idempotent."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=5)
        except asyncio.TimeoutError:
            self._server.force_exit = True
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._task, timeout=2)
        except (SystemExit, Exception):  # noqa: BLE001 - stopping must not raise
            log.exception("listener stopped with an error")
        self._server = None
        self._task = None
