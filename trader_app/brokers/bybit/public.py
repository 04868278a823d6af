"""Bybit market data without an API key, one category (spot or linear) per instance, on the live layer's public
feed (``brokers/live/public.py``).

REST (https://bybit-exchange.github.io/docs/v5/market/...): ``GET /v5/market/time`` (the answer's ``time``, ms),
``GET /v5/market/instruments-info?category=`` (linear paged with ``cursor``/``nextPageCursor``),
``GET /v5/market/kline?category=&symbol=&interval=&start=&end=&limit=1000`` (``list`` rows
``[startTime, open, high, low, close, volume, turnover]``, **newest first**).
Streams (``wss://stream.bybit.com/v5/public/<category>``, https://bybit-exchange.github.io/docs/v5/websocket/public/...):
``{"op": "subscribe", "args": [topics], "req_id"}`` (spot takes at most 10 topics a request); per symbol
``orderbook.1.<S>`` (best bid ``b[0]`` / ask ``a[0]``), ``tickers.<S>`` (``lastPrice``, ``prevPrice24h``; linear
sends deltas with the changed fields only) and ``kline.1.<S>`` (``data[]`` with ``start``, ``open`` ...,
``confirm`` true once closed). The connection wants ``{"op": "ping"}`` every 20 s (the stream's heartbeat hook).
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
from .codes import INTERVAL, INTERVAL_BACK
from .instruments import instruments_from_info
from .urls import SPOT, Endpoints

log = logging.getLogger(__name__)
PING_EVERY_S = 20.0


class BybitPublic(LivePublic):
    """Public market data of one Bybit ``category`` over the venue's shared ``network`` (see the module
    docstring)."""

    kline_limit = 1000

    def __init__(self, endpoints: Endpoints, network: VenueNetwork, category: str = SPOT, *,
                 stale_after_s: float = 60.0) -> None:
        super().__init__(endpoints.venue, network, endpoints.public(category), stale_after_s=stale_after_s)
        self.endpoints = endpoints
        self.category = category
        self.subscribe_batch = 10 if category == SPOT else 100
        self.stream.heartbeat = (PING_EVERY_S, lambda: {"op": "ping"})

    async def _get(self, path: str, **params: Any) -> Any:
        r = await send(self.network, self.endpoints.rest, "GET", path, params=params or None)
        body = r.json()
        if r.status_code >= 400 or body.get("retCode") != 0:
            if body.get("retCode") == 10001 and "symbol" in params:
                raise UnknownSymbol(str(params["symbol"]), self.venue)
            raise VenueUnavailable(f"{self.venue} refused {path}: {body.get('retMsg') or r.status_code}")
        return body

    async def server_time_ms(self) -> int:
        return int((await self._get("/v5/market/time"))["time"])

    async def _load(self) -> None:
        rows: list[dict[str, Any]] = []
        cursor = ""
        while True:
            params: dict[str, Any] = {"category": self.category}
            if self.category != SPOT:
                params["limit"] = 1000
            if cursor:
                params["cursor"] = cursor
            result = (await self._get("/v5/market/instruments-info", **params))["result"]
            rows += result.get("list", [])
            cursor = result.get("nextPageCursor") or ""
            if not cursor or self.category == SPOT:
                break
        self._list(instruments_from_info(rows, self.category, self.venue))
        await self.network.clock(self.endpoints.rest).sync(self.server_time_ms)

    async def _kline_page(self, symbol: str, wire: str, interval: Interval, start_ms: int,
                          end_ms: int) -> tuple[list[Bar], int]:
        if interval not in INTERVAL:
            raise VenueUnavailable(f"{self.venue} has no {interval.value} candles")
        rows = (await self._get("/v5/market/kline", category=self.category, symbol=wire,
                                interval=INTERVAL[interval], start=start_ms, end=end_ms,
                                limit=self.kline_limit))["result"].get("list", [])
        now = self.network.clock(self.endpoints.rest).now_ms()
        D = Decimal
        bars = [Bar(symbol, interval, int(r[0]), D(r[1]), D(r[2]), D(r[3]), D(r[4]), D(r[5]), True, self.venue)
                for r in reversed(rows) if int(r[0]) + interval.ms <= now]  # newest first on the wire
        return bars, len(rows)

    # ---- streams ------------------------------------------------------------------------------------------
    def _stream_names(self, wire: str) -> list[str]:
        return [f"orderbook.1.{wire}", f"tickers.{wire}", f"kline.1.{wire}"]

    def _subscription(self, method: str, names: list[str]) -> dict[str, Any]:
        return {"op": method.lower(), "args": names, "req_id": f"sub-{next(self._ids)}"}

    def _on_message(self, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        if "op" in msg:  # answers to subscribe and ping
            if msg.get("op") in ("subscribe", "unsubscribe") and msg.get("success") is False:
                self.errors.append(str(msg.get("ret_msg")))
                log.warning("%s refused a subscription: %s", self.venue, msg.get("ret_msg"))
            return
        topic, data = msg.get("topic"), msg.get("data")
        if not isinstance(topic, str) or data is None:
            return
        kind, _, wire = topic.rpartition(".")
        symbol = self._wanted_symbol(wire)
        if symbol is None:
            return
        D = Decimal
        if kind == "orderbook.1":
            bids, asks = data.get("b") or [], data.get("a") or []
            self._update_book(symbol, bid=D(bids[0][0]) if bids else None, ask=D(asks[0][0]) if asks else None)
        elif kind == "tickers":
            last, opened = data.get("lastPrice"), data.get("prevPrice24h")
            self._update_book(symbol, last=D(last) if last else None, day_open=D(opened) if opened else None)
        elif kind == "kline.1":
            for k in data if isinstance(data, list) else [data]:
                interval = INTERVAL_BACK.get(str(k.get("interval")))
                if interval is None:
                    continue
                self._emit_bar(Bar(symbol, interval, int(k["start"]), D(k["open"]), D(k["high"]), D(k["low"]),
                                   D(k["close"]), D(k["volume"]), bool(k.get("confirm")), self.venue))
                self._update_book(symbol, last=D(k["close"]))


def shared_public(endpoints: Endpoints, network: VenueNetwork, category: str) -> BybitPublic:
    """The one ``BybitPublic`` of ``category`` on ``network``: every account shares its instruments and stream."""
    key = ("bybit-public", category, endpoints.rest, endpoints.stream)
    public = network.shared.get(key)
    if public is None:
        public = network.shared[key] = BybitPublic(endpoints, network, category)
    return public
