"""A fake venue for the fan-out bench: an HTTP server (Starlette on uvicorn, 127.0.0.1) that answers every
request after a fixed latency, and ``FakeVenueBroker``, an httpx adapter implementing the ``Broker`` protocol
against it. Used only by ``trader-app bench fanout`` and its tests.

The venue keeps real per-account state: cash (quote currency), net positions (shorts allowed, like a
futures venue), orders by client order id. MARKET orders fill at once at the venue's price (``price`` of
the symbol, set with ``PUT /quotes/{symbol}``); LIMIT orders rest unless marketable and never fill later
(the venue has no market of its own); STOP orders rest. Commission is 0. Wire format (JSON, money as
strings):

- ``GET /instruments`` -> ``[{"symbol", "base", "quote", "tick_size", "lot_size"}]``
- ``GET /quotes/{symbol}`` -> ``{"symbol", "bid", "ask", "last", "ts_ms"}``; ``PUT /quotes/{symbol}`` ``{"price"}``
- ``GET /accounts/{a}/balances|positions|orders[?symbol=]``
- ``POST /accounts/{a}/orders`` ``{"client_order_id", "symbol", "side", "type", "quantity", "price"?,
  "stop_price"?}`` -> ``{"order": {...}, "fills": [...], "balance": {...}, "position": {...}}``;
  400 ``{"code": "invalid"|"duplicate", "message"}``
- ``GET /accounts/{a}/orders/{cid}`` (404 if unknown), ``DELETE /accounts/{a}/orders/{cid}``,
  ``DELETE /accounts/{a}/orders?symbol=&side=``
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..brokers.base import (
    BalanceUpdate,
    BrokerCapabilities,
    BrokerUpdate,
    FillUpdate,
    OrderUpdate,
    PositionUpdate,
)
from ..core.enums import Interval, MarketType, OrderStatus, OrderType, Side, TimeInForce
from ..core.errors import InvalidOrder, OrderNotFound, RateLimited, VenueUnavailable
from ..core.ids import new_id, now_ms
from ..core.instrument import Instrument
from ..core.market_data import Bar, Quote
from ..core.money import ZERO, fmt
from ..core.orders import Fill, Order, OrderRequest
from ..core.portfolio import Balance, Position

log = logging.getLogger(__name__)

VENUE = "fakevenue"


# ---- the venue (server side) ------------------------------------------------------------------------------
@dataclass
class _Book:
    cash: Decimal
    positions: dict[str, Decimal] = field(default_factory=dict)
    avg: dict[str, Decimal] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)


class FakeVenue:
    """The venue's state and its Starlette app. ``latency_s``: delay before every answer.
    ``instruments``: what it lists; ``prices``: symbol -> price; ``cash``: starting cash per new account."""

    def __init__(self, instruments: list[Instrument], prices: dict[str, Decimal], *, latency_s: float = 0.02,
                 cash: Decimal = Decimal("100000")) -> None:
        self.instruments = {i.symbol: i for i in instruments}
        self.prices = dict(prices)
        self.latency_s = latency_s
        self.cash = cash
        self.books: dict[str, _Book] = {}
        self.orders_received = 0
        self.app = Starlette(routes=[
            Route("/instruments", self._instruments),
            Route("/quotes/{symbol:path}", self._quote, methods=["GET", "PUT"]),
            Route("/accounts/{account}/balances", self._balances),
            Route("/accounts/{account}/positions", self._positions),
            Route("/accounts/{account}/orders", self._orders, methods=["GET", "POST", "DELETE"]),
            Route("/accounts/{account}/orders/{cid}", self._order, methods=["GET", "DELETE"]),
        ])

    def book(self, account: str) -> _Book:
        return self.books.setdefault(account, _Book(self.cash))

    async def _wait(self) -> None:
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)

    async def _instruments(self, request: Request) -> JSONResponse:
        await self._wait()
        return JSONResponse([{"symbol": i.symbol, "base": i.base, "quote": i.quote, "tick_size": fmt(i.tick_size),
                              "lot_size": fmt(i.lot_size)} for i in self.instruments.values()])

    async def _quote(self, request: Request) -> JSONResponse:
        symbol = request.path_params["symbol"]
        if request.method == "PUT":
            self.prices[symbol] = Decimal(str((await request.json())["price"]))
        await self._wait()
        if symbol not in self.prices:
            return JSONResponse({"code": "unknown_symbol", "message": f"unknown symbol {symbol}"}, status_code=404)
        p = fmt(self.prices[symbol])
        return JSONResponse({"symbol": symbol, "bid": p, "ask": p, "last": p, "ts_ms": now_ms()})

    async def _balances(self, request: Request) -> JSONResponse:
        await self._wait()
        return JSONResponse([{"currency": "USDT", "total": fmt(self.book(request.path_params["account"]).cash)}])

    async def _positions(self, request: Request) -> JSONResponse:
        await self._wait()
        b = self.book(request.path_params["account"])
        return JSONResponse([{"symbol": s, "quantity": fmt(q), "avg_price": fmt(b.avg.get(s, ZERO))}
                             for s, q in b.positions.items()])

    async def _orders(self, request: Request) -> JSONResponse:
        account = request.path_params["account"]
        b = self.book(account)
        if request.method == "POST":
            data = await request.json()
            await self._wait()
            return self._place(account, b, data)
        await self._wait()
        symbol = request.query_params.get("symbol")
        side = request.query_params.get("side")
        chosen = [o for o in b.orders.values() if o["status"] == "NEW" and (not symbol or o["symbol"] == symbol)
                  and (not side or o["side"] == side)]
        if request.method == "DELETE":
            for o in chosen:
                o["status"] = "CANCELLED"
        return JSONResponse(chosen)

    async def _order(self, request: Request) -> JSONResponse:
        await self._wait()
        b = self.book(request.path_params["account"])
        order = b.orders.get(request.path_params["cid"])
        if order is None:
            return JSONResponse({"code": "not_found", "message": "unknown order"}, status_code=404)
        if request.method == "DELETE" and order["status"] == "NEW":
            order["status"] = "CANCELLED"
        return JSONResponse(order)

    def _place(self, account: str, b: _Book, data: dict[str, Any]) -> JSONResponse:
        self.orders_received += 1
        cid = str(data.get("client_order_id", ""))
        symbol = str(data.get("symbol", ""))
        if not cid or cid in b.orders:
            return JSONResponse({"code": "duplicate", "message": f"duplicate client order id {cid}"}, status_code=400)
        if symbol not in self.instruments or symbol not in self.prices:
            return JSONResponse({"code": "invalid", "message": f"unknown symbol {symbol}"}, status_code=400)
        try:
            qty = Decimal(str(data["quantity"]))
            side = Side(str(data["side"]))
            otype = OrderType(str(data["type"]))
        except (KeyError, ValueError, ArithmeticError):
            return JSONResponse({"code": "invalid", "message": "bad order fields"}, status_code=400)
        if qty <= 0:
            return JSONResponse({"code": "invalid", "message": "quantity must be > 0"}, status_code=400)
        order = {"client_order_id": cid, "venue_order_id": new_id("fv"), "symbol": symbol, "side": side.value,
                 "type": otype.value, "quantity": fmt(qty), "price": data.get("price"),
                 "stop_price": data.get("stop_price"), "status": "NEW", "filled_qty": "0", "avg_fill_price": None,
                 "ts_ms": now_ms()}
        b.orders[cid] = order
        price = self.prices[symbol]
        limit = Decimal(str(data["price"])) if data.get("price") is not None else None
        marketable = otype is OrderType.MARKET or (
            otype is OrderType.LIMIT and limit is not None and (price <= limit if side is Side.BUY else price >= limit))
        out: dict[str, Any] = {"order": order, "fills": []}
        if marketable:
            held = b.positions.get(symbol, ZERO)
            new = held + qty * side.sign
            if held == 0 or (held > 0) == (side is Side.BUY):
                b.avg[symbol] = (b.avg.get(symbol, ZERO) * abs(held) + price * qty) / abs(new)
            elif new == 0:
                b.avg[symbol] = ZERO
            elif (new > 0) != (held > 0):
                b.avg[symbol] = price
            b.positions[symbol] = new
            b.cash -= price * qty * side.sign
            order.update(status="FILLED", filled_qty=fmt(qty), avg_fill_price=fmt(price))
            out["fills"] = [{"trade_id": new_id("ft"), "price": fmt(price), "quantity": fmt(qty), "ts_ms": now_ms()}]
        out["balance"] = {"currency": self.instruments[symbol].quote, "total": fmt(b.cash)}
        out["position"] = {"symbol": symbol, "quantity": fmt(b.positions.get(symbol, ZERO)),
                           "avg_price": fmt(b.avg.get(symbol, ZERO))}
        return JSONResponse(out)


# ---- the adapter (client side) ----------------------------------------------------------------------------
_SSL: ssl.SSLContext | None = None


def _ssl_context() -> ssl.SSLContext:
    """One default SSL context for every adapter client: building one loads the CA bundle (~70 ms here)."""
    global _SSL
    if _SSL is None:
        _SSL = ssl.create_default_context()
    return _SSL


class FakeVenueBroker:
    """``Broker`` for one account on a ``FakeVenue`` at ``base_url``, over its own ``httpx.AsyncClient``.

    Errors: HTTP 400 -> ``InvalidOrder``; 404 on an order -> ``OrderNotFound``; 429 -> ``RateLimited``;
    5xx, timeouts and connection errors -> ``VenueUnavailable``. ``place_order`` is sent once and never
    retried. Updates (order, fills, balance, position) come from the order responses.
    ``ack_times`` records ``loop.time()`` of every order acknowledgement (the bench reads it).
    """

    venue = VENUE
    capabilities = BrokerCapabilities(order_types=frozenset({OrderType.MARKET, OrderType.LIMIT}),
                                      time_in_force=frozenset({TimeInForce.GTC}), reduce_only=False,
                                      short_selling=True, quote_stream=True, order_stream=False, bar_history=False,
                                      intervals=())

    def __init__(self, base_url: str, account_id: str, *, timeout_s: float = 10.0,
                 quote_poll_s: float = 1.0) -> None:
        self.base_url = base_url
        self.account_id = account_id
        self.timeout_s = timeout_s
        self.quote_poll_s = quote_poll_s
        self._client: httpx.AsyncClient | None = None
        self._queue: asyncio.Queue[BrokerUpdate | None] = asyncio.Queue()
        self._instruments: dict[str, Instrument] = {}
        self.ack_times: list[float] = []

    async def connect(self) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout_s, verify=_ssl_context(),
                                             limits=httpx.Limits(max_connections=4, max_keepalive_connections=4))
        await self.instruments()

    async def close(self) -> None:
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
        r = await self._call("POST", f"/accounts/{self.account_id}/orders", json=body)
        self.ack_times.append(asyncio.get_running_loop().time())
        data = r.json()
        if r.status_code == 400:
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

    async def cancel_order(self, client_order_id: str) -> Order:
        r = await self._call("DELETE", f"/accounts/{self.account_id}/orders/{client_order_id}")
        if r.status_code == 404:
            raise OrderNotFound(f"no {VENUE} order {client_order_id}")
        return self._order(r.json())

    async def cancel_all(self, symbol: str | None = None, side: Side | None = None) -> list[Order]:
        params = {k: v for k, v in (("symbol", symbol), ("side", side.value if side else None)) if v}
        r = await self._call("DELETE", f"/accounts/{self.account_id}/orders", params=params)
        return [self._order(d) for d in r.json()]

    async def query_order(self, client_order_id: str) -> Order | None:
        r = await self._call("GET", f"/accounts/{self.account_id}/orders/{client_order_id}")
        return None if r.status_code == 404 else self._order(r.json())

    async def bar_history(self, symbol: str, interval: Interval, start_ms: int, end_ms: int) -> list[Bar]:
        return []  # capabilities.bar_history is False

    async def quotes(self, symbols: list[str]) -> AsyncIterator[Quote]:
        """Polls ``GET /quotes/{symbol}`` every ``quote_poll_s`` seconds (the venue has no stream)."""
        while self._client is not None:
            for s in symbols:
                d = (await self._call("GET", f"/quotes/{s}")).json()
                yield Quote(s, int(d["ts_ms"]), Decimal(d["bid"]), Decimal(d["ask"]), Decimal(d["last"]),
                            venue=VENUE)
            await asyncio.sleep(self.quote_poll_s)

    async def updates(self) -> AsyncIterator[BrokerUpdate]:
        """Fill, balance, position and order updates from the order responses, in order. One consumer at a
        time; ends after ``close()``."""
        queue = self._queue
        while True:
            item = await queue.get()
            try:
                if item is None:
                    return
                yield item
            finally:
                queue.task_done()

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
