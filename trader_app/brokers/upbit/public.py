"""``UpbitPublic``: Upbit's public market data without a key, on the live layer's public feed
(``brokers/live/public.py``).

- instruments: ``GET /v1/market/all?is_details=true`` (``instruments.py``);
- history: ``GET /v1/candles/minutes/{1,5,15,60}`` and ``/v1/candles/days`` with ``market``, ``to`` (exclusive end,
  UTC) and ``count`` (at most 200), newest first: paged backwards from the end of the range (docs.upbit.com "분(Minute)
  캔들"); the forming candle is left out;
- the stream ``wss://api.upbit.com/websocket/v1``: one request ``[{"ticket"}, {"type": "ticker", "codes"},
  {"type": "orderbook", "codes"}, {"format": "DEFAULT"}]`` replaces what the connection carried, so the whole set
  is sent each time (``replaces_subscription``); frames arrive as binary JSON: ``ticker`` (``trade_price``,
  ``opening_price``) and ``orderbook`` (``orderbook_units[0]`` ``bid_price``/``ask_price``) make the quotes;
  errors come as ``{"error": {"name", "message"}}``.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ...core.enums import Interval
from ...core.errors import UnknownSymbol, VenueUnavailable
from ...core.market_data import Bar
from ..live.network import VenueNetwork
from ..live.public import LivePublic
from .instruments import instruments_from
from .rest import UpbitRest
from .urls import Endpoints

log = logging.getLogger(__name__)

CANDLES = {Interval.M1: "minutes/1", Interval.M5: "minutes/5", Interval.M15: "minutes/15",
           Interval.H1: "minutes/60", Interval.D1: "days"}
PAGE = 200


def candle_time_ms(text: str) -> int:
    """Epoch ms of ``candle_date_time_utc`` (``2024-06-13T01:26:00``, UTC without a zone)."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


class UpbitPublic(LivePublic):
    """Upbit's public market data over the venue's shared ``network`` (see the module docstring)."""

    kline_limit = PAGE
    replaces_subscription = True

    def __init__(self, endpoints: Endpoints, network: VenueNetwork, *, stale_after_s: float = 60.0) -> None:
        super().__init__(endpoints.venue, network, endpoints.public, stale_after_s=stale_after_s)
        self.endpoints = endpoints
        self.rest = UpbitRest(endpoints, network)

    async def _load(self) -> None:
        rows = await self.rest.public("/v1/market/all", {"is_details": "true"})
        self._list(instruments_from(rows))

    async def bar_history(self, symbol: str, interval: Interval, start_ms: int, end_ms: int) -> list[Bar]:
        """Closed candles with ``start_ms <= open time <= end_ms``, oldest first, paged backwards 200 at a time.
        Raises UnknownSymbol, VenueUnavailable (no such interval, the venue down), RateLimited."""
        try:
            wire = self.symbols.wire(symbol)
        except KeyError:
            raise UnknownSymbol(symbol, self.venue) from None
        if interval not in CANDLES:
            raise VenueUnavailable(f"{self.venue} has no {interval.value} candles")
        now = int(datetime.now(UTC).timestamp() * 1000)
        bars: dict[int, Bar] = {}
        to_ms = end_ms + interval.ms
        while to_ms > start_ms:
            to = datetime.fromtimestamp(to_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            rows = await self.rest.public(f"/v1/candles/{CANDLES[interval]}",
                                          {"market": wire, "to": to, "count": PAGE})
            page = [self._bar(symbol, interval, r) for r in rows]
            for bar in page:
                if start_ms <= bar.open_time_ms <= end_ms and bar.open_time_ms + interval.ms <= now:
                    bars[bar.open_time_ms] = bar
            if len(rows) < PAGE or not page:
                break
            oldest = min(b.open_time_ms for b in page)
            if oldest >= to_ms:
                break
            to_ms = oldest
        return [bars[k] for k in sorted(bars)]

    def _bar(self, symbol: str, interval: Interval, r: dict[str, Any]) -> Bar:
        D = Decimal
        return Bar(symbol, interval, candle_time_ms(str(r["candle_date_time_utc"])), D(str(r["opening_price"])),
                   D(str(r["high_price"])), D(str(r["low_price"])), D(str(r["trade_price"])),
                   D(str(r.get("candle_acc_trade_volume") or "0")), True, self.venue)

    async def _kline_page(self, symbol: str, wire: str, interval: Interval, start_ms: int,
                          end_ms: int) -> tuple[list[Bar], int]:  # pragma: no cover - bar_history pages itself
        raise NotImplementedError

    # ---- streams ------------------------------------------------------------------------------------------
    def _stream_names(self, wire: str) -> list[str]:
        return [f"ticker:{wire}", f"orderbook:{wire}"]

    def _subscription(self, method: str, names: list[str]) -> list[dict[str, Any]]:  # type: ignore[override]
        by_type: dict[str, list[str]] = {}
        for name in names:
            kind, _, wire = name.partition(":")
            by_type.setdefault(kind, []).append(wire)
        return [{"ticket": f"trader-app-{uuid.uuid4().hex[:12]}"},
                *({"type": kind, "codes": codes} for kind, codes in by_type.items()), {"format": "DEFAULT"}]

    def _on_message(self, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        if "error" in msg:
            self.errors.append(str(msg["error"]))
            log.warning("%s refused a subscription: %s", self.venue, msg["error"])
            return
        symbol = self._wanted_symbol(str(msg.get("code") or ""))
        if symbol is None:
            return
        D = Decimal
        kind = msg.get("type")
        if kind == "ticker":
            last, opened = msg.get("trade_price"), msg.get("opening_price")
            self._update_book(symbol, last=D(str(last)) if last is not None else None,
                              day_open=D(str(opened)) if opened is not None else None)
        elif kind == "orderbook":
            units = msg.get("orderbook_units") or []
            if units:
                self._update_book(symbol, bid=D(str(units[0]["bid_price"])), ask=D(str(units[0]["ask_price"])))


def shared_public(endpoints: Endpoints, network: VenueNetwork) -> UpbitPublic:
    """The one ``UpbitPublic`` on ``network``: every account shares its instruments and stream."""
    key = ("upbit-public", endpoints.rest, endpoints.stream)
    public = network.shared.get(key)
    if public is None:
        public = network.shared[key] = UpbitPublic(endpoints, network)
    return public
