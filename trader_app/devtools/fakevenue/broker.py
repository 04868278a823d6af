"""``FakeVenueBroker``: the ``Broker`` adapter for one account on a ``FakeVenue`` (wire format in ``venue.py``).
Queries go over REST (httpx); orders over REST too, or over the venue's WebSocket order-entry API with
``order_entry="ws"`` (``WsApiSession``). With a WebSocket base it also follows the account's private update
stream (``PrivateStream``): order, fill, balance and position events, and the connection's state."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Iterable
from decimal import Decimal
from typing import Any

import httpx

from ...brokers.base import (
    BalanceUpdate,
    BrokerCapabilities,
    BrokerUpdate,
    ConnectionUpdate,
    FillUpdate,
    OrderUpdate,
    PositionUpdate,
    queued_updates,
)
from ...core.enums import Interval, MarketType, OrderStatus, OrderType, SessionState, Side, TimeInForce
from ...core.errors import (
    DuplicateClientOrderId,
    InvalidOrder,
    OrderNotFound,
    RateLimited,
    UnknownSymbol,
    VenueUnavailable,
)
from ...core.ids import now_ms
from ...core.instrument import Instrument
from ...core.market_data import Bar, Quote
from ...core.money import ZERO, fmt
from ...core.orders import Fill, Order, OrderRequest
from ...core.portfolio import Balance, Position
from .stream import PrivateStream
from .venue import VENUE
from .ws_session import WsApiSession

log = logging.getLogger(__name__)

ORDER_ENTRY = ("rest", "ws")

_SSL: ssl.SSLContext | None = None


def _ssl_context() -> ssl.SSLContext:
    """One default SSL context for every adapter client: building one loads the CA bundle (~70 ms here)."""
    global _SSL
    if _SSL is None:
        _SSL = ssl.create_default_context()
    return _SSL


class FakeVenueBroker:
    """``Broker`` for one account on a ``FakeVenue`` at ``base_url`` (``http://host:port``), over its own
    ``httpx.AsyncClient``; with ``order_entry="ws"`` orders and cancels go over one WebSocket per account
    (``{ws_url}/accounts/{account}/ws-api``, opened by ``connect()``; ``ws_url`` is the venue's WebSocket API
    base, ``ws://host:port``). With ``ws_url`` and ``private_stream`` (the default) it also follows the
    account's private update stream (``{ws_url}/accounts/{account}/stream``).

    Errors: a refused order (400) -> ``InvalidOrder``; 404 on an order -> ``OrderNotFound``; 429 ->
    ``RateLimited``; 5xx, timeouts, connection errors and a WebSocket lost before the answer ->
    ``VenueUnavailable``. ``place_order`` is sent once and never retried. Updates (order, fills, balance,
    position) come from the order answers. ``send_times`` and ``ack_times`` record ``loop.time()`` (seconds)
    as each order goes out and as its acknowledgement is back (the bench reads them).
    """

    venue = VENUE
    capabilities = BrokerCapabilities(order_types=frozenset({OrderType.MARKET, OrderType.LIMIT}),
                                      time_in_force=frozenset({TimeInForce.GTC}), reduce_only=False,
                                      short_selling=True, quote_stream=True, order_stream=False, bar_history=True,
                                      intervals=())

    def __init__(self, base_url: str, account_id: str, *, ws_url: str | None = None, timeout_s: float = 10.0,
                 quote_poll_s: float = 1.0, order_entry: str = "rest", private_stream: bool = True) -> None:
        if order_entry not in ORDER_ENTRY:
            raise ValueError(f"order_entry must be one of {', '.join(ORDER_ENTRY)}, not {order_entry!r}")
        if order_entry == "ws" and not ws_url:
            raise ValueError("order_entry='ws' needs the venue's WebSocket API base, ws_url")
        self.base_url = base_url
        self.account_id = account_id
        self.timeout_s = timeout_s
        self.quote_poll_s = quote_poll_s
        self.order_entry = order_entry
        self._client: httpx.AsyncClient | None = None
        self._ws: WsApiSession | None = None
        if order_entry == "ws":
            self._ws = WsApiSession(f"{ws_url.rstrip('/')}/accounts/{account_id}/ws-api", timeout_s=timeout_s,
                                    name=f"{VENUE} account {account_id}")
        self._queue: asyncio.Queue[BrokerUpdate | None] = asyncio.Queue()
        self._stream: PrivateStream | None = None
        if ws_url and private_stream:
            self._stream = PrivateStream(f"{ws_url.rstrip('/')}/accounts/{account_id}/stream", self._on_event,
                                         self._on_state, name=f"{VENUE} account {account_id}", timeout_s=timeout_s)
        self._instruments: dict[str, Instrument] = {}
        self._quote_symbols: set[str] = set()
        self.ack_times: list[float] = []
        self.send_times: list[float] = []

    async def connect(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout_s, verify=_ssl_context(),
                                             limits=httpx.Limits(max_connections=4, max_keepalive_connections=4))
        await self.instruments()
        if self._ws is not None:
            await self._ws.connect()
        if self._stream is not None:
            await self._stream.open()

    async def close(self) -> None:
        if self._stream is not None:
            await self._stream.close()
        if self._ws is not None:
            await self._ws.close()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
            self._queue.put_nowait(None)

    async def _call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        if self._client is None:
            raise VenueUnavailable(f"{VENUE} account {self.account_id} is not connected")
        try:
            r = await self._client.request(method, path, **kw)
        except httpx.TimeoutException as exc:
            raise VenueUnavailable(f"{VENUE} timed out: {type(exc).__name__}") from None
        except httpx.TransportError as exc:
            raise VenueUnavailable(f"{VENUE} unreachable: {type(exc).__name__}") from None
        if r.status_code == 429:
            raise RateLimited(f"{VENUE} rate limit", float(r.headers.get("retry-after", "1")))
        if r.status_code >= 500:
            raise VenueUnavailable(f"{VENUE} answered {r.status_code}")
        return r

    async def _order_call(self, ws_method: str, ws_params: dict[str, Any], method: str, path: str,
                          **kw: Any) -> tuple[int, Any]:
        """An order operation over the chosen order entry: ``(status, body)``."""
        if self._ws is not None:
            if self._client is None:
                raise VenueUnavailable(f"{VENUE} account {self.account_id} is not connected")
            status, body = await self._ws.request(ws_method, ws_params)
            if status == 429:
                raise RateLimited(f"{VENUE} rate limit", 1.0)
            if status >= 500:
                raise VenueUnavailable(f"{VENUE} answered {status}")
            return status, body
        r = await self._call(method, path, **kw)
        return r.status_code, r.json()

    async def ping(self) -> None:
        """One request that the venue answers with nothing, over the order entry (WebSocket ``ping`` or
        ``GET /ping``): the transport's own round trip, without any order work on either side."""
        status, _ = await self._order_call("ping", {}, "GET", "/ping")
        if status != 200:
            raise VenueUnavailable(f"{VENUE} answered ping with {status}")

    async def instruments(self) -> list[Instrument]:
        r = await self._call("GET", "/instruments")
        self._instruments = {d["symbol"]: Instrument(d["symbol"], VENUE, MarketType.FUTURES, d["base"], d["quote"],
                                                     Decimal(d["tick_size"]), Decimal(d["lot_size"]))
                             for d in r.json()}
        return list(self._instruments.values())

    async def balances(self) -> list[Balance]:
        r = await self._call("GET", f"/accounts/{self.account_id}/balances")
        return [Balance(self.account_id, d["currency"], Decimal(d["total"])) for d in r.json()]

    async def positions(self) -> list[Position]:
        r = await self._call("GET", f"/accounts/{self.account_id}/positions")
        return [Position(self.account_id, d["symbol"], Decimal(d["quantity"]), Decimal(d["avg_price"]))
                for d in r.json()]

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        r = await self._call("GET", f"/accounts/{self.account_id}/orders", params={"symbol": symbol} if symbol else {})
        return [self._order(d) for d in r.json()]

    async def place_order(self, request: OrderRequest) -> Order:
        body = {"client_order_id": request.client_order_id, "symbol": request.symbol, "side": request.side.value,
                "type": request.order_type.value, "quantity": fmt(request.quantity),
                "price": fmt(request.price) if request.price is not None else None,
                "stop_price": fmt(request.stop_price) if request.stop_price is not None else None}
        self.send_times.append(asyncio.get_running_loop().time())
        status, data = await self._order_call("order.place", body, "POST", f"/accounts/{self.account_id}/orders",
                                              json=body)
        self.ack_times.append(asyncio.get_running_loop().time())
        if status != 200:
            if isinstance(data, dict) and data.get("code") == "duplicate":
                raise DuplicateClientOrderId(str(data.get("message", "duplicate client order id")))
            raise InvalidOrder(str(data.get("message", "refused by the venue")))
        order = self._order(data["order"], request)
        inst = self._instruments.get(request.symbol)
        fee_asset = inst.quote if inst is not None else ""
        for f in data.get("fills", []):
            self._queue.put_nowait(FillUpdate(Fill(f["trade_id"], self.account_id, request.client_order_id,
                                                   request.symbol, request.side, Decimal(f["price"]),
                                                   Decimal(f["quantity"]), ZERO, fee_asset, int(f["ts_ms"]),
                                                   order.venue_order_id)))
        bal = data.get("balance")
        if bal:
            self._queue.put_nowait(BalanceUpdate(Balance(self.account_id, bal["currency"], Decimal(bal["total"]))))
        pos = data.get("position")
        if pos:
            self._queue.put_nowait(PositionUpdate(Position(self.account_id, pos["symbol"], Decimal(pos["quantity"]),
                                                           Decimal(pos["avg_price"]))))
        self._queue.put_nowait(OrderUpdate(order))
        return order

    async def cancel_order(self, client_order_id: str, *, symbol: str = "", venue_order_id: str = "") -> Order:
        status, data = await self._order_call("order.cancel", {"client_order_id": client_order_id}, "DELETE",
                                              f"/accounts/{self.account_id}/orders/{client_order_id}")
        if status == 404:
            raise OrderNotFound(f"no {VENUE} order {client_order_id}")
        return self._order(data)

    async def cancel_all(self, symbol: str | None = None, side: Side | None = None) -> list[Order]:
        params = {k: v for k, v in (("symbol", symbol), ("side", side.value if side else None)) if v}
        _, data = await self._order_call("openOrders.cancelAll", params, "DELETE",
                                         f"/accounts/{self.account_id}/orders", params=params)
        return [self._order(d) for d in data]

    async def query_order(self, client_order_id: str, *, venue_order_id: str = "", symbol: str = "") -> Order | None:
        """``GET /accounts/{a}/orders/{cid}``; None on 404 (the venue keeps client order ids, so
        ``venue_order_id`` is not needed)."""
        r = await self._call("GET", f"/accounts/{self.account_id}/orders/{client_order_id}")
        return None if r.status_code == 404 else self._order(r.json())

    async def fills_since(self, since_ms: int, symbols: Iterable[str] = ()) -> list[Fill]:
        """``GET /accounts/{a}/fills?since_ms=``: the account's fills from ``since_ms`` on, oldest first."""
        r = await self._call("GET", f"/accounts/{self.account_id}/fills", params={"since_ms": since_ms})
        if r.status_code != 200:
            return []
        return [Fill(f["trade_id"], self.account_id, f["client_order_id"], f["symbol"], Side(f["side"]),
                     Decimal(f["price"]), Decimal(f["quantity"]), ZERO, f.get("commission_asset", ""),
                     int(f["ts_ms"]), f.get("venue_order_id", "")) for f in r.json()]

    async def subscribe(self, symbols: list[str]) -> None:
        """Add ``symbols`` to what the running ``quotes`` stream polls."""
        self._quote_symbols.update(symbols)

    async def unsubscribe(self, symbols: list[str]) -> None:
        """Stop polling ``symbols`` on the running ``quotes`` stream."""
        self._quote_symbols.difference_update(symbols)

    async def bar_history(self, symbol: str, interval: Interval, start_ms: int, end_ms: int) -> list[Bar]:
        """Closed bars with ``start_ms <= open time <= end_ms`` from ``GET /klines``, paged on from the last
        bar of each answer (at most 500 per answer). Raises VenueUnavailable/RateLimited, and UnknownSymbol
        for a symbol the venue does not list (it answers 400)."""
        bars: list[Bar] = []
        start = start_ms
        while start <= end_ms:
            r = await self._call("GET", "/klines", params={"symbol": symbol, "interval": interval.value,
                                                           "start": start, "end": end_ms})
            if r.status_code == 400:
                raise UnknownSymbol(symbol, VENUE)
            rows = r.json()
            D = Decimal
            bars.extend(Bar(symbol, interval, int(t), D(o), D(h), D(lo), D(c), D(v), True, VENUE)
                        for t, o, h, lo, c, v in rows)
            if len(rows) < 500:
                break
            start = int(rows[-1][0]) + interval.ms
        return bars

    async def quotes(self, symbols: list[str]) -> AsyncIterator[Quote]:
        """Polls ``GET /quotes/{symbol}`` every ``quote_poll_s`` seconds for ``symbols`` and whatever
        ``subscribe`` adds (the venue has no market-data stream). A poll that fails is skipped (the stream
        survives an unreachable venue); it ends after ``close()``."""
        self._quote_symbols.update(symbols)
        while self._client is not None:
            for s in sorted(self._quote_symbols):
                try:
                    r = await self._call("GET", f"/quotes/{s}")
                except (VenueUnavailable, RateLimited):
                    break
                if r.status_code != 200:
                    continue
                d = r.json()
                yield Quote(s, int(d["ts_ms"]), Decimal(d["bid"]), Decimal(d["ask"]), Decimal(d["last"]),
                            venue=VENUE)
            await asyncio.sleep(self.quote_poll_s)

    def updates(self) -> AsyncIterator[BrokerUpdate]:
        """Fill, balance, position and order updates from the order answers, in order. One consumer at a
        time; ends after ``close()``."""
        return queued_updates(self._queue, None)

    def _on_event(self, event: dict[str, Any]) -> None:
        """One private-stream event as a ``BrokerUpdate`` (an unknown or malformed event is logged and dropped)."""
        try:
            kind = event.get("e")
            if kind == "order":
                self._queue.put_nowait(OrderUpdate(self._order(event["o"])))
            elif kind == "fill":
                f = event["f"]
                inst = self._instruments.get(f["symbol"])
                self._queue.put_nowait(FillUpdate(Fill(
                    f["trade_id"], self.account_id, f["client_order_id"], f["symbol"], Side(f["side"]),
                    Decimal(f["price"]), Decimal(f["quantity"]), ZERO, inst.quote if inst else "", int(f["ts_ms"]),
                    f.get("venue_order_id", ""))))
            elif kind == "balance":
                b = event["b"]
                self._queue.put_nowait(BalanceUpdate(Balance(self.account_id, b["currency"], Decimal(b["total"]))))
            elif kind == "position":
                p = event["p"]
                self._queue.put_nowait(PositionUpdate(Position(self.account_id, p["symbol"], Decimal(p["quantity"]),
                                                               Decimal(p["avg_price"]))))
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            log.warning("%s account %s: stream event dropped (%s)", VENUE, self.account_id, type(exc).__name__)

    def _on_state(self, state: SessionState, reason: str) -> None:
        self._queue.put_nowait(ConnectionUpdate(state, reason))

    @property
    def stream_reconnects(self) -> int:
        """How many times the private stream came back after a drop."""
        return self._stream.reconnects if self._stream is not None else 0

    def warnings(self) -> list[str]:
        return []

    async def drain_updates(self) -> None:
        """Wait until the consumer of ``updates()`` has taken and finished every update emitted so far (it
        asked for the next one), as the paper broker does: the order manager then records the venue's fills
        before the acknowledgement."""
        await self._queue.join()

    def _order(self, d: dict[str, Any], request: OrderRequest | None = None) -> Order:
        ts = int(d.get("ts_ms") or now_ms())
        return Order(account_id=self.account_id, client_order_id=d["client_order_id"], symbol=d["symbol"],
                     side=Side(d["side"]), order_type=OrderType(d["type"]), quantity=Decimal(d["quantity"]),
                     price=Decimal(d["price"]) if d.get("price") is not None else None,
                     stop_price=Decimal(d["stop_price"]) if d.get("stop_price") is not None else None,
                     time_in_force=TimeInForce.GTC, status=OrderStatus(d["status"]), created_ms=ts, updated_ms=ts,
                     venue_order_id=d.get("venue_order_id", ""), filled_qty=Decimal(d.get("filled_qty") or "0"),
                     avg_fill_price=Decimal(d["avg_fill_price"]) if d.get("avg_fill_price") else None,
                     signal_id=request.signal_id if request else None,
                     group_name=request.group_name if request else None)
