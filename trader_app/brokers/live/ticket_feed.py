"""``TicketFeed``: the public market data of the exchanges that share one quotation interface (the Korean won
exchanges: the first one's design, followed by the others' newer APIs; each venue's package names its docs), on the live layer's
public feed (``public.py``).

- instruments: ``GET /v1/market/all`` ``[{market, korean_name, english_name, ...}]``, market ids quote first
  (``KRW-BTC`` is our ``BTC/KRW``); the tick ladder and the minimum order total come from the venue's profile
  (``VenueProfile.tick_bands``/``min_total``, by quote currency), volumes have 8 decimals;
- history: ``GET /v1/candles/minutes/{unit}`` and ``/v1/candles/days`` with ``market``, ``to`` (exclusive end; each
  venue spells it: ``_to_param``) and ``count`` (at most 200), newest first: paged backwards from the end of the
  range, the forming candle left out (``candle_date_time_utc``: UTC without a zone);
- the stream: one request ``[{"ticket"}, {"type": "ticker", "codes"}, {"type": "orderbook", "codes"},
  {"format": "DEFAULT"}]`` replaces what the connection carried, so the whole set is sent each time; frames
  (binary or text JSON): ``ticker`` (``trade_price``, ``opening_price``) and ``orderbook`` (``orderbook_units[0]``
  ``bid_price``/``ask_price``) make the quotes; errors come as ``{"error": {"name", "message"}}``.

A venue subclasses it with its ``profile``, the market list's query (``market_list_params``) and ``_to_param``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ...core.enums import Interval, MarketType
from ...core.errors import UnknownSymbol, VenueUnavailable
from ...core.instrument import Instrument
from ...core.market_data import Bar
from .network import VenueNetwork, send
from .profile import VenueProfile
from .public import LivePublic

log = logging.getLogger(__name__)

CANDLES = {Interval.M1: "minutes/1", Interval.M5: "minutes/5", Interval.M15: "minutes/15",
           Interval.H1: "minutes/60", Interval.D1: "days"}
PAGE = 200
LOT = Decimal("0.00000001")


@dataclass(frozen=True)
class TicketEndpoints:
    """Where one venue of the family lives: ``rest`` (the REST base), ``stream`` (the WebSocket base), the venue's
    name and its streams' paths below ``stream`` (``public_path``, ``private_path``)."""

    rest: str
    stream: str
    venue: str
    public_path: str = "/websocket/v1"
    private_path: str = "/websocket/v1/private"

    @property
    def public(self) -> str:
        return f"{self.stream}{self.public_path}"

    @property
    def private(self) -> str:
        return f"{self.stream}{self.private_path}"

    def with_overrides(self, rest: str = "", stream: str = "") -> "TicketEndpoints":
        """Other bases (a regional host, the fake in tests); "" keeps the venue's."""
        return replace(self, rest=rest.rstrip("/") or self.rest, stream=stream.rstrip("/") or self.stream)


def candle_time_ms(text: str) -> int:
    """Epoch ms of ``candle_date_time_utc`` (``2024-06-13T01:26:00``, UTC without a zone)."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def symbol_of(market: str) -> str:
    """``KRW-BTC`` -> ``BTC/KRW``."""
    quote, base = market.split("-", 1)
    return f"{base}/{quote}"


def instrument_of(row: dict[str, Any], profile: VenueProfile, venue: str) -> Instrument | None:
    """The instrument of one market-list row on ``venue``; None for a malformed market id."""
    market = str(row.get("market", ""))
    if market.count("-") != 1:
        return None
    symbol = symbol_of(market)
    base, quote = symbol.split("/")
    bands = profile.tick_bands.get(quote, ())
    tick = bands[0][1] if bands else LOT
    return Instrument(symbol, venue, MarketType.SPOT, base, quote, tick, LOT, min_qty=LOT,
                      min_notional=profile.min_total.get(quote, Decimal(0)),
                      name=str(row.get("english_name") or row.get("korean_name") or ""),
                      venue_symbol=market, tick_bands=bands)


class TicketFeed(LivePublic):
    """Public market data of one exchange of this family over its shared ``network`` (see the module docstring).
    ``rest``: the REST base; ``stream_url``: the public WebSocket."""

    kline_limit = PAGE
    replaces_subscription = True
    profile: VenueProfile
    market_list_params: dict[str, str] = {}

    def __init__(self, venue: str, network: VenueNetwork, rest: str, stream_url: str, *,
                 stale_after_s: float = 60.0) -> None:
        super().__init__(venue, network, stream_url, stale_after_s=stale_after_s)
        self.rest_url = rest
        network.budget(rest).set_limits(list(self.profile.ip_limits))

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """One public call (weight 1 on the IP's budget). Raises ``UnknownSymbol`` for an unknown market,
        ``VenueUnavailable`` for another refusal, and what ``network.send`` raises."""
        r = await send(self.network, self.rest_url, "GET", path, params=params or None)
        try:
            body = r.json()
        except ValueError:
            body = {"error": {"message": r.text[:200]}}
        if r.status_code < 300:
            return body
        err = body.get("error", {}) if isinstance(body, dict) else {}
        if r.status_code == 404 and params and "market" in params:
            raise UnknownSymbol(str(params["market"]), self.venue)
        raise VenueUnavailable(f"{self.venue} refused {path}: {err.get('name') or r.status_code} {err.get('message', '')}")

    async def ping(self) -> None:
        """One light public call (the venue has no time endpoint)."""
        await self.get("/v1/market/all")

    async def _load(self) -> None:
        rows = await self.get("/v1/market/all", dict(self.market_list_params))
        self._list([i for i in (instrument_of(r, self.profile, self.venue) for r in rows) if i is not None])

    def _to_param(self, to_ms: int) -> str:
        """The candles' ``to`` (exclusive end) for ``to_ms``: UTC ``2024-06-13T01:26:00Z`` (a venue spelling it otherwise overrides it)."""
        return datetime.fromtimestamp(to_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

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
            rows = await self.get(f"/v1/candles/{CANDLES[interval]}",
                                  {"market": wire, "to": self._to_param(to_ms), "count": PAGE})
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
