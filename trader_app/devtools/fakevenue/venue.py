"""``FakeVenue``: the bench's venue: its books, a Starlette app for REST (served by uvicorn on 127.0.0.1) and
the methods of its WebSocket order-entry API (served by ``WsApiServer`` on a port of its own, ``ws_api.py``),
every answer after a fixed latency. ``FakeVenueServer`` (``server.py``) runs both.

The venue keeps real per-account state: cash (quote currency), net positions (shorts allowed, like a
futures venue), orders by client order id. MARKET orders fill at once at the venue's price (``price`` of
the symbol, set with ``PUT /quotes/{symbol}``); LIMIT orders rest unless marketable and never fill later
(the venue has no market of its own); STOP orders rest. Commission is 0. JSON, money as strings.

REST:

- ``GET /ping`` -> ``{}``
- ``GET /instruments`` -> ``[{"symbol", "base", "quote", "tick_size", "lot_size"}]``
- ``GET /quotes/{symbol}`` -> ``{"symbol", "bid", "ask", "last", "ts_ms"}``; ``PUT /quotes/{symbol}`` ``{"price"}``
- ``GET /accounts/{a}/balances|positions|orders[?symbol=]``
- ``POST /accounts/{a}/orders`` ``{"client_order_id", "symbol", "side", "type", "quantity", "price"?,
  "stop_price"?}`` -> ``{"order": {...}, "fills": [...], "balance": {...}, "position": {...}}``;
  400 ``{"code": "invalid"|"duplicate", "message"}``
- ``GET /accounts/{a}/fills?since_ms=`` -> ``[{"trade_id", "client_order_id", "venue_order_id", "symbol",
  "side", "price", "quantity", "ts_ms"}]`` oldest first
- ``GET /accounts/{a}/orders/{cid}`` (404 if unknown), ``DELETE /accounts/{a}/orders/{cid}``,
  ``DELETE /accounts/{a}/orders?symbol=&side=``

Faults, as a real venue produces them (``PUT /faults`` with any of the keys; ``GET /faults``):

- ``not_found_s``: for this many seconds after accepting an order the venue answers "not found" for it (404 on
  ``GET .../orders/{cid}``, absent from the open orders), as venues do while their books catch up;
- ``drop_answers``: the next N order placements are carried out but answered with 504 "status unknown"
  (over REST and WebSocket alike): the order lives at the venue, the client does not know it;
- ``drop_streams``: true closes every private update stream at once (the clients must reconnect);
- ``mute_streams``: true keeps the streams connected (they answer pings) but delivers nothing, as a stale
  user-data stream does.

``GET /books``: every account's cash, positions and orders (all of them, any status): what the crash
harness compares our journal and book with.

WebSocket order entry, ``ws://host:ws_port/accounts/{a}/ws-api``, shaped like Binance's WebSocket API
(https://developers.binance.com/docs/binance-spot-api-docs/websocket-api/request-format): one connection per
account, many requests in flight on it, each answered after the latency, in whatever order they finish.

- request ``{"id": str, "method": str, "params": {...}}``
- response ``{"id": str, "status": 200, "result": <the REST body>}`` or
  ``{"id": str, "status": 400|404, "error": {"code": str, "msg": str}}``; a frame that is not a JSON object
  with a string ``id`` and ``method`` gets ``{"id": null, "status": 400, "error": {...}}``
- methods: ``ping`` (answers ``{}``), ``order.place`` (params as the REST body), ``order.cancel``
  ``{"client_order_id"}``, ``order.status`` ``{"client_order_id"}``, ``openOrders.cancelAll`` ``{"symbol"?, "side"?}``
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from picows import WSMsgType
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ...core.enums import OrderType, Side
from ...core.ids import new_id, now_ms
from ...core.instrument import Instrument
from ...core.money import ZERO, fmt

VENUE = "fakevenue"
KLINE_PAGE = 500  # bars per /klines answer

Answer = tuple[int, Any]
"""(HTTP-like status, JSON body): what every venue operation returns, for REST and WebSocket alike."""


@dataclass
class _Book:
    cash: Decimal
    positions: dict[str, Decimal] = field(default_factory=dict)
    avg: dict[str, Decimal] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    fills: list[dict[str, Any]] = field(default_factory=list)


def _error(status: int, code: str, message: str) -> Answer:
    return status, {"code": code, "message": message}


class FakeVenue:
    """The venue's state and its Starlette app. ``latency_s``: delay before every answer.
    ``instruments``: what it lists; ``prices``: symbol -> price; ``cash``: starting cash per new account.
    ``orders_received``: order placements seen (both transports); ``ws_connections``: WebSocket sessions opened.
    ``klines``: (symbol, interval value) -> closed bars as ``[open_ms, open, high, low, close, volume]`` rows
    (strings for the prices), served by ``GET /klines`` at most ``KLINE_PAGE`` per answer."""

    def __init__(self, instruments: list[Instrument], prices: dict[str, Decimal], *, latency_s: float = 0.02,
                 cash: Decimal = Decimal("100000")) -> None:
        self.instruments = {i.symbol: i for i in instruments}
        self.prices = dict(prices)
        self.latency_s = latency_s
        self.cash = cash
        self.books: dict[str, _Book] = {}
        self.orders_received = 0
        self.ws_connections = 0
        self.not_found_s = 0.0
        self.drop_answers = 0
        self.mute_streams = False
        self.streams: dict[str, set[Any]] = {}  # account -> open private stream transports (ws_api.py)
        self.klines: dict[tuple[str, str], list[list[Any]]] = {}
        self.kline_requests = 0
        self._accepted_at: dict[tuple[str, str], float] = {}
        self.app = Starlette(routes=[
            Route("/ping", self._ping),
            Route("/instruments", self._instruments),
            Route("/quotes/{symbol:path}", self._quote, methods=["GET", "PUT"]),
            Route("/klines", self._klines),
            Route("/accounts/{account}/balances", self._balances),
            Route("/accounts/{account}/positions", self._positions),
            Route("/accounts/{account}/orders", self._orders, methods=["GET", "POST", "DELETE"]),
            Route("/accounts/{account}/fills", self._fills),
            Route("/faults", self._faults, methods=["GET", "PUT"]),
            Route("/books", self._books),
            Route("/accounts/{account}/orders/{cid}", self._order, methods=["GET", "DELETE"]),
        ])

    def book(self, account: str) -> _Book:
        return self.books.setdefault(account, _Book(self.cash))

    async def _wait(self) -> None:
        if self.latency_s > 0:
            await asyncio.sleep(self.latency_s)

    # ---- REST --------------------------------------------------------------------------------------------
    async def _ping(self, request: Request) -> JSONResponse:
        await self._wait()
        return JSONResponse({})

    async def _instruments(self, request: Request) -> JSONResponse:
        await self._wait()
        return JSONResponse([{"symbol": i.symbol, "base": i.base, "quote": i.quote, "tick_size": fmt(i.tick_size),
                              "lot_size": fmt(i.lot_size)} for i in self.instruments.values()])

    async def _klines(self, request: Request) -> JSONResponse:
        """``GET /klines?symbol=&interval=&start=&end=``: the stored bars with ``start <= open_ms <= end``,
        oldest first, at most ``KLINE_PAGE`` (the client pages on from the last one); 400 without the params."""
        await self._wait()
        self.kline_requests += 1
        q = request.query_params
        try:
            key, start, end = (q["symbol"], q["interval"]), int(q["start"]), int(q["end"])
        except (KeyError, ValueError):
            return JSONResponse({"code": "BAD_REQUEST", "message": "symbol, interval, start, end required"}, 400)
        if key[0] not in self.instruments:
            return JSONResponse({"code": "UNKNOWN_SYMBOL", "message": f"unknown symbol {key[0]}"}, 400)
        rows = [r for r in self.klines.get(key, ()) if start <= r[0] <= end]
        return JSONResponse(rows[:KLINE_PAGE])

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

    async def _faults(self, request: Request) -> JSONResponse:
        if request.method == "PUT":
            data = await request.json()
            if not isinstance(data, dict):
                return JSONResponse({"code": "invalid", "message": "a JSON object"}, status_code=400)
            try:
                if "not_found_s" in data:
                    self.not_found_s = max(0.0, float(data["not_found_s"]))
                if "drop_answers" in data:
                    self.drop_answers = max(0, int(data["drop_answers"]))
                if "mute_streams" in data:
                    self.mute_streams = bool(data["mute_streams"])
                if data.get("drop_streams"):
                    self.drop_streams()
            except (TypeError, ValueError):
                return JSONResponse({"code": "invalid", "message": "numbers expected"}, status_code=400)
        return JSONResponse({"not_found_s": self.not_found_s, "drop_answers": self.drop_answers,
                             "mute_streams": self.mute_streams,
                             "streams": sum(len(t) for t in self.streams.values())})

    def drop_streams(self) -> int:
        """Cut every private stream connection without a close handshake; returns how many were open."""
        dropped = [t for transports in self.streams.values() for t in transports]
        for transport in dropped:
            transport.disconnect()
        return len(dropped)

    def _push(self, account: str, *events: dict[str, Any]) -> None:
        """Send ``events`` on the account's private streams (unless muted)."""
        transports = self.streams.get(account)
        if not transports or self.mute_streams:
            return
        frames = [json.dumps(e, separators=(",", ":")).encode() for e in events]
        for transport in list(transports):
            for frame in frames:
                transport.send(WSMsgType.TEXT, frame)

    async def _books(self, request: Request) -> JSONResponse:
        return JSONResponse({a: {"cash": fmt(b.cash), "positions": {s: fmt(q) for s, q in b.positions.items()},
                                 "orders": list(b.orders.values())} for a, b in self.books.items()})

    def _hidden(self, account: str, cid: str) -> bool:
        """True while the venue still answers "not found" for an order it accepted (``not_found_s``)."""
        accepted = self._accepted_at.get((account, cid))
        return accepted is not None and time.monotonic() - accepted < self.not_found_s

    async def _fills(self, request: Request) -> JSONResponse:
        await self._wait()
        try:
            since = int(request.query_params.get("since_ms", "0"))
        except ValueError:
            return JSONResponse({"code": "invalid", "message": "since_ms must be epoch ms"}, status_code=400)
        return JSONResponse([f for f in self.book(request.path_params["account"]).fills if f["ts_ms"] >= since])

    async def _orders(self, request: Request) -> JSONResponse:
        account = request.path_params["account"]
        if request.method == "POST":
            data = await request.json()
            await self._wait()
            return _json(self.place(account, data if isinstance(data, dict) else {}))
        await self._wait()
        symbol = request.query_params.get("symbol")
        if request.method == "DELETE":
            return _json(self.cancel_all(account, symbol, request.query_params.get("side")))
        return _json(self.open_orders(account, symbol))

    async def _order(self, request: Request) -> JSONResponse:
        await self._wait()
        account, cid = request.path_params["account"], request.path_params["cid"]
        return _json(self.cancel(account, cid) if request.method == "DELETE" else self.status(account, cid))

    # ---- WebSocket order entry (served by ``WsApiServer``, ws_api.py) -------------------------------------
    def ws_call(self, account: str, method: str, params: dict[str, Any]) -> Answer:
        """Answer one WebSocket API request of ``account`` (methods in the module docstring)."""
        cid = str(params.get("client_order_id", ""))
        if method == "ping":
            return 200, {}
        if method == "order.place":
            return self.place(account, params)
        if method == "order.cancel":
            return self.cancel(account, cid)
        if method == "order.status":
            return self.status(account, cid)
        if method == "openOrders.cancelAll":
            return self.cancel_all(account, params.get("symbol"), params.get("side"))
        return _error(400, "unknown_method", f"unknown method {method}")

    # ---- the operations (both transports) ----------------------------------------------------------------
    def open_orders(self, account: str, symbol: str | None) -> Answer:
        return 200, [o for o in self.book(account).orders.values()
                     if o["status"] == "NEW" and (not symbol or o["symbol"] == symbol)
                     and not self._hidden(account, o["client_order_id"])]

    def cancel_all(self, account: str, symbol: str | None, side: str | None) -> Answer:
        chosen = [o for o in self.book(account).orders.values() if o["status"] == "NEW"
                  and (not symbol or o["symbol"] == symbol) and (not side or o["side"] == side)]
        for o in chosen:
            o["status"] = "CANCELLED"
        self._push(account, *({"e": "order", "o": o} for o in chosen))
        return 200, chosen

    def status(self, account: str, cid: str) -> Answer:
        order = self.book(account).orders.get(cid)
        if order is None or self._hidden(account, cid):
            return _error(404, "not_found", "unknown order")
        return 200, order

    def cancel(self, account: str, cid: str) -> Answer:
        order = self.book(account).orders.get(cid)
        if order is None:
            return _error(404, "not_found", "unknown order")
        if order["status"] == "NEW":
            order["status"] = "CANCELLED"
            self._push(account, {"e": "order", "o": order})
        return 200, order

    def place(self, account: str, data: dict[str, Any]) -> Answer:
        """Accept or refuse one order (see the module docstring for the fields and the answer)."""
        self.orders_received += 1
        b = self.book(account)
        cid = str(data.get("client_order_id", ""))
        symbol = str(data.get("symbol", ""))
        if not cid or cid in b.orders:
            return _error(400, "duplicate", f"duplicate client order id {cid}")
        if symbol not in self.instruments or symbol not in self.prices:
            return _error(400, "invalid", f"unknown symbol {symbol}")
        try:
            qty = Decimal(str(data["quantity"]))
            side = Side(str(data["side"]))
            otype = OrderType(str(data["type"]))
            limit = Decimal(str(data["price"])) if data.get("price") is not None else None
        except (KeyError, ValueError, ArithmeticError):
            return _error(400, "invalid", "bad order fields")
        if not qty.is_finite() or qty <= 0:
            return _error(400, "invalid", "quantity must be > 0")
        order = {"client_order_id": cid, "venue_order_id": new_id("fv"), "symbol": symbol, "side": side.value,
                 "type": otype.value, "quantity": fmt(qty), "price": data.get("price"),
                 "stop_price": data.get("stop_price"), "status": "NEW", "filled_qty": "0", "avg_fill_price": None,
                 "ts_ms": now_ms()}
        b.orders[cid] = order
        self._accepted_at[(account, cid)] = time.monotonic()
        price = self.prices[symbol]
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
            fill = {"trade_id": new_id("ft"), "price": fmt(price), "quantity": fmt(qty), "ts_ms": now_ms()}
            out["fills"] = [fill]
            b.fills.append({**fill, "client_order_id": cid, "venue_order_id": order["venue_order_id"],
                            "symbol": symbol, "side": side.value, "commission_asset": self.instruments[symbol].quote})
        out["balance"] = {"currency": self.instruments[symbol].quote, "total": fmt(b.cash)}
        out["position"] = {"symbol": symbol, "quantity": fmt(b.positions.get(symbol, ZERO)),
                           "avg_price": fmt(b.avg.get(symbol, ZERO))}
        self._push(account, *([{"e": "fill", "f": b.fills[-1]}] if out["fills"] else []),
                   {"e": "balance", "b": out["balance"]}, {"e": "position", "p": out["position"]},
                   {"e": "order", "o": order})
        if self.drop_answers > 0:  # carried out, but the answer is lost on the way
            self.drop_answers -= 1
            return _error(504, "timeout", "the venue timed out; the order status is unknown")
        return 200, out


def _json(answer: Answer) -> JSONResponse:
    status, body = answer
    return JSONResponse(body, status_code=status)
