"""``VenueFeeds``: the market service fed by the venues' own quote streams (DESIGN.md "one public market-data
connection per venue shared by every account and panel").

For each venue with at least one connected account whose adapter streams quotes
(``capabilities.quote_stream``; the paper venue does not: it trades on the market it is fed), one adapter of
that venue is the venue's feed: ``MarketService.add_feed(venue, broker.quotes(symbols))`` with the watched
symbols that venue lists (watchlist entries are market ids: ``venue:symbol``), and, when the adapter declares
``capabilities.bar_history``, its ``bar_history`` fills the chart's history of that venue's symbols. Adding a symbol to the watchlist subscribes it on the running feed
(``broker.subscribe``), removing it unsubscribes; the connection is not reopened. When the feeding account
disconnects or is removed, another connected account of the venue takes over (or the feed ends).
Quotes carry their venue, so the same symbol on two venues stays two prices (keyed by (venue, symbol)).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from ..core.bus import EventBus
from ..core.enums import SessionState
from ..core.events import AccountEvent, WatchlistEvent
from ..core.instrument import parse_market_id
from .service import MarketService

log = logging.getLogger(__name__)


@dataclass
class _Feed:
    account_id: str  # "" for a venue's public market data (no account)
    broker: Any
    task: asyncio.Task[None]
    symbols: set[str] = field(default_factory=set)
    listed: set[str] = field(default_factory=set)
    extra: set[str] = field(default_factory=set)  # asked for by an order (``want``), watched or not


class VenueFeeds:
    """Keeps one quote feed per venue (see the module docstring). ``order_manager``: where the connected
    adapters are (``broker(account_id)``, ``instruments(account_id)``, ``account_ids()``). ``close()`` stops
    every feed."""

    def __init__(self, bus: EventBus, market: MarketService, order_manager: Any) -> None:
        self.bus = bus
        self.market = market
        self.om = order_manager
        self.feeds: dict[str, _Feed] = {}
        self._watchlist: tuple[str, ...] | None = None
        self._pending: set[asyncio.Task[Any]] = set()
        self._unsub = [bus.subscribe(AccountEvent, self._on_account), bus.subscribe(WatchlistEvent, self._on_watchlist)]
        market.quote_demand.append(self.want)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _on_account(self, event: AccountEvent) -> None:
        account_id = event.account.account_id
        if event.session is SessionState.CONNECTED and not event.removed:
            self._spawn(self._start(account_id))
        elif any(f.account_id == account_id for f in self.feeds.values()):
            self._spawn(self._replace(account_id))

    def _on_watchlist(self, event: WatchlistEvent) -> None:
        self._watchlist = event.symbols
        self._spawn(self._resubscribe())

    async def _watched(self) -> tuple[str, ...]:
        if self._watchlist is None:
            self._watchlist = tuple(await self.market.watchlist())
        return self._watchlist

    async def add_public(self, source: Any) -> None:
        """Make ``source`` (a venue's public market data, connected: ``venue``, ``instruments()``,
        ``quotes``/``subscribe``/``unsubscribe``, ``bar_history``) the feed of its venue, whatever accounts
        connect later: one public connection per venue, shared by every account and panel. Its instruments
        are listed on the market service."""
        venue = source.venue
        old = self.feeds.pop(venue, None)
        if old is not None:
            old.task.cancel()
            await asyncio.gather(old.task, return_exceptions=True)
        instruments = await source.instruments()
        for inst in instruments:
            self.market.add_instrument(inst)
        listed = {i.symbol for i in instruments}
        symbols = await self._symbols_for(venue, listed)
        task = self.market.add_feed(venue, source.quotes(sorted(symbols)))
        self.feeds[venue] = _Feed("", source, task, symbols, listed)
        self.market.add_history_source(venue, source.bar_history)
        log.info("quotes of %s now come from its public streams (%d symbols)", venue, len(symbols))

    async def remove_public(self, venue: str) -> None:
        """Stop the public feed of ``venue`` (the source is the caller's to close)."""
        feed = self.feeds.get(venue)
        if feed is None or feed.account_id:
            return
        del self.feeds[venue]
        self.market.add_history_source(venue, None)
        feed.task.cancel()
        await asyncio.gather(feed.task, return_exceptions=True)

    async def _symbols_for(self, venue: str, listed: set[str]) -> set[str]:
        wanted = set()
        for market in await self._watched():
            try:
                v, symbol = parse_market_id(market)
            except ValueError:
                continue
            if v == venue and symbol in listed:
                wanted.add(symbol)
        return wanted

    async def _start(self, account_id: str) -> None:
        try:
            broker = self.om.broker(account_id)
            await self.om.ready(account_id)
        except Exception:  # noqa: BLE001 - the account went away meanwhile
            return
        venue = broker.venue
        if not broker.capabilities.quote_stream or venue in self.feeds:
            return
        listed = {i.symbol for i in self.om.instruments(account_id)}
        symbols = await self._symbols_for(venue, listed)
        for inst in self.om.instruments(account_id):
            self.market.add_instrument(inst)  # the venue's instruments become watchable and chartable
        task = self.market.add_feed(venue, broker.quotes(sorted(symbols)))
        self.feeds[venue] = _Feed(account_id, broker, task, symbols, listed)
        if broker.capabilities.bar_history:
            self.market.add_history_source(venue, broker.bar_history)
        log.info("quotes of %s now come from account %s (%d symbols)", venue, account_id, len(symbols))

    async def _replace(self, account_id: str) -> None:
        for venue, feed in list(self.feeds.items()):
            if feed.account_id != account_id:
                continue
            del self.feeds[venue]
            self.market.add_history_source(venue, None)
            feed.task.cancel()
            await asyncio.gather(feed.task, return_exceptions=True)
            for other in self.om.account_ids():
                try:
                    if other != account_id and self.om.broker(other).venue == venue:
                        await self._start(other)
                        break
                except Exception:  # noqa: BLE001
                    continue

    async def want(self, venue: str, symbol: str) -> None:
        """Stream ``symbol``'s quotes on ``venue``'s running feed even though it is not watched (an order needs
        its price); nothing happens when the venue has no feed or does not list it."""
        feed = self.feeds.get(venue)
        if feed is None or symbol not in feed.listed or symbol in feed.symbols:
            return
        feed.extra.add(symbol)
        await feed.broker.subscribe([symbol])
        feed.symbols.add(symbol)

    async def _resubscribe(self) -> None:
        for venue, feed in list(self.feeds.items()):
            wanted = await self._symbols_for(venue, feed.listed) | feed.extra
            added, removed = wanted - feed.symbols, feed.symbols - wanted
            try:
                if added:
                    await feed.broker.subscribe(sorted(added))
                if removed:
                    await feed.broker.unsubscribe(sorted(removed))
            except Exception as exc:  # noqa: BLE001 - the feed keeps what it had; the next change retries
                log.warning("quote subscription of %s not changed: %s", venue, exc)
                continue
            feed.symbols = wanted

    async def close(self) -> None:
        for unsub in self._unsub:
            unsub()
        if self.want in self.market.quote_demand:
            self.market.quote_demand.remove(self.want)
        tasks = [f.task for f in self.feeds.values()] + list(self._pending)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.feeds.clear()
