"""``ListenerGuard``: the checks every request passes before the app sees it (issue 12), as ASGI middleware.

In order, each before the body is read:
1. the source (``ExposurePolicy.source``: the peer, or behind a trusted proxy the forwarded address) must be
   on the allowlist: else 403;
2. when TradingView's certificate is required, the TLS layer must have verified a client certificate with
   its subject CN (:class:`PeerCertificates`, filled by the connection): else 403;
3. the admin REST API (``/api/v1/...`` except ``/health``) answers other machines only when exposed: else 403;
4. a token bucket per source (``rate_per_s``, ``burst``) for every source but this machine: else 429 with
   ``Retry-After``;
then the body: at most ``MAX_BODY_BYTES`` (413) and, for JSON, nested at most ``MAX_DEPTH`` deep (422,
checked on the raw bytes with C-speed regex and numpy, so a hostile document never reaches a recursive
parser). Refusals are answered cheaply and logged once per source and reason per minute with a count, not
per request.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np

from .exposure import ExposurePolicy
from .schemas import MAX_BODY_BYTES, MAX_DEPTH

log = logging.getLogger(__name__)

LOG_EVERY_S = 60.0
MAX_SOURCES = 10_000  # buckets and log counters kept (least recently seen dropped)
_STRING = re.compile(rb'"(?:\\.|[^"\\])*"')
_OPEN, _CLOSE = np.frombuffer(b"[{", np.uint8), np.frombuffer(b"]}", np.uint8)


def json_depth(body: bytes) -> int:
    """The deepest nesting of arrays/objects in ``body`` (JSON text), strings skipped; 0 for a scalar.
    Works on malformed input too (it only counts brackets outside strings)."""
    bare = np.frombuffer(_STRING.sub(b'""', body), np.uint8)
    if not bare.size:
        return 0
    steps = np.isin(bare, _OPEN).astype(np.int32) - np.isin(bare, _CLOSE).astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


class PeerCertificates:
    """Client certificate subjects of live TLS connections, by client ``(host, port)``; filled by the
    listener's protocol (``server.py``) and read here. Empty when no certificate was asked for."""

    def __init__(self) -> None:
        self.subjects: dict[tuple[str, int], dict[str, str]] = {}

    def add(self, client: tuple[str, int], peercert: dict[str, Any] | None) -> None:
        subject: dict[str, str] = {}
        for rdn in (peercert or {}).get("subject", ()):
            for key, value in rdn:
                subject[key] = value
        self.subjects[client] = subject

    def discard(self, client: tuple[str, int]) -> None:
        self.subjects.pop(client, None)


class ListenerGuard:
    """ASGI middleware: ``ListenerGuard(app, policy, certificates=None, clock=time.monotonic)``."""

    def __init__(self, app: Any, policy: ExposurePolicy, certificates: PeerCertificates | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.policy = policy
        self.certificates = certificates
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # source -> (tokens, at)
        self._logged: OrderedDict[tuple[str, str], tuple[float, int]] = OrderedDict()
        self.refused = 0

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict]],
                       send: Callable[[dict], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        p = self.policy
        peer = (scope.get("client") or ("", 0))[0]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        source = p.source(peer, headers.get("x-forwarded-for"))
        path = scope.get("path", "")
        if not p.allowed(source):
            return await self._refuse(send, source, 403, "source address not on the listener's allowlist")
        if p.client_cn and self._client_cn(scope) != p.client_cn:
            return await self._refuse(send, source, 403, f"a client certificate for {p.client_cn!r} is required")
        if path.startswith("/api/v1/") and path != "/api/v1/health" and not p.api_remote and not p.local(source):
            return await self._refuse(send, source, 403, "the REST API answers on this machine only "
                                                         "(webhook.expose_api)")
        wait = 0.0 if p.local(source) else self._take(source)  # this machine's own scripts are not limited
        if wait > 0:
            return await self._refuse(send, source, 429, "too many requests from this address",
                                      {"retry-after": str(max(1, round(wait)))})
        if scope.get("method") in ("POST", "PUT", "PATCH"):
            body, problem = await self._read(receive, headers)
            if problem is not None:
                status, reason = problem
                return await self._refuse(send, source, status, reason, errors=status == 422)
            await self.app(scope, _replay(body, receive), send)
            return
        await self.app(scope, receive, send)

    def _client_cn(self, scope: dict[str, Any]) -> str:
        if self.certificates is None:
            return ""
        client = tuple(scope.get("client") or ("", 0))
        return self.certificates.subjects.get(client, {}).get("commonName", "")  # type: ignore[arg-type]

    def _take(self, source: str) -> float:
        """Take a token from ``source``'s bucket: 0 when granted, else the seconds until one is due."""
        now = self.clock()
        tokens, at = self._buckets.pop(source, (float(self.policy.burst), now))
        tokens = min(float(self.policy.burst), tokens + (now - at) * self.policy.rate_per_s)
        granted = tokens >= 1.0
        self._buckets[source] = (tokens - 1.0 if granted else tokens, now)
        if len(self._buckets) > MAX_SOURCES:
            self._buckets.popitem(last=False)
        return 0.0 if granted else (1.0 - tokens) / self.policy.rate_per_s

    async def _read(self, receive: Callable[[], Awaitable[dict]], headers: dict[str, str]
                    ) -> tuple[bytes, tuple[int, str] | None]:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            return b"", (413, f"request body larger than {MAX_BODY_BYTES} bytes")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                return b"", (413, f"request body larger than {MAX_BODY_BYTES} bytes")
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if json_depth(body) > MAX_DEPTH:
            return body, (422, f"body: nested deeper than {MAX_DEPTH} levels")
        return body, None

    async def _refuse(self, send: Callable[[dict], Awaitable[None]], source: str, status: int, reason: str,
                      headers: dict[str, str] | None = None, errors: bool = False) -> None:
        self.refused += 1
        self._note(source, status, reason)
        doc: dict[str, Any] = {"detail": reason}
        if errors:
            field, _, why = reason.partition(": ")
            doc["errors"] = [{"field": field, "reason": why}]
        body = json.dumps(doc).encode()
        raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    def _note(self, source: str, status: int, reason: str) -> None:
        """Log a refusal once per source and status per minute, with how many were refused since."""
        key = (source, str(status))
        now = self.clock()
        last, count = self._logged.pop(key, (float("-inf"), 0))
        count += 1
        if now - last >= LOG_EVERY_S:
            log.warning("listener refused %d request(s) from %s in the last minute: %d %s", count, source, status,
                        reason)
            last, count = now, 0
        self._logged[key] = (last, count)
        if len(self._logged) > MAX_SOURCES:
            self._logged.popitem(last=False)


def _replay(body: bytes, receive: Callable[[], Awaitable[dict]]) -> Callable[[], Awaitable[dict]]:
    """A ``receive`` that hands the app the body already read, then the connection's later messages."""
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
