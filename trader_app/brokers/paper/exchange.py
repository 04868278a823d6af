"""The shared paper venue: instruments, the last quote per symbol, resting orders per symbol and quote
subscriptions. One ``PaperExchange`` serves every paper account (one ``PaperBroker`` each).

``on_quote`` is the hot path (the demo market pushes up to 20,000 quotes/s): it stores the quote, feeds
quote subscribers of that symbol, and returns at once when no order rests on the symbol. Everything runs on
the event loop thread; nothing here is thread-safe.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from ...core.errors import UnknownSymbol
from ...core.events import QuoteEvent
from ...core.ids import now_ms
from ...core.instrument import Instrument
from ...core.market_data import Quote

if TYPE_CHECKING:
    from ...core.bus import EventBus

log = logging.getLogger(__name__)

VENUE = "paper"


class RestingOwner(Protocol):
    """Whoever owns resting orders (a ``PaperBroker``): called with each new quote of the symbol."""

    def on_resting_quote(self, client_order_id: str, quote: Quote) -> None: ...


class QuoteSubscription:
    """A bounded queue of quotes for a set of symbols. When the consumer falls behind, the oldest quote is
    dropped (quotes are conflated, never blocking the venue)."""

    def __init__(self, symbols: Iterable[str], maxsize: int = 1000) -> None:
        self.symbols = frozenset(symbols)
        self.queue: asyncio.Queue[Quote] = asyncio.Queue(maxsize=maxsize)
        self.dropped = 0

    def push(self, quote: Quote) -> None:
        try:
            self.queue.put_nowait(quote)
        except asyncio.QueueFull:
            self.queue.get_nowait()
            self.dropped += 1
            self.queue.put_nowait(quote)


class PaperExchange:
    """The embedded paper venue shared by all paper accounts.

    ``instruments``: what can be traded; ``clock``: epoch ms (UTC) used for order and fill times.
    Feed it quotes with ``on_quote`` (or ``connect_bus(bus)`` to take every ``QuoteEvent``).
    """

    venue = VENUE

    def __init__(self, instruments: Iterable[Instrument] = (), *, clock: Callable[[], int] = now_ms) -> None:
        self.clock = clock
        # the venue whose quotes the paper venue trades on (None: every quote on the bus); the app wires the
        # market's choice (``MarketService.paper_prices``: itself with the demo or a replay, Binance on live prices)
        self.prices_from: Callable[[], str] | None = None
        self._instruments: dict[str, Instrument] = {}
        self._quotes: dict[str, Quote] = {}
        # symbol -> (account_id, client_order_id) -> (owner, is_buy, is_stop, threshold or None)
        self._resting: dict[str, dict[tuple[str, str], tuple[RestingOwner, bool, bool, Decimal | None]]] = {}
        self._subs: dict[str, list[QuoteSubscription]] = {}
        self._bus_unsub: dict[int, Callable[[], None]] = {}
        for inst in instruments:
            self.add_instrument(inst)

    # ---- instruments -------------------------------------------------------------------------------
    def add_instrument(self, instrument: Instrument) -> bool:
        """Add (or replace) an instrument of the paper venue, keyed by its symbol. Another venue's instrument
        is not listed here (the paper venue lists its own; returns False then)."""
        if instrument.venue != VENUE:
            return False
        self._instruments[instrument.symbol] = instrument
        return True

    def instrument(self, symbol: str) -> Instrument:
        """The instrument for ``symbol``. Raises ``UnknownSymbol``."""
        try:
            return self._instruments[symbol]
        except KeyError:
            raise UnknownSymbol(symbol, VENUE) from None

    def instruments(self) -> list[Instrument]:
        """All instruments, sorted by symbol."""
        return [self._instruments[s] for s in sorted(self._instruments)]

    # ---- quotes ------------------------------------------------------------------------------------
    def on_quote(self, quote: Quote) -> None:
        """Take a new quote: remember it, feed subscribers, and let resting orders of the symbol match.

        Synchronous and O(1) when nobody subscribed to the symbol and no order rests on it. A failing
        owner is logged and does not stop the others.
        """
        symbol = quote.symbol
        self._quotes[symbol] = quote
        subs = self._subs.get(symbol)
        if subs:
            for sub in subs:
                sub.push(quote)
        book = self._resting.get(symbol)
        if not book:
            return
        bid, ask = quote.bid, quote.ask
        if bid <= 0 or ask <= 0:
            return
        for (_, client_order_id), (owner, is_buy, is_stop, threshold) in tuple(book.items()):
            if threshold is not None:
                if is_buy:
                    if (ask < threshold) if is_stop else (ask > threshold):
                        continue
                elif (bid > threshold) if is_stop else (bid < threshold):
                    continue
            try:
                owner.on_resting_quote(client_order_id, quote)
            except Exception:  # noqa: BLE001 - one account's bug must not stop the venue
                log.exception("paper matching failed for %s on %s", client_order_id, symbol)

    def last_quote(self, symbol: str) -> Quote | None:
        """The latest quote of ``symbol`` (None before the first)."""
        return self._quotes.get(symbol)

    def connect_bus(self, bus: "EventBus") -> None:
        """Take every ``QuoteEvent`` of ``bus`` (idempotent per bus)."""
        if id(bus) in self._bus_unsub:
            return
        self._bus_unsub[id(bus)] = bus.subscribe(QuoteEvent, self._on_quote_event)

    def disconnect_bus(self, bus: "EventBus") -> None:
        unsub = self._bus_unsub.pop(id(bus), None)
        if unsub:
            unsub()

    def _on_quote_event(self, event: QuoteEvent) -> None:
        prices_from = self.prices_from
        if prices_from is not None and event.quote.venue != prices_from():
            return  # another venue's price for the same symbol: the paper venue trades on one market only
        self.on_quote(event.quote)

    def subscribe_quotes(self, symbols: Iterable[str], maxsize: int = 1000) -> QuoteSubscription:
        """A queue fed with every future quote of ``symbols``; call ``unsubscribe_quotes`` when done."""
        sub = QuoteSubscription(symbols, maxsize)
        for s in sub.symbols:
            self._subs.setdefault(s, []).append(sub)
        return sub

    def unsubscribe_quotes(self, sub: QuoteSubscription) -> None:
        for s in sub.symbols:
            subs = self._subs.get(s)
            if subs and sub in subs:
                subs.remove(sub)
                if not subs:
                    del self._subs[s]

    # ---- resting orders ----------------------------------------------------------------------------
    def add_resting(
        self,
        symbol: str,
        account_id: str,
        client_order_id: str,
        owner: RestingOwner,
        *,
        side_is_buy: bool = True,
        is_stop: bool = False,
        threshold: Decimal | None = None,
    ) -> None:
        """Register (or update) a resting order. ``owner.on_resting_quote`` is called with each later quote of the
        symbol that reaches ``threshold``: for a buy, ask <= threshold (a limit) or ask >= threshold (a stop not yet
        triggered); for a sell, bid >= threshold (limit) or bid <= threshold (stop). ``threshold=None``: every quote.
        The check runs inline here so that quotes far from every order cost a comparison, not a call."""
        self._resting.setdefault(symbol, {})[(account_id, client_order_id)] = (owner, side_is_buy, is_stop, threshold)

    def remove_resting(self, symbol: str, account_id: str, client_order_id: str) -> None:
        book = self._resting.get(symbol)
        if book is None:
            return
        book.pop((account_id, client_order_id), None)
        if not book:
            del self._resting[symbol]

    def resting_count(self, symbol: str | None = None) -> int:
        """Number of resting orders (on ``symbol``, or on all symbols)."""
        if symbol is not None:
            return len(self._resting.get(symbol, ()))
        return sum(len(b) for b in self._resting.values())

    def stats(self) -> dict[str, Any]:
        """Counts for diagnostics: instruments, symbols quoted, resting orders, quote subscribers."""
        return {
            "instruments": len(self._instruments),
            "quoted": len(self._quotes),
            "resting": self.resting_count(),
            "subscriptions": sum(len(s) for s in self._subs.values()),
        }
