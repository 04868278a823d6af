"""``LivePublic``: a venue's public market data without an API key, the venue-independent part.

One instance per venue market and network (``shared`` in the venue's network), used by every account and panel:
- ``connect()`` once (a lock: the accounts sharing it connect it once): ``_load`` (the venue's instruments, its
  published limits, the server clock);
- ``bar_history`` pages the venue's candles (``_kline_page``: one request, oldest first) until the range is done;
- ``quotes(symbols)``: an async iterator of ``Quote`` and ``Bar`` that survives reconnects, fed by
  ``ManagedStream`` connections; ``subscribe``/``unsubscribe`` change the set on the running connections, in
  batches of ``subscribe_batch`` stream names spaced ``subscribe_spacing_s`` (the venues cap messages per
  second), and every reconnect subscribes that connection's whole set again. A venue that caps the streams of one
  connection (``max_streams``: Binance 1024) gets another connection for the symbols past the cap, each symbol's
  streams on one connection; the connections share the venue's connect gate; where one subscription message
  replaces the connection's whole set (``replaces_subscription``: the ticket feeds), the whole set is sent each time;
- quote assembly: a venue's book/ticker/trade/candle messages update one ``[bid, ask, last, day_open]`` per
  symbol (``_update_book``); a ``Quote`` goes out once a bid and an ask are known.

A venue supplies ``_load``, ``_kline_page``, ``_stream_names(wire)``, ``_subscription(method, names)`` (the
message that changes the set) and ``_on_message`` (its frames, calling ``_update_book`` / ``_emit_bar``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from ...core.enums import Interval, SessionState
from ...core.errors import UnknownSymbol
from ...core.ids import now_ms
from ...core.instrument import Instrument
from ...core.market_data import Bar, Quote
from ..base import BrokerCapabilities
from .network import VenueNetwork
from .stream import ManagedStream, StreamDropped
from .symbols import SymbolMap

log = logging.getLogger(__name__)
ZERO = Decimal(0)


class LivePublic(ABC):
    """Public market data of one venue market over the venue's shared ``network`` (see the module docstring).
    ``stream_url``: the public WebSocket; ``state`` is its connection state. REST errors propagate
    (``VenueUnavailable``, ``RateLimited``, ``VenueBanned``, ``UnknownSymbol``)."""

    account_id = ""
    capabilities = BrokerCapabilities(quote_stream=True, bar_history=True, order_stream=False)
    subscribe_batch = 200  # stream names per subscription message
    subscribe_spacing_s = 0.25  # between two subscription messages
    kline_limit = 1000  # candles per history request
    max_streams: int | None = None  # stream names one connection may carry (None: no cap)
    replaces_subscription = False  # a subscription message replaces the connection's set: send it whole

    def __init__(self, venue: str, network: VenueNetwork, stream_url: str, *, stale_after_s: float = 60.0) -> None:
        self.venue = venue
        self.network = network
        self.symbols = SymbolMap()
        self._instruments: list[Instrument] = []
        self._wanted: set[str] = set()  # our symbols subscribed
        self._queue: asyncio.Queue[Quote | Bar | None] = asyncio.Queue()
        self._book: dict[str, list[Decimal]] = {}  # symbol -> [bid, ask, last, day_open]
        self._ids = itertools.count(1)
        self._stream_url = stream_url
        self._stale_after_s = stale_after_s
        self.streams: list[ManagedStream] = []
        self._shard: dict[str, int] = {}  # symbol -> index of the connection carrying its streams
        self._started = False
        self._new_stream()
        self.errors: list[str] = []  # subscription errors the venue answered
        self._connect_lock = asyncio.Lock()
        self.connected = False

    @property
    def stream(self) -> ManagedStream:
        """The first connection (the only one below ``max_streams``); a venue sets its hooks here (heartbeat,
        headers, decode) and every further connection copies them."""
        return self.streams[0]

    def _new_stream(self) -> ManagedStream:
        n = len(self.streams)
        stream = ManagedStream(f"{self.venue} market data" + (f" #{n + 1}" if n else ""), self._stream_url,
                               self._on_message, on_open=self._resubscribe, gate=self.network.gate,
                               stale_after_s=self._stale_after_s)
        if self.streams:
            first = self.streams[0]
            stream.heartbeat, stream.headers, stream.decode = first.heartbeat, first.headers, first.decode
        self.streams.append(stream)
        if self._started:
            stream.start()
        return stream

    def _place(self, symbols: set[str]) -> dict[int, set[str]]:
        """Give each of ``symbols`` (not placed yet) a connection with room for its streams (a new one when none
        has room); returns them by connection."""
        load: dict[int, int] = {}
        for symbol, i in self._shard.items():
            load[i] = load.get(i, 0) + len(self._streams({symbol}))
        placed: dict[int, set[str]] = {}
        for symbol in sorted(symbols):
            need = len(self._streams({symbol}))
            index = next((i for i in range(len(self.streams))
                          if self.max_streams is None or load.get(i, 0) + need <= self.max_streams), None)
            if index is None:
                self._new_stream()
                index = len(self.streams) - 1
            self._shard[symbol] = index
            load[index] = load.get(index, 0) + need
            placed.setdefault(index, set()).add(symbol)
        return placed

    # ---- instruments and history ------------------------------------------------------------------------------
    async def connect(self) -> None:
        """Load instruments and limits, measure the clock. Idempotent: the accounts sharing it connect it once."""
        async with self._connect_lock:
            if not self.connected:
                await self._load()
                self.connected = True

    @abstractmethod
    async def _load(self) -> None:
        """Read the venue's instruments (``_list``), its published limits and its clock."""

    def _list(self, instruments: list[Instrument]) -> None:
        self._instruments = list(instruments)
        self.symbols.update(self._instruments)

    async def instruments(self) -> list[Instrument]:
        return list(self._instruments)

    async def bar_history(self, symbol: str, interval: Interval, start_ms: int, end_ms: int) -> list[Bar]:
        """Closed candles of ``symbol`` with ``start_ms <= open time <= end_ms``, oldest first, paged
        ``kline_limit`` at a time. Raises UnknownSymbol, VenueUnavailable, RateLimited."""
        try:
            wire = self.symbols.wire(symbol)
        except KeyError:
            raise UnknownSymbol(symbol, self.venue) from None
        bars: list[Bar] = []
        start = start_ms
        while start <= end_ms:
            page, rows = await self._kline_page(symbol, wire, interval, start, end_ms)
            bars.extend(page)
            if rows < self.kline_limit or not page:
                break
            start = page[-1].open_time_ms + interval.ms
        return bars

    @abstractmethod
    async def _kline_page(self, symbol: str, wire: str, interval: Interval, start_ms: int,
                          end_ms: int) -> tuple[list[Bar], int]:
        """One history request: the closed bars from ``start_ms`` (oldest first) and how many rows the venue
        sent (fewer than ``kline_limit``: the range is done)."""

    # ---- streams ----------------------------------------------------------------------------------------------
    @abstractmethod
    def _stream_names(self, wire: str) -> list[str]:
        """The venue's stream names for one symbol (ticker, book, candles)."""

    @abstractmethod
    def _subscription(self, method: str, names: list[str]) -> dict[str, Any]:
        """The message that subscribes (``method`` "SUBSCRIBE") or unsubscribes ("UNSUBSCRIBE") ``names``."""

    def _streams(self, symbols: set[str]) -> list[str]:
        out = []
        for s in sorted(symbols):
            try:
                wire = self.symbols.wire(s)
            except KeyError:
                continue
            out.extend(self._stream_names(wire))
        return out

    async def _send_subscription(self, method: str, streams: list[str], stream: ManagedStream | None = None) -> None:
        target = stream or self.stream
        if self.replaces_subscription:  # one message with the whole set (a second would replace the first)
            await target.send_json(self._subscription(method, streams))
            return
        for k in range(0, len(streams), self.subscribe_batch):
            if k:
                await asyncio.sleep(self.subscribe_spacing_s)
            await target.send_json(self._subscription(method, streams[k: k + self.subscribe_batch]))

    def _changed(self, index: int, placed: set[str]) -> set[str]:
        """What a subscription message of connection ``index`` carries: the ``placed`` symbols, or, where a message
        replaces the connection's set (``replaces_subscription``), every symbol on that connection."""
        if not self.replaces_subscription:
            return placed
        return {s for s in self._wanted if self._shard.get(s) == index}

    async def _resubscribe(self, stream: ManagedStream) -> None:
        index = self.streams.index(stream)
        mine = {s for s in self._wanted if self._shard.get(s) == index}
        if mine:
            await self._send_subscription("SUBSCRIBE", self._streams(mine), stream)

    async def quotes(self, symbols: list[str]) -> AsyncIterator[Quote | Bar]:  # type: ignore[override]
        """Quotes (and candles) of ``symbols`` and of whatever ``subscribe`` adds, until ``close()``."""
        await self.subscribe(symbols)
        self._started = True
        for stream in self.streams:
            stream.start()
        while True:
            item = await self._queue.get()
            if item is None:
                return
            yield item

    async def subscribe(self, symbols: list[str]) -> None:
        """Add ``symbols`` to the running connections (unlisted ones are ignored; past a connection's
        ``max_streams``, on another connection)."""
        new = {s for s in symbols if s in self.symbols.by_symbol} - self._wanted
        self._wanted |= new
        for index, placed in self._place(new).items():
            stream = self.streams[index]
            if stream.connected:
                try:
                    await self._send_subscription("SUBSCRIBE", self._streams(self._changed(index, placed)), stream)
                except StreamDropped:
                    pass  # sent again by on_open when the connection is back

    async def unsubscribe(self, symbols: list[str]) -> None:
        gone = set(symbols) & self._wanted
        self._wanted -= gone
        by_stream: dict[int, set[str]] = {}
        for symbol in gone:
            by_stream.setdefault(self._shard.pop(symbol, 0), set()).add(symbol)
        for index, those in by_stream.items():
            stream = self.streams[index]
            if not stream.connected:
                continue
            try:
                if not self.replaces_subscription:
                    await self._send_subscription("UNSUBSCRIBE", self._streams(those), stream)
                elif self._changed(index, set()):  # the set left (late events of the others are dropped)
                    await self._send_subscription("SUBSCRIBE", self._streams(self._changed(index, set())), stream)
            except StreamDropped:
                pass

    @property
    def subscribed(self) -> set[str]:
        return set(self._wanted)

    @property
    def state(self) -> SessionState:
        """CONNECTED when every connection is; else the state of the first that is not."""
        return next((s.state for s in self.streams if s.state is not SessionState.CONNECTED), SessionState.CONNECTED)

    async def close(self) -> None:
        for stream in self.streams:
            await stream.close()
        self._queue.put_nowait(None)

    @abstractmethod
    def _on_message(self, msg: Any) -> None:
        """One decoded frame of the public stream."""

    # ---- quote assembly ---------------------------------------------------------------------------------------
    def _wanted_symbol(self, wire: str) -> str | None:
        """Our symbol of ``wire`` while it is subscribed (late events of an unsubscribed one: None)."""
        symbol = self.symbols.symbol(wire)
        return symbol if symbol is not None and symbol in self._wanted else None

    def _update_book(self, symbol: str, *, bid: Decimal | None = None, ask: Decimal | None = None,
                     last: Decimal | None = None, day_open: Decimal | None = None) -> None:
        """Merge what a message told about ``symbol`` and publish the quote once a bid and an ask are known
        (last: the last trade, else the mid)."""
        book = self._book.setdefault(symbol, [ZERO, ZERO, ZERO, ZERO])
        for i, value in enumerate((bid, ask, last, day_open)):
            if value is not None:
                book[i] = value
        b, a, last_price, opened = book
        if b > 0 and a > 0:
            self._queue.put_nowait(Quote(symbol, now_ms(), b, a, last_price or (b + a) / 2, ZERO, opened,
                                         self.venue))

    def _emit_bar(self, bar: Bar) -> None:
        """A candle of the venue's stream (the forming one and, once closed, the closed one)."""
        self._queue.put_nowait(bar)
