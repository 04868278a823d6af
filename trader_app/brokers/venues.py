"""The registry of live venues: the one place that names them, so nothing outside ``brokers/`` does.

- ``PROFILES``: every live venue's facts (``VenueProfile``: URLs, limits, status rules, tables, client-order-id
  policy, sessions); ``profile_of(venue)`` finds one by any of its venue names;
- ``LIVE_MARKETS``: the live markets that can price the app without a key (``--market``, View > Market, the
  ``market.source`` setting): each with its label, the app's venue name, the header prefix of its IP usage and
  a factory of its shared public feed.
- ``BENCH_KITS``: what ``bench venue``/``bench fanout`` need of a venue (its fake, bench accounts, a bare order);
- ``register_live_venues(registry)``: every live venue's account kinds (``VenueSpec``: settings schema, modes,
  factory) on the app's ``BrokerRegistry``; returns what must be closed at shutdown (their shared networks).

A new venue adds its entries here and lives in ``brokers/<venue>/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .base import BrokerRegistry
from .binance.profile import PROFILE as BINANCE
from .binance.public import BinancePublic
from .binance.spec import binance_futures_venue, binance_spot_venue
from .binance.urls import SPOT, endpoints
from .bybit.bench import KIT as BYBIT_BENCH
from .bybit.profile import PROFILE as BYBIT
from .bybit.public import BybitPublic
from .bybit.spec import bybit_venue
from .bybit.urls import endpoints as bybit_endpoints
from .bithumb.bench import KIT as BITHUMB_BENCH
from .bithumb.profile import PROFILE as BITHUMB
from .bithumb.public import BithumbPublic
from .bithumb.spec import bithumb_venue
from .bithumb.urls import endpoints as bithumb_endpoints
from .upbit.bench import KIT as UPBIT_BENCH
from .upbit.profile import PROFILE as UPBIT
from .upbit.public import UpbitPublic
from .upbit.spec import upbit_venue
from .upbit.urls import endpoints as upbit_endpoints
from .live.bench import BenchKit
from .live.network import Networks, VenueNetwork
from .live.profile import VenueProfile
from .live.public import LivePublic

DEMO = "demo"
DEMO_LABEL = "Demo market (synthetic prices, offline)"


@dataclass(frozen=True)
class LiveMarket:
    """A live market that prices the app without a key. ``public(rest_url, stream_url, network)``: its public
    feed on ``network`` ("" = the venue's own bases); ``profile``: its venue's facts (the network's limits);
    ``symbols``: its own watchlist for a new data directory (a KRW market's), instead of ``market.live_symbols``."""

    name: str
    label: str
    venue: str
    profile: VenueProfile
    public: Callable[[str, str, VenueNetwork], LivePublic]
    symbols: tuple[str, ...] = ()


def _binance_spot_public(rest: str, stream: str, network: VenueNetwork) -> LivePublic:
    return BinancePublic(endpoints(SPOT).with_overrides(rest=rest, stream=stream), network)


def _bybit_spot_public(rest: str, stream: str, network: VenueNetwork) -> LivePublic:
    return BybitPublic(bybit_endpoints().with_overrides(rest=rest, stream=stream), network)


def _upbit_public(rest: str, stream: str, network: VenueNetwork) -> LivePublic:
    return UpbitPublic(upbit_endpoints().with_overrides(rest=rest, stream=stream), network)


def _bithumb_public(rest: str, stream: str, network: VenueNetwork) -> LivePublic:
    return BithumbPublic(bithumb_endpoints().with_overrides(rest=rest, stream=stream), network)


LIVE_MARKETS: dict[str, LiveMarket] = {
    "binance": LiveMarket("binance", "Binance spot (live prices, no key)", endpoints(SPOT).venue, BINANCE,
                          _binance_spot_public),
    "bybit": LiveMarket("bybit", "Bybit spot (live prices, no key)", bybit_endpoints().venue, BYBIT,
                        _bybit_spot_public),
    "upbit": LiveMarket("upbit", "Upbit KRW market (live prices, no key)", upbit_endpoints().venue, UPBIT,
                        _upbit_public, ("BTC/KRW", "ETH/KRW", "XRP/KRW", "SOL/KRW", "DOGE/KRW")),
    "bithumb": LiveMarket("bithumb", "Bithumb KRW market (live prices, no key)", bithumb_endpoints().venue, BITHUMB,
                          _bithumb_public, ("BTC/KRW", "ETH/KRW", "XRP/KRW", "SOL/KRW", "DOGE/KRW")),
}


PROFILES: dict[str, VenueProfile] = {p.name: p for p in (BINANCE, BYBIT, UPBIT, BITHUMB)}


def profile_of(venue: str) -> VenueProfile | None:
    """The profile serving the venue name ``venue`` (an account kind or ``Instrument.venue``); None for the paper
    venue and names no live venue uses."""
    for profile in PROFILES.values():
        if venue in profile.venues:
            return profile
    return None


# what the benches need of a venue (its fake, a bench account, the bare signed order call)
BENCH_KITS: dict[str, BenchKit] = {"bybit": BYBIT_BENCH, "upbit": UPBIT_BENCH, "bithumb": BITHUMB_BENCH}


# the reports' calendar of an account kind (``Account.broker``) whose trading day is an exchange's: a name of
# ``reports/periods.py`` MARKETS ("krx": 15:30 KST), from the profiles' ``calendar``. Every kind not listed
# (paper, Binance, Bybit: crypto venues) closes its day at 00:00 UTC.
VENUE_CALENDARS: dict[str, str] = {v: p.calendar for p in PROFILES.values() if p.calendar for v in p.venues}

# the IANA time zone of a venue whose week is not UTC's (the weekly strategies' "auto" zone), from the profiles
VENUE_TIMEZONES: dict[str, str] = {v: p.timezone for p in PROFILES.values() if p.timezone != "UTC"
                                   for v in p.venues}


def market_choices() -> dict[str, str]:
    """``{name: label}`` of every market: the demo first, then the live ones."""
    return {DEMO: DEMO_LABEL, **{name: m.label for name, m in LIVE_MARKETS.items()}}


class LiveVenues:
    """The live venues' shared networks (one per venue and environment: the IP's budgets, connections, clock),
    used by their accounts and by the live market that prices the app alike, so both spend one budget per IP."""

    def __init__(self) -> None:
        self.networks: dict[str, Networks] = {name: p.networks() for name, p in PROFILES.items()}

    def market_network(self, market: str) -> VenueNetwork:
        """The network of a live market (``LIVE_MARKETS``), its venue's live environment's: the accounts' own."""
        live = LIVE_MARKETS[market]
        return self.networks[market].get(live.venue, "live")

    async def close(self) -> None:
        for networks in self.networks.values():
            await networks.close()


def register_live_venues(registry: BrokerRegistry) -> LiveVenues:
    """Register every live venue's account kinds on ``registry``; returns their shared networks (close them after
    the accounts closed)."""
    venues = LiveVenues()
    registry.register(binance_spot_venue(venues.networks["binance"]))
    registry.register(binance_futures_venue(venues.networks["binance"]))
    registry.register(bybit_venue(venues.networks["bybit"]))
    registry.register(upbit_venue(venues.networks["upbit"]))
    registry.register(bithumb_venue(venues.networks["bithumb"]))
    return venues
