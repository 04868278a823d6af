"""Pluggable request authentication: how a venue proves who is asking, one strategy per style.

- ``HmacQuery``: HMAC-SHA256 (or Ed25519) of the query string, appended as ``signature`` with a timestamp and a
  receive window, the key in a header (Binance: .../rest-api/request-security);
- ``HmacHeaders``: HMAC-SHA256 of ``timestamp + key + recv_window + payload`` in headers (a header prefix per
  venue, e.g. ``X-BAPI-``);
- ``JwtPerRequest``: a fresh JWT per request (PyJWT), with a never-reused UUID ``nonce`` and, for a request with
  parameters, ``query_hash`` (SHA-512 hex of the parameters' query form) and ``query_hash_alg``; optionally a
  millisecond ``timestamp`` claim (the KRW exchanges' JWT APIs);
- ``BearerToken``: an OAuth access token (KIS ``/oauth2/tokenP``) or a login session's token (Match-Trader) kept
  by a ``TokenKeeper``: issued once, saved in the ``TokenCache`` the core hands the adapter (the OS keyring),
  reused across restarts, refreshed before it expires, never issued more often than the venue allows.

Every strategy turns an ``Outgoing`` request into the signed one (``apply``; pure CPU, on the loop);
``ready()`` is awaited first by strategies that hold a token (``stateful``). ``with_renewal`` runs one call
and, when the venue says the session or token expired (``SessionExpired``), renews it and repeats the call once,
for reads only: an order is never repeated (its outcome is the core's to resolve).

Secrets never appear in an error text or a log line; a token is a secret too.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, unquote, urlencode

import jwt

from ...core.errors import RateLimited, SessionExpired
from ...core.ids import now_ms
from ..base import CachedToken, TokenCache
from .signing import ed25519_b64, hmac_sha256_hex, is_pem_key, load_ed25519

T = TypeVar("T")


@dataclass(frozen=True)
class Outgoing:
    """A request about to be sent: ``method``, ``path`` (below the base URL), ``query`` (the exact query string
    sent, encoded, "" = none), ``body`` (the exact body sent, "" = none), ``params`` (the parameters of either, for
    strategies that hash their query form) and ``headers``."""

    method: str
    path: str
    query: str = ""
    body: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    def with_headers(self, **headers: str) -> "Outgoing":
        return replace(self, headers={**self.headers, **headers})


class Auth(Protocol):
    """A venue's authentication strategy (see the module docstring). ``stateful``: it holds a token that
    ``ready()`` must make fresh before ``apply``; ``renewable``: ``renew()`` can replace an expired one."""

    stateful: bool
    renewable: bool

    async def ready(self) -> None: ...

    def apply(self, out: Outgoing, now_ms: int) -> Outgoing: ...

    async def renew(self) -> None: ...


class _Stateless:
    stateful = False
    renewable = False

    async def ready(self) -> None:
        return None

    async def renew(self) -> None:
        return None


class HmacQuery(_Stateless):
    """HMAC in the query: ``timestamp=<now_ms>&recvWindow=<ms>`` appended to the query, then ``signature`` = hex
    HMAC-SHA256 of that query string with ``secret`` (or, when ``secret`` is a PEM Ed25519 key, its base64
    signature URL-encoded); ``api_key`` in header ``key_header``. Raises ``AuthError`` at construction for a PEM
    that is not an Ed25519 key."""

    def __init__(self, api_key: str, secret: str, *, key_header: str, recv_window_ms: int = 5000) -> None:
        self.api_key = api_key
        self.key_header = key_header
        self.recv_window_ms = recv_window_ms
        self._ed25519 = load_ed25519(secret) if is_pem_key(secret) else None
        self._secret = "" if self._ed25519 is not None else secret

    @property
    def ed25519(self) -> bool:
        return self._ed25519 is not None

    def sign(self, payload: str) -> str:
        """The signature of ``payload`` as it goes in a query string (URL-encoded for Ed25519)."""
        if self._ed25519 is not None:
            return quote(ed25519_b64(self._ed25519, payload), safe="")
        return hmac_sha256_hex(self._secret, payload)

    def sign_sorted(self, params: Mapping[str, Any]) -> str:
        """The signature of ``params`` sorted by name and joined ``k=v&...`` unencoded (a WebSocket API's rule),
        not URL-encoded."""
        payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
        if self._ed25519 is not None:
            return ed25519_b64(self._ed25519, payload)
        return hmac_sha256_hex(self._secret, payload)

    def apply(self, out: Outgoing, now_ms: int) -> Outgoing:
        stamped = f"timestamp={now_ms}&recvWindow={self.recv_window_ms}"
        query = f"{out.query}&{stamped}" if out.query else stamped
        signed = replace(out, query=f"{query}&signature={self.sign(query)}")
        return signed.with_headers(**{self.key_header: self.api_key})


class HmacHeaders(_Stateless):
    """HMAC in headers: ``<prefix>SIGN`` = hex HMAC-SHA256 of ``timestamp + api_key + recv_window + payload`` (the
    query string for a GET, the body otherwise, exactly as sent), with ``<prefix>API-KEY``, ``<prefix>TIMESTAMP``
    and ``<prefix>RECV-WINDOW``."""

    def __init__(self, api_key: str, secret: str, *, prefix: str, recv_window_ms: int = 5000) -> None:
        self.api_key = api_key
        self.prefix = prefix
        self.recv_window_ms = recv_window_ms
        self._secret = secret

    def sign(self, timestamp_ms: int, payload: str) -> str:
        return hmac_sha256_hex(self._secret, f"{timestamp_ms}{self.api_key}{self.recv_window_ms}{payload}")

    def sign_text(self, payload: str) -> str:
        """Hex HMAC-SHA256 of ``payload`` (a stream's auth frame)."""
        return hmac_sha256_hex(self._secret, payload)

    def apply(self, out: Outgoing, now_ms: int) -> Outgoing:
        payload = out.query if out.method == "GET" else out.body
        p = self.prefix
        return out.with_headers(**{f"{p}API-KEY": self.api_key, f"{p}TIMESTAMP": str(now_ms),
                                   f"{p}RECV-WINDOW": str(self.recv_window_ms),
                                   f"{p}SIGN": self.sign(now_ms, payload)})


def query_pairs(params: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The ``(key, value)`` pairs of ``params`` in their order, a list as one ``key[]`` pair per item, None dropped
    (the query of the JWT venues, encoded or not)."""
    pairs: list[tuple[str, Any]] = []
    for k, v in params.items():
        if isinstance(v, (list, tuple)):
            pairs.extend((f"{k}[]", item) for item in v)
        elif v is not None:
            pairs.append((k, v))
    return pairs


def query_form(params: Mapping[str, Any]) -> str:
    """The unencoded ``key=value&...`` form of ``params`` in their order, a list as ``key[]=v`` per item (the
    form the JWT venues hash for ``query_hash``)."""
    return unquote(urlencode(query_pairs(params)))


class JwtPerRequest(_Stateless):
    """A fresh JWT per request in ``Authorization: Bearer``: claims ``access_key``, ``nonce`` (a new UUID4, never
    reused) and, when the request has parameters, ``query_hash`` = SHA-512 hex of ``query_form(params)`` with
    ``query_hash_alg`` "SHA512"; ``timestamp`` (ms) too when ``timestamp``. Signed with ``secret_key`` by
    ``algorithm`` (HS256 or HS512) through PyJWT."""

    def __init__(self, access_key: str, secret_key: str, *, algorithm: str = "HS256", timestamp: bool = False,
                 nonce: Callable[[], str] = lambda: str(uuid.uuid4())) -> None:
        self.access_key = access_key
        self.algorithm = algorithm
        self.timestamp = timestamp
        self._secret = secret_key
        self._nonce = nonce

    def token(self, params: Mapping[str, Any] | None, now_ms: int) -> str:
        """The JWT of one request with ``params`` (None or empty = no query hash)."""
        claims: dict[str, Any] = {"access_key": self.access_key, "nonce": self._nonce()}
        if self.timestamp:
            claims["timestamp"] = now_ms
        if params:
            claims["query_hash"] = hashlib.sha512(query_form(params).encode()).hexdigest()
            claims["query_hash_alg"] = "SHA512"
        return jwt.encode(claims, self._secret, algorithm=self.algorithm)

    def apply(self, out: Outgoing, now_ms: int) -> Outgoing:
        return out.with_headers(Authorization=f"Bearer {self.token(out.params, now_ms)}")


class MemoryTokenCache:
    """A ``TokenCache`` in memory (the token lives as long as the process): for an adapter built without the
    core's cache."""

    def __init__(self, token: CachedToken | None = None) -> None:
        self.token = token

    async def load(self) -> CachedToken | None:
        return self.token

    async def save(self, token: CachedToken) -> None:
        self.token = token

    async def clear(self) -> None:
        self.token = None


class TokenKeeper:
    """One account's token of one kind (see the module docstring). ``issue()`` asks the venue for a new one
    (raises the venue's errors); ``cache`` keeps it between runs; a token is refreshed ``refresh_before_s``
    before it expires; a new one is never asked within ``min_reissue_s`` of the last (KIS: once a minute,
    EGW00133): inside that window an expired token raises ``RateLimited`` with the wait. Concurrent callers
    share one issue. ``clock_ms``: epoch ms. ``issued``: tokens issued by this keeper."""

    def __init__(self, name: str, issue: Callable[[], Awaitable[CachedToken]], cache: TokenCache | None = None, *,
                 refresh_before_s: float = 600.0, min_reissue_s: float = 60.0,
                 clock_ms: Callable[[], int] = now_ms) -> None:
        self.name = name
        self._issue = issue
        self.cache = cache or MemoryTokenCache()
        self.refresh_before_ms = int(refresh_before_s * 1000)
        self.min_reissue_ms = int(min_reissue_s * 1000)
        self.clock_ms = clock_ms
        self.current: CachedToken | None = None
        self.issued = 0
        self._loaded = False
        self._lock = asyncio.Lock()

    async def token(self) -> CachedToken:
        """A token good for now: the one held or cached while fresh, else a new one. Raises the venue's errors
        or ``RateLimited`` (too soon to ask again and nothing valid held)."""
        now = self.clock_ms()
        if self.current is not None and self.current.expires_ms - now > self.refresh_before_ms:
            return self.current
        async with self._lock:
            if not self._loaded:
                self._loaded = True
                self.current = self.current or await self.cache.load()
            now = self.clock_ms()
            held = self.current
            if held is not None and held.expires_ms - now > self.refresh_before_ms:
                return held
            if held is not None and now - held.issued_ms < self.min_reissue_ms:
                if now < held.expires_ms:
                    return held  # due for refresh, but the venue would refuse a new one yet: use it while valid
                wait = (held.issued_ms + self.min_reissue_ms - now) / 1000
                raise RateLimited(f"{self.name}: a new token may be asked in {wait:.0f} s", wait)
            return await self._new()

    async def renew(self) -> CachedToken:
        """The venue said the token expired: forget it and ask a new one (within ``min_reissue_s`` of the last
        issue: ``RateLimited``)."""
        async with self._lock:
            held = self.current
            now = self.clock_ms()
            if held is not None and now - held.issued_ms < self.min_reissue_ms:
                if held.expires_ms > now and held.issued_ms > now - 1000:
                    return held  # another caller renewed it a moment ago
                wait = (held.issued_ms + self.min_reissue_ms - now) / 1000
                raise RateLimited(f"{self.name}: a new token may be asked in {wait:.0f} s", wait)
            self.current = None
            await self.cache.clear()
            return await self._new()

    async def _new(self) -> CachedToken:
        token = await self._issue()
        self.issued += 1
        self.current = token
        await self.cache.save(token)
        return token


class BearerToken:
    """``Authorization: Bearer <token>`` (plus ``headers``, e.g. a KIS app key) from a ``TokenKeeper``."""

    stateful = True
    renewable = True

    def __init__(self, keeper: TokenKeeper, headers: Mapping[str, str] | None = None,
                 header: str = "Authorization", scheme: str = "Bearer") -> None:
        self.keeper = keeper
        self.headers = dict(headers or {})
        self.header = header
        self.scheme = scheme
        self._value = ""

    async def ready(self) -> None:
        self._value = (await self.keeper.token()).value

    async def renew(self) -> None:
        self._value = (await self.keeper.renew()).value

    def apply(self, out: Outgoing, now_ms: int) -> Outgoing:
        value = f"{self.scheme} {self._value}" if self.scheme else self._value
        return out.with_headers(**self.headers, **{self.header: value})


async def with_renewal(auth: Auth, call: Callable[[], Awaitable[T]], *, read: bool) -> T:
    """Run ``call`` (which signs with ``auth``); when the venue says the session or token expired
    (``SessionExpired``), renew it and run ``call`` once more if it is a ``read``. An order (``read`` False) is
    never repeated: the error goes to the caller, who resolves its outcome by asking the venue."""
    if auth.stateful:
        await auth.ready()
    try:
        return await call()
    except SessionExpired:
        if not read or not auth.renewable:
            raise
    await auth.renew()
    return await call()
