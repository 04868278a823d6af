"""Binance market data without an API key: instruments, kline history, and one public stream connection per
market shared by every account and panel.

REST (https://developers.binance.com/docs/binance-spot-api-docs/rest-api/market-data-endpoints, USD-M:
.../derivatives/usds-margined-futures/market-data/rest-api): ``GET {prefix}/exchangeInfo`` (weight 20 spot,
1 futures), ``GET {prefix}/klines`` (``symbol, interval, startTime, endTime, limit`` <= 1000; a row is
``[openTime, open, high, low, close, volume, closeTime, ...]``; weight 2 spot, 5 futures at limit 1000),
``GET {prefix}/time`` -> ``{"serverTime": ms}``.

Streams (web-socket-streams.md): combined streams at ``{stream}/stream``; each event arrives as
``{"stream": "<name>", "data": {...}}``; subscriptions change on the open connection with
``{"method": "SUBSCRIBE"|"UNSUBSCRIBE", "params": [...], "id": n}`` (answer ``{"result": null, "id": n}``). Per
symbol we take ``<s>@bookTicker`` (best bid/ask, real time: ``{u, s, b, B, a, A}``), ``<s>@miniTicker`` (last
price ``c`` and the 24 h open ``o``, every second) and ``<s>@kline_1m`` (the venue's own 1-minute candles:
``k = {t, o, h, l, c, v, x (closed)}``, every 2 s). Stream names are lower case. A connection carries at
most 1024 streams and takes at most 5 incoming messages a second (10 on futures), so subscriptions go in
batches of ``SUBSCRIBE_BATCH`` streams, spaced.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from ...core.enums import Interval, SessionState
from ...core.errors import UnknownSymbol, VenueUnavailable
from ...core.ids import now_ms
from ...core.instrument import Instrument
from ...core.market_data import Bar, Quote
from ..base import BrokerCapabilities
from ..live.network import VenueNetwork, send
from ..live.stream import ManagedStream, StreamDropped
from .instruments import SymbolMap, instruments_from_exchange_info, rate_limits
from .urls import SPOT, Endpoints

log = logging.getLogger(__name__)

KLINE_LIMIT = 1000
SUBSCRIBE_BATCH = 200  # streams per SUBSCRIBE message
_STREAM_KINDS = ("bookTicker", "miniTicker", "kline_1m")


class BinancePublic:
    """Public market data of one Binance market (``endpoints``) over the venue's shared ``network``.

    ``connect()`` loads the instruments and the published rate limits and measures the server clock; then
    ``instruments()``, ``bar_history()``, and ``quotes(symbols)`` (an async iterator of ``Quote`` and ``Bar``
    that survives reconnects) with ``subscribe``/``unsubscribe`` on the running connection. ``state`` is the
    stream's connection state. Raises ``VenueUnavailable``/``RateLimited``/``VenueBanned`` from the REST calls.
    """

    account_id = ""
    capabilities = BrokerCapabilities(quote_stream=True, bar_history=True, order_stream=False)

    def __init__(self, endpoints: Endpoints, network: VenueNetwork, *, stale_after_s: float = 60.0) -> None:
        self.endpoints = endpoints
        self.venue = endpoints.venue
        self.network = network
        self.symbols = SymbolMap()
        self._instruments: list[Instrument] = []
        self._wanted: set[str] = set()  # app symbols subscribed
        self._queue: asyncio.Queue[Quote | Bar] = asyncio.Queue()
        self._book: dict[str, list[Decimal]] = {}  # symbol -> [bid, ask, last, day_open]
        self._ids = itertools.count(1)
        self.stream = ManagedStream(f"{self.venue} market data", f"{endpoints.stream}/stream", self._on_message,
                                    on_open=self._resubscribe, gate=network.gate, stale_after_s=stale_after_s)
        self.errors: list[str] = []  # subscription errors the venue answered
        self.limits: list = []  # the venue's published rate limits (ORDERS ones apply per account)
        self._connect_lock = asyncio.Lock()
        self.connected = False

    # ---- REST ---------------------------------------------------------------------------------------------
    async def _get(self, path: str, weight: int, **params: Any) -> Any:
        r = await send(self.network, self.endpoints.rest, "GET", f"{self.endpoints.prefix}/{path}", weight=weight,
                       params=params or None)
        body = r.json()
        if r.status_code >= 400:
            code = body.get("code") if isinstance(body, dict) else None
            if code == -1121:
                raise UnknownSymbol(str(params.get("symbol", "")), self.venue)
            raise VenueUnavailable(f"{self.venue} refused {path}: {body.get('msg') if isinstance(body, dict) else body}")
        return body

    async def server_time_ms(self) -> int:
        return int((await self._get("time", 1))["serverTime"])

    async def connect(self) -> None:
        """Load instruments and limits, measure the clock. Idempotent: the accounts sharing it connect it once."""
        async with self._connect_lock:
            if not self.connected:
                await self._load()
                self.connected = True

    async def _load(self) -> None:
        info = await self._get("exchangeInfo", 20 if self.endpoints.market == SPOT else 1)
        limits = rate_limits(info)
        self.limits = limits
        if limits:
            self.network.set_limits(self.endpoints.rest, limits)
        self._instruments = instruments_from_exchange_info(info, self.endpoints.market, self.venue)
        self.symbols.update(self._instruments)
        await self.network.clock(self.endpoints.rest).sync(self.server_time_ms)

    async def instruments(self) -> list[Instrument]:
        return list(self._instruments)

    async def bar_history(self, symbol: str, interval: Interval, start_ms: int, end_ms: int) -> list[Bar]:
        """Closed klines of ``symbol`` with ``start_ms <= open time <= end_ms``, oldest first, paged 1000 at a
        time. Raises UnknownSymbol, VenueUnavailable, RateLimited."""
        try:
            wire = self.symbols.wire(symbol)
        except KeyError:
            raise UnknownSymbol(symbol, self.venue) from None
        weight = 2 if self.endpoints.market == SPOT else 5
        bars: list[Bar] = []
        start = start_ms
        D = Decimal
        while start <= end_ms:
            rows = await self._get("klines", weight, symbol=wire, interval=interval.value, startTime=start,
                                   endTime=end_ms, limit=KLINE_LIMIT)
            for row in rows:
                t, o, h, lo, c, v = row[:6]
                if int(row[6]) < self.network.clock(self.endpoints.rest).now_ms():  # closeTime passed: closed
                    bars.append(Bar(symbol, interval, int(t), D(o), D(h), D(lo), D(c), D(v), True, self.venue))
            if len(rows) < KLINE_LIMIT:
                break
            start = int(rows[-1][0]) + interval.ms
        return bars

    # ---- streams ------------------------------------------------------------------------------------------
    def _streams(self, symbols: set[str]) -> list[str]:
        out = []
        for s in sorted(symbols):
            try:
                wire = self.symbols.wire(s).lower()
            except KeyError:
                continue
            out.extend(f"{wire}@{kind}" for kind in _STREAM_KINDS)
        return out

    async def _send_subscription(self, method: str, streams: list[str]) -> None:
        for k in range(0, len(streams), SUBSCRIBE_BATCH):
            if k:
                await asyncio.sleep(0.25)  # the venue takes at most 5 messages a second
            await self.stream.send_json({"method": method, "params": streams[k: k + SUBSCRIBE_BATCH],
                                         "id": next(self._ids)})

    async def _resubscribe(self, stream: ManagedStream) -> None:
        if self._wanted:
            await self._send_subscription("SUBSCRIBE", self._streams(self._wanted))

    async def quotes(self, symbols: list[str]) -> AsyncIterator[Quote | Bar]:  # type: ignore[override]
        """Quotes (and 1-minute klines) of ``symbols`` and of whatever ``subscribe`` adds, until ``close()``."""
        await self.subscribe(symbols)
        self.stream.start()
        while True:
            item = await self._queue.get()
            if item is None:
                return
            yield item

    async def subscribe(self, symbols: list[str]) -> None:
        """Add ``symbols`` to the running connection (unlisted ones are ignored)."""
        new = {s for s in symbols if s in self.symbols.by_symbol} - self._wanted
        self._wanted |= new
        if new and self.stream.connected:
            try:
                await self._send_subscription("SUBSCRIBE", self._streams(new))
            except StreamDropped:
                pass  # sent again by on_open when the connection is back

    async def unsubscribe(self, symbols: list[str]) -> None:
        gone = set(symbols) & self._wanted
        self._wanted -= gone
        if gone and self.stream.connected:
            try:
                await self._send_subscription("UNSUBSCRIBE", self._streams(gone))
            except StreamDropped:
                pass

    @property
    def subscribed(self) -> set[str]:
        return set(self._wanted)

    @property
    def state(self) -> SessionState:
        return self.stream.state

    async def close(self) -> None:
        await self.stream.close()
        self._queue.put_nowait(None)  # type: ignore[arg-type]

    def _on_message(self, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        if "id" in msg and ("result" in msg or "error" in msg):
            if msg.get("error"):
                self.errors.append(str(msg["error"]))
                log.warning("%s refused a subscription: %s", self.venue, msg["error"])
            return
        name, data = msg.get("stream"), msg.get("data")
        if not isinstance(name, str) or not isinstance(data, dict):
            return
        wire, _, kind = name.partition("@")
        symbol = self.symbols.symbol(wire)
        if symbol is None or symbol not in self._wanted:
            return  # late events of an unsubscribed symbol
        book = self._book.setdefault(symbol, [Decimal(0)] * 4)
        D = Decimal
        if kind == "bookTicker":
            book[0], book[1] = D(data["b"]), D(data["a"])
        elif kind == "miniTicker":
            book[2], book[3] = D(data["c"]), D(data["o"])
        elif kind.startswith("kline_"):
            k = data["k"]
            book[2] = D(k["c"])
            iv = Interval(k["i"])
            self._queue.put_nowait(Bar(symbol, iv, int(k["t"]), D(k["o"]), D(k["h"]), D(k["l"]), D(k["c"]),
                                       D(k["v"]), bool(k["x"]), self.venue))
        else:
            return
        bid, ask, last, day_open = book
        if bid > 0 and ask > 0:
            self._queue.put_nowait(Quote(symbol, now_ms(), bid, ask, last or (bid + ask) / 2, Decimal(0), day_open,
                                         self.venue))


def shared_public(endpoints: Endpoints, network: VenueNetwork) -> BinancePublic:
    """The one ``BinancePublic`` of ``endpoints`` on ``network``: every account of that market shares its
    instruments, limits and public stream connection."""
    key = ("binance-public", endpoints.market, endpoints.rest, endpoints.stream)
    public = network.shared.get(key)
    if public is None:
        public = network.shared[key] = BinancePublic(endpoints, network)
    return public
