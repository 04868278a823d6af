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

import logging
from decimal import Decimal
from typing import Any

from ...core.enums import Interval
from ...core.errors import UnknownSymbol, VenueUnavailable
from ...core.market_data import Bar
from ..live.network import VenueNetwork, send
from ..live.public import LivePublic
from .instruments import instruments_from_exchange_info, rate_limits
from .profile import PROFILE
from .urls import SPOT, Endpoints

log = logging.getLogger(__name__)

KLINE_LIMIT = 1000
SUBSCRIBE_BATCH = 200  # streams per SUBSCRIBE message
_STREAM_KINDS = ("bookTicker", "miniTicker", "kline_1m")


class BinancePublic(LivePublic):
    """Public market data of one Binance market (``endpoints``) over the venue's shared ``network``, on the
    live layer's public feed (``brokers/live/public.py``: subscriptions, resubscribe, batching, quote assembly,
    kline paging); this class holds Binance's wire: its REST paths and weights, stream names and frames.
    ``limits``: the venue's published rate limits (ORDERS ones apply per account)."""

    kline_limit = KLINE_LIMIT
    subscribe_batch = SUBSCRIBE_BATCH
    max_streams = PROFILE.max_streams

    def __init__(self, endpoints: Endpoints, network: VenueNetwork, *, stale_after_s: float = 60.0) -> None:
        super().__init__(endpoints.venue, network, f"{endpoints.stream}/stream", stale_after_s=stale_after_s)
        self.endpoints = endpoints
        self.limits: list = []

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

    async def _load(self) -> None:
        info = await self._get("exchangeInfo", 20 if self.endpoints.market == SPOT else 1)
        limits = rate_limits(info)
        self.limits = limits
        if limits:
            self.network.set_limits(self.endpoints.rest, limits)
        self._list(instruments_from_exchange_info(info, self.endpoints.market, self.venue))
        await self.network.clock(self.endpoints.rest).sync(self.server_time_ms)

    async def _kline_page(self, symbol: str, wire: str, interval: Interval, start_ms: int,
                          end_ms: int) -> tuple[list[Bar], int]:
        """``GET klines`` (weight 2 spot, 5 futures at limit 1000): rows whose ``closeTime`` has passed."""
        weight = 2 if self.endpoints.market == SPOT else 5
        rows = await self._get("klines", weight, symbol=wire, interval=interval.value, startTime=start_ms,
                               endTime=end_ms, limit=self.kline_limit)
        now = self.network.clock(self.endpoints.rest).now_ms()
        D = Decimal
        bars = [Bar(symbol, interval, int(row[0]), D(row[1]), D(row[2]), D(row[3]), D(row[4]), D(row[5]), True,
                    self.venue) for row in rows if int(row[6]) < now]
        return bars, len(rows)

    # ---- streams ------------------------------------------------------------------------------------------
    def _stream_names(self, wire: str) -> list[str]:
        return [f"{wire.lower()}@{kind}" for kind in _STREAM_KINDS]

    def _subscription(self, method: str, names: list[str]) -> dict[str, Any]:
        return {"method": method, "params": names, "id": next(self._ids)}

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
        symbol = self._wanted_symbol(wire)
        if symbol is None:
            return  # late events of an unsubscribed symbol
        D = Decimal
        if kind == "bookTicker":
            self._update_book(symbol, bid=D(data["b"]), ask=D(data["a"]))
        elif kind == "miniTicker":
            self._update_book(symbol, last=D(data["c"]), day_open=D(data["o"]))
        elif kind.startswith("kline_"):
            k = data["k"]
            self._emit_bar(Bar(symbol, Interval(k["i"]), int(k["t"]), D(k["o"]), D(k["h"]), D(k["l"]), D(k["c"]),
                               D(k["v"]), bool(k["x"]), self.venue))
            self._update_book(symbol, last=D(k["c"]))


def shared_public(endpoints: Endpoints, network: VenueNetwork) -> BinancePublic:
    """The one ``BinancePublic`` of ``endpoints`` on ``network``: every account of that market shares its
    instruments, limits and public stream connection."""
    key = ("binance-public", endpoints.market, endpoints.rest, endpoints.stream)
    public = network.shared.get(key)
    if public is None:
        public = network.shared[key] = BinancePublic(endpoints, network)
    return public
