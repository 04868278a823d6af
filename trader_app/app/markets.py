"""``LiveMarkets``: which market prices the app, the demo (offline default) or a live venue's public data.

``await use("binance")`` connects Binance spot's public market data (no key): its instruments are listed
(venue ``binance``: ``binance:BTC/USDT`` in the watchlist and chart), its one shared stream feeds the quotes
and 1-minute klines of the watched symbols, its klines fill the chart history, and the paper venue trades on
those prices (the paper exchange lists Binance's instruments with their tick, lot and notional rules; paper
orders match against Binance's live bid/ask with the same rules as on the demo). The demo market stops.
``await use("demo")`` goes back. A live market that cannot be reached is retried in the background with
backoff (tenacity) while ``error`` says why; the choice is saved in ``settings.market.source``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import replace
from typing import Any

from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential_jitter

from ..brokers.live.network import VenueNetwork
from ..brokers.live.public import LivePublic
from ..brokers.venues import DEMO, LIVE_MARKETS, market_choices
from ..core.errors import BrokerError
from ..core.instrument import HOME_VENUE, market_id, parse_market_id

log = logging.getLogger(__name__)

MARKETS = market_choices()  # {name: label}: the demo and every live market of the venue registry


class LiveMarkets:
    """Switches the app's price source (see the module docstring). ``services``: the ``AppServices``."""

    def __init__(self, services: Any) -> None:
        self.services = services
        self.name = ""  # none yet
        self.public: LivePublic | None = None
        self.network: VenueNetwork | None = None
        self._own_network = False
        self.error = ""
        self._left = ""  # the live venue the last switch left
        self._connecting: asyncio.Task[None] | None = None

    def label(self) -> str:
        """The status bar's text of a live market ("" on the demo)."""
        if self.name in (DEMO, ""):
            return ""
        if self.error:
            return f"{self.name} (unreachable, retrying: {self.error})"
        if self.public is None or self.public.venue not in (self.services.feeds.feeds if self.services.feeds else {}):
            return f"{self.name} (connecting)"
        return f"{self.name} live ({self.public.state.value.lower()}, {len(self.public.subscribed)} symbols)"

    async def use(self, name: str) -> None:
        """Make ``name`` (``MARKETS``: "demo" or a live market of the venue registry) the market. Raises
        ValueError for another name."""
        if name not in MARKETS:
            raise ValueError(f"unknown market {name!r}: choose one of {', '.join(MARKETS)}")
        s = self.services
        if name == self.name and (name == "demo" or self.public is not None):
            return
        self._left = self.public.venue if self.public is not None else ""
        await self._close_live()
        if self.name and s.settings.market.source != name:  # a choice, not the start-up: remembered
            s.settings.market.source = name
            with contextlib.suppress(OSError):
                s.settings.save(s.data_dir)
        self.name = name
        if name == "demo":
            s.market.paper_prices = HOME_VENUE
            await self._swap_watchlist(HOME_VENUE, {i.symbol for i in s.market.instruments(HOME_VENUE)})
            s.demo = True
            s.demo_task = s.market.start_demo(s.settings.demo.tick_rate)
            return
        if s.market.demo is not None:
            await s.market.stop()
        s.demo = False
        live = LIVE_MARKETS[name]
        rest_url, stream_url = s.settings.market.urls_of(name)
        # the paper venue trades on this market's prices from now on, reachable or not: never on the demo's
        # leftovers (its stored candles charted as the live market's, its last prices as marks)
        s.market.paper_prices = live.venue
        # the accounts' network of that venue: the public feed and every account spend one budget per IP
        venues = getattr(s, "live_venues", None)
        self._own_network = venues is None
        self.network = (venues.market_network(name) if venues is not None
                        else live.profile.network(live.venue))
        self.public = live.public(rest_url, stream_url, self.network)
        self._connecting = asyncio.ensure_future(self._connect(self.public))

    async def _swap_watchlist(self, venue: str, listed: set[str]) -> None:
        """Show the market now in use: rows of the paper venue (which no market prices any more) and of a live
        market left behind go; rows of accounts' venues stay; ``venue``'s default symbols come in when none of
        its rows is there (the demo's ``demo.symbols``; a live market's own ``LiveMarket.symbols`` where it has them,
        a KRW market's, else ``market.live_symbols``)."""
        s = self.services
        market = s.market
        current = await market.watchlist()
        leaving = {HOME_VENUE} | ({self._left} if self._left else set())
        keep = [m for m in current if parse_market_id(m)[0] not in leaving - {venue}]
        if not any(parse_market_id(m)[0] == venue for m in keep):
            own = next((m.symbols for m in LIVE_MARKETS.values() if m.venue == venue), ())
            defaults = s.settings.demo.symbols if venue == HOME_VENUE else (own or s.settings.market.live_symbols)
            chosen = [sym for sym in defaults if sym in listed]
            keep += [market_id(venue, sym) for sym in chosen]
        if keep != current:
            await market.set_watchlist(keep)

    def state_of(self, venue: str) -> str:
        """"unreachable" while ``venue`` is the live market and its connection fails, else ""."""
        return "unreachable" if self.public is not None and self.public.venue == venue and self.error else ""

    async def wait_connected(self, timeout_s: float = 30.0) -> None:
        """Wait until the live market feeds (tests, smoke). Raises TimeoutError."""
        if self._connecting is not None:
            await asyncio.wait_for(asyncio.shield(self._connecting), timeout_s)

    async def _connect(self, public: LivePublic) -> None:
        s = self.services
        retrying = AsyncRetrying(wait=wait_exponential_jitter(multiplier=1.0, max=60.0),
                                 retry=retry_if_exception_type((BrokerError, OSError)), reraise=True)
        async for attempt in retrying:
            with attempt:
                try:
                    await public.connect()
                except (BrokerError, OSError) as exc:
                    self.error = str(exc)
                    log.warning("%s market data unreachable: %s", public.venue, exc)
                    raise
        self.error = ""
        for inst in await public.instruments():
            s.market.add_instrument(inst)  # watchable and chartable as binance:SYMBOL
            s.exchange.add_instrument(replace(inst, venue=HOME_VENUE, venue_symbol=""))  # paper trades them
        s.market.paper_prices = public.venue
        await self._swap_watchlist(public.venue, {i.symbol for i in await public.instruments()})
        if s.feeds is not None:
            await s.feeds.add_public(public)
        log.info("market: %s live prices, %d instruments", public.venue, len(await public.instruments()))

    async def _close_live(self) -> None:
        task, self._connecting = self._connecting, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self.public is not None:
            if self.services.feeds is not None:
                await self.services.feeds.remove_public(self.public.venue)
            await self.public.close()
            self.public = None
        if self.network is not None:
            if self._own_network:  # the shared one is the accounts' too: closed with them at app stop
                await self.network.close()
            self.network = None
        self.error = ""

    async def close(self) -> None:
        await self._close_live()
