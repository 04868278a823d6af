"""``VenueProfile``: what the live layer must know of a venue, as data, in one object per venue.

A venue's adapter (``brokers/<venue>/``) keeps its wire code (request shapes, parsing); its *facts* are its
profile (``brokers/<venue>/profile.py``), read by the layer and by the registry (``brokers/venues.py``):

- ``urls``: the venue's own bases per environment (``"live"``, ``"testnet"``/``"paper"``), the venue's
  ``Endpoints`` objects;
- limits by scope: ``ip_limits`` (every account and the public feed of one machine share them: ``network()``),
  ``ip_usage`` / ``account_usage``: how the venue reports usage back in its headers (``UsageReader``: weight used,
  remaining count with a reset time, ...); ``connect_limit``: new connections per window per IP;
- ``http``: what an HTTP status means on this venue (``StatusRule``: ban the IP, pause, or the venue's trouble):
  a 418 or a 403 may be an IP ban, a 429 a pause, each venue saying which; ``send`` applies them;
- tables: ``error_for`` (the venue's answer -> the contract's error), ``order_status`` (wire -> ``OrderStatus``),
  ``order_types`` (``OrderType`` -> the wire's name);
- ``tick_bands``: price ladders the venue applies by price band, by quote currency (KRW markets, KRX): ascending
  ``(price from, tick)`` pairs as ``Instrument.tick_bands`` takes them; empty when each instrument states its own
  tick size; ``min_total``: the smallest order value by quote currency where the venue publishes one table
  rather than one figure per instrument;
- sessions: ``calendar`` (the reports' calendar name of ``reports/periods.py``; None = around the clock, the day
  closing 00:00 UTC) and ``timezone`` (IANA: the weekly strategies' week);
- ``client_ids``: the venue's client-order-id policy (``ClientIdPolicy``: whether it keeps one, its length and
  alphabet, whether an id may be reused after a refusal);
- ``paging``: how its lists page (``"from_id"``, ``"cursor"``, ``"time"``, ``"tr_cont"``, ``"none"``);
- ``max_streams``: the streams one public connection may carry (more symbols open more connections), None = no
  stated cap.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ...core.enums import OrderStatus, OrderType
from ...core.errors import BrokerError, InvalidOrder
from .network import DEFAULT_HTTP, ConnectGate, Networks, StatusRule, VenueNetwork
from .ratelimit import RateBudget, RateLimit

__all__ = ["ClientIdPolicy", "ConnectLimit", "StatusRule", "UsageReader", "VenueProfile", "remaining_until",
           "used_weight"]

UsageReader = Callable[[Mapping[str, str], RateBudget, int], None]
"""``(headers, budget, now_ms) -> None``: read a venue's usage headers of one answer into ``budget``."""


def used_weight(prefix: str) -> UsageReader:
    """The reader of ``<prefix><n><unit>: used`` headers (Binance ``X-MBX-USED-WEIGHT-1M``; prefix lower case):
    the venue's count replaces ours when higher."""

    def read(headers: Mapping[str, str], budget: RateBudget, now_ms: int) -> None:
        budget.observe(headers, prefix)

    return read


def remaining_until(remaining: str, reset_ms: str) -> UsageReader:
    """The reader of a "requests left" header with a "resets at epoch ms" one (header names
    given, case-insensitive): none left pauses ``budget`` until the reset."""
    remaining, reset_ms = remaining.lower(), reset_ms.lower()

    def read(headers: Mapping[str, str], budget: RateBudget, now_ms: int) -> None:
        left, reset = headers.get(remaining), headers.get(reset_ms)
        if left is None or reset is None:
            return
        try:
            if int(left) <= 0:
                budget.pause(max(0.0, (int(reset) - now_ms) / 1000))
        except ValueError:
            return

    return read


@dataclass(frozen=True, slots=True)
class ClientIdPolicy:
    """A venue's client order id: ``supported`` (it stores ours and finds orders by it), at most ``max_length``
    characters of ``alphabet`` (a regex character class), ``reusable``: an id refused once may be sent again
    (False: never, even after an error; we never reuse one anyway)."""

    supported: bool = True
    max_length: int = 36
    alphabet: str = r"[.A-Za-z0-9_-]"
    reusable: bool = False

    def check(self, venue: str, client_order_id: str) -> None:
        """Raise ``InvalidOrder`` (before the journal) when ``client_order_id`` does not fit this venue."""
        if not self.supported:
            return
        if not 0 < len(client_order_id) <= self.max_length:
            raise InvalidOrder(f"{venue} takes client order ids of 1 to {self.max_length} characters, "
                               f"got {len(client_order_id)}")
        if not re.fullmatch(f"{self.alphabet}+", client_order_id):
            raise InvalidOrder(f"{venue} takes client order ids of {self.alphabet} only: {client_order_id!r}")


@dataclass(frozen=True)
class ConnectLimit:
    """At most ``limit`` new connections per ``window_s`` seconds per IP, attempts spaced ``spacing_s``."""

    limit: int = 300
    window_s: float = 300.0
    spacing_s: float = 0.02


@dataclass(frozen=True)
class VenueProfile:
    """One venue's facts (see the module docstring). ``name``: the registry's key (``binance``); ``venues``: the
    app's venue names it serves (account kinds, ``Instrument.venue``)."""

    name: str
    label: str
    venues: tuple[str, ...]
    urls: Mapping[str, Any]
    error_for: Callable[..., BrokerError]
    order_status: Mapping[str, OrderStatus]
    order_types: Mapping[OrderType, str]
    ip_limits: tuple[RateLimit, ...] = ()
    ip_usage: UsageReader | None = None
    account_usage: UsageReader | None = None
    connect_limit: ConnectLimit = field(default_factory=ConnectLimit)
    http: Mapping[int, StatusRule] = field(default_factory=lambda: DEFAULT_HTTP)
    tick_bands: Mapping[str, tuple[tuple[Decimal, Decimal], ...]] = field(default_factory=dict)
    min_total: Mapping[str, Decimal] = field(default_factory=dict)
    calendar: str | None = None
    timezone: str = "UTC"
    client_ids: ClientIdPolicy = field(default_factory=ClientIdPolicy)
    paging: str = "none"
    timeout_s: float = 10.0
    max_streams: int | None = None

    def network(self, venue: str = "", *, timeout_s: float | None = None, gate: ConnectGate | None = None
                ) -> VenueNetwork:
        """A ``VenueNetwork`` for ``venue`` (default: the first of ``venues``) with this profile's limits, usage
        reader, status rules and connection gate (``gate``: another, for a bench's thousand connections)."""
        c = self.connect_limit
        return VenueNetwork(venue or self.venues[0], timeout_s=self.timeout_s if timeout_s is None else timeout_s,
                            limits=self.ip_limits, usage=self.ip_usage, status_rules=self.http,
                            gate=gate or ConnectGate(limit=c.limit, window_s=c.window_s, spacing_s=c.spacing_s))

    def networks(self) -> Networks:
        """The shared networks of this venue, one per (venue name, environment)."""
        return Networks(lambda venue: self.network(venue))

    def endpoints(self, environment: str) -> Any:
        """The venue's own bases of ``environment``. Raises ``ValueError`` for one it does not have."""
        try:
            return self.urls[environment]
        except KeyError:
            raise ValueError(f"{self.label} has no {environment!r} environment "
                             f"(has {', '.join(self.urls)})") from None
