"""What every account of one venue shares on this machine: ``VenueNetwork``.

- one keep-alive ``httpx.AsyncClient`` per host (many accounts, one connection pool);
- one request-weight ``RateBudget`` per host, because venues count weight per IP, not per key;
- one ``ServerClock`` per host: the server's clock offset, measured at connect and resynced on request
  (signed requests carry the venue's time, so a drifting PC clock does not get them refused);
- one ``ConnectGate`` for WebSocket connections (Binance: at most 300 connections per 5 minutes per IP), so
  the (re)connects of a hundred accounts are staggered instead of tripping the venue's limit.

``send`` is the one place a venue request goes through: budget first, then the request, then the usage
headers read back (the network's ``usage`` reader); the venue's status rules (its profile's ``http``: Binance's
418 or another venue's 403 ban the IP, 429 pauses the budget for ``Retry-After``), 5xx and transport failures become
``VenueUnavailable`` (for an order: outcome unknown, resolved by the core's reconciliation). It never retries:
reads are retried by the caller (tenacity), writes never blindly.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from ...core.errors import RateLimited, VenueUnavailable
from .ratelimit import RateBudget, RateLimit


class ServerClock:
    """The venue's clock as seen from here: ``offset_ms`` = server time - local time (ms), measured at the
    midpoint of one round trip by ``sync``."""

    def __init__(self) -> None:
        self.offset_ms = 0
        self.synced_at_ms = 0
        self.round_trip_ms = 0

    def now_ms(self) -> int:
        """The venue's current time, epoch ms."""
        return int(time.time() * 1000) + self.offset_ms

    async def sync(self, server_time_ms: Callable[[], Awaitable[int]]) -> int:
        """Measure the offset with one call of ``server_time_ms`` (the venue's time endpoint); returns it.
        Raises what the call raises."""
        t0 = time.time() * 1000
        server = await server_time_ms()
        t1 = time.time() * 1000
        self.offset_ms = int(server - (t0 + t1) / 2)
        self.round_trip_ms = int(t1 - t0)
        self.synced_at_ms = int(t1)
        return self.offset_ms


class ConnectGate:
    """At most ``limit`` connection attempts per ``window_s`` seconds (sliding); ``wait`` delays the one that
    would exceed it. ``spacing_s`` spreads attempts of a burst (a hundred accounts reconnecting at once).
    ``clock``/``sleep``: the loop's by default (a test passes its own)."""

    def __init__(self, limit: int = 300, window_s: float = 300.0, spacing_s: float = 0.0, *,
                 clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], Awaitable[Any]] | None = None) -> None:
        self.limit = limit
        self.window_s = window_s
        self.spacing_s = spacing_s
        self._clock = clock
        self._sleep = sleep or asyncio.sleep
        self._times: deque[float] = deque()
        self.granted: list[float] = []  # when each attempt was let through (the clock's time), last 1000
        self._lock = asyncio.Lock()
        self.waited_s = 0.0

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    async def wait(self) -> None:
        async with self._lock:
            now = self._now()
            while self._times and now - self._times[0] >= self.window_s:
                self._times.popleft()
            delay = 0.0
            if len(self._times) >= self.limit:
                delay = self.window_s - (now - self._times[0])
            if self._times and self.spacing_s:
                delay = max(delay, self.spacing_s - (now - self._times[-1]))
            if delay > 0:
                self.waited_s += delay
                await self._sleep(delay)
            granted = self._now()
            self._times.append(granted)
            self.granted = (self.granted + [granted])[-1000:]


@dataclass(frozen=True, slots=True)
class StatusRule:
    """What one HTTP status means on a venue (its ``VenueProfile.http``): ``action`` "ban" (every request of the
    IP stops until it lifts: ``Retry-After`` seconds, else ``default_s``: ``VenueBanned``), "pause" (the IP's
    requests wait ``Retry-After``/``default_s``: ``RateLimited``) or "unavailable" (the venue's trouble:
    ``VenueUnavailable``, an order's outcome unknown); ``reason``: shown to the trader."""

    action: str
    default_s: float = 1.0
    reason: str = ""


DEFAULT_HTTP: Mapping[int, StatusRule] = {429: StatusRule("pause", 1.0, "rate limit hit")}


class VenueNetwork:
    """Shared plumbing of one venue (see the module docstring). ``timeout_s``: per request (Binance's own
    gateway gives up after 10 s); ``limits``: the venue's declared limits until ``set_limits`` is called with
    the ones it publishes; ``usage``: the reader of its usage headers into the IP budget
    (``(headers, budget, now_ms)``, ``profile.used_weight``...); ``status_rules``: what an HTTP status means on the
    venue (``StatusRule`` by status; 5xx is always the venue's trouble). A network is normally made by the venue's
    ``VenueProfile.network()``."""

    def __init__(self, venue: str, *, timeout_s: float = 10.0, limits: tuple[RateLimit, ...] = (),
                 usage: Callable[[Mapping[str, str], RateBudget, int], None] | None = None,
                 status_rules: Mapping[int, StatusRule] | None = None, gate: ConnectGate | None = None) -> None:
        self.venue = venue
        self.timeout_s = timeout_s
        self.usage = usage
        self.status_rules = DEFAULT_HTTP if status_rules is None else status_rules
        self.gate = gate or ConnectGate()
        self._limits = limits
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._budgets: dict[str, RateBudget] = {}
        self._clocks: dict[str, ServerClock] = {}
        self.shared: dict[tuple, Any] = {}  # objects every account of the venue shares (its public market data)

    @staticmethod
    def host(base_url: str) -> str:
        parts = urlsplit(base_url)
        return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)

    def client(self, base_url: str) -> httpx.AsyncClient:
        """The shared client of ``base_url`` (created on first use)."""
        client = self._clients.get(base_url)
        if client is None or client.is_closed:
            client = self._clients[base_url] = httpx.AsyncClient(
                base_url=base_url, timeout=self.timeout_s,
                limits=httpx.Limits(max_connections=200, max_keepalive_connections=100))
        return client

    def budget(self, base_url: str) -> RateBudget:
        """The request-weight budget of ``base_url``'s host (IP-wide, every account)."""
        host = self.host(base_url)
        budget = self._budgets.get(host)
        if budget is None:
            budget = self._budgets[host] = RateBudget(f"{self.venue} {host}", "REQUEST_WEIGHT", self._limits)
        return budget

    def budgets(self) -> list[RateBudget]:
        return list(self._budgets.values())

    def clock(self, base_url: str) -> ServerClock:
        return self._clocks.setdefault(self.host(base_url), ServerClock())

    def set_limits(self, base_url: str, limits: list[RateLimit]) -> None:
        """Adopt the limits the venue publishes for ``base_url``'s host."""
        self.budget(base_url).set_limits(limits)

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()


def retry_after_s(headers: Mapping[str, str], default: float = 1.0) -> float:
    """``Retry-After`` in seconds (the venues send seconds), else ``default``."""
    try:
        return max(0.0, float(headers.get("retry-after", default)))
    except ValueError:
        return default


async def send(network: VenueNetwork, base_url: str, method: str, path: str, *, weight: int = 1,
               order_budget: RateBudget | None = None, order_prefix: str = "", **kw: Any) -> httpx.Response:
    """One request to the venue (see the module docstring); ``kw`` goes to ``httpx.AsyncClient.request``
    (params, content, headers). Returns the response for 2xx/4xx (the venue's own error body is the
    adapter's to map). Raises ``VenueBanned`` (418, or still banned), ``RateLimited`` (429 or no budget left:
    nothing was sent then), ``VenueUnavailable`` (timeout, transport error, 5xx: for a write the outcome is
    unknown). ``order_budget``: the account's order-count budget, acquired too and read back from
    ``order_prefix`` headers."""
    budget = network.budget(base_url)
    await budget.acquire(weight, order=order_budget is not None)  # a placement may use the reads' reserve
    if order_budget is not None:
        await order_budget.acquire(1, order=True)
    venue = network.venue
    try:
        r = await network.client(base_url).request(method, path, **kw)
    except httpx.TimeoutException as exc:
        raise VenueUnavailable(f"{venue} did not answer in time ({type(exc).__name__})") from None
    except httpx.TransportError as exc:
        raise VenueUnavailable(f"{venue} unreachable ({type(exc).__name__})") from None
    if network.usage is not None:
        network.usage(r.headers, budget, budget.clock_ms())
    if order_budget is not None and order_prefix:
        order_budget.observe(r.headers, order_prefix)
    status = r.status_code
    rule = network.status_rules.get(status)
    if rule is not None:
        wait = retry_after_s(r.headers, rule.default_s)
        if rule.action == "ban":
            budget.ban(wait)
            budget.wait_s()  # raises VenueBanned with the ban's end
        if rule.action == "pause":
            budget.pause(wait)
            raise RateLimited(f"{venue} {rule.reason or 'rate limit hit'} (HTTP {status})", wait)
        raise VenueUnavailable(f"{venue} answered HTTP {status}{f' ({rule.reason})' if rule.reason else ''}")
    if status >= 500:
        raise VenueUnavailable(f"{venue} answered HTTP {status}")
    return r


class Networks:
    """One ``VenueNetwork`` per (venue, environment), shared by the venue's accounts of that environment (their
    connections, budgets, clock and public feeds); ``make(venue)`` builds one with the venue's gate and usage
    headers. ``close()`` at app stop, after the accounts."""

    def __init__(self, make: Callable[[str], VenueNetwork]) -> None:
        self.make = make
        self.networks: dict[tuple[str, str], VenueNetwork] = {}

    def get(self, venue: str, environment: str) -> VenueNetwork:
        key = (venue, environment)
        net = self.networks.get(key)
        if net is None:
            net = self.networks[key] = self.make(venue)
        return net

    async def close(self) -> None:
        for net in self.networks.values():
            for shared in list(net.shared.values()):
                await shared.close()
            await net.close()
        self.networks.clear()
