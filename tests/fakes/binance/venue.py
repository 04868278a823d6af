"""The fake Binance's state and REST app (Starlette), in the documented wire format.

Sources: https://developers.binance.com/docs/binance-spot-api-docs/rest-api (general info, limits, market
data endpoints, error codes) and the official sample payloads in ``tests/reference/samples``.
Faults (``faults``): ``status`` answers every REST call with that HTTP status once per count (429 and 418
carry ``Retry-After``), ``delay_s`` holds answers (read timeouts), ``timestamp_skew_ms`` shifts the server
clock (so a client that does not sync gets -1021).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .accounts import Accounts, BinanceError
from .futures import Futures

RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
]
WEIGHTS = {"exchangeInfo": 20, "klines": 2, "time": 1, "ping": 1}


@dataclass
class SymbolSpec:
    """One listed symbol: ``BTCUSDT`` with its filters (strings as Binance sends them)."""

    symbol: str
    base: str
    quote: str
    tick: str
    step: str
    min_qty: str
    max_qty: str = "9000.00000000"
    min_notional: str = "5.00000000"
    status: str = "TRADING"

    def exchange_info(self, futures: bool) -> dict[str, Any]:
        filters: list[dict[str, Any]] = [
            {"filterType": "PRICE_FILTER", "minPrice": self.tick, "maxPrice": "1000000.00000000", "tickSize": self.tick},
            {"filterType": "LOT_SIZE", "minQty": self.min_qty, "maxQty": self.max_qty, "stepSize": self.step},
        ]
        if futures:
            filters.append({"filterType": "MIN_NOTIONAL", "notional": self.min_notional})
            extra = {"contractType": "PERPETUAL", "marginAsset": self.quote}
        else:
            filters.append({"filterType": "NOTIONAL", "minNotional": self.min_notional, "applyMinToMarket": True,
                            "maxNotional": "9000000.00000000", "applyMaxToMarket": False, "avgPriceMins": 5})
            extra = {"isSpotTradingAllowed": True}
        return {"symbol": self.symbol, "status": self.status, "baseAsset": self.base, "baseAssetPrecision": 8,
                "quoteAsset": self.quote, "quotePrecision": 8, "quoteAssetPrecision": 8,
                "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"],
                "filters": filters, **extra}


DEFAULT_SYMBOLS = [
    SymbolSpec("BTCUSDT", "BTC", "USDT", "0.01000000", "0.00001000", "0.00001000"),
    SymbolSpec("ETHUSDT", "ETH", "USDT", "0.01000000", "0.00010000", "0.00010000"),
    SymbolSpec("OLDUSDT", "OLD", "USDT", "0.00010000", "1.00000000", "1.00000000", status="BREAK"),
]


@dataclass
class Faults:
    status: int = 0  # answer the next ``count`` REST calls with this HTTP status
    count: int = 0
    retry_after_s: int = 1
    delay_s: float = 0.0  # hold every answer this long (a read timeout for a short client timeout)
    timestamp_skew_ms: int = 0


@dataclass
class FakeBinance:
    """State of the fake. ``prices``: wire symbol -> last price; ``klines``: (wire symbol, interval) -> rows
    ``[openTime, "o", "h", "l", "c", "v", closeTime, "q", n, "V", "Q", "0"]``; ``requests``: every REST request
    seen as ``(method, path, params dict, headers dict)``; ``weight_used``: the minute's weight per IP, as sent
    back in ``X-MBX-USED-WEIGHT-1M``."""

    symbols: list[SymbolSpec] = field(default_factory=lambda: list(DEFAULT_SYMBOLS))
    prices: dict[str, Decimal] = field(default_factory=lambda: {"BTCUSDT": Decimal("65000.00"),
                                                                 "ETHUSDT": Decimal("3200.00")})
    klines: dict[tuple[str, str], list[list[Any]]] = field(default_factory=dict)
    rate_limits: list[dict[str, Any]] = field(default_factory=lambda: [dict(r) for r in RATE_LIMITS])
    faults: Faults = field(default_factory=Faults)
    requests: list[tuple[str, str, dict[str, str], dict[str, str]]] = field(default_factory=list)
    weight_used: int = 0
    lose_answer_s: float = 3.0  # how long a "lost" order answer is held (longer than the client's timeout)
    _weight_minute: int = 0

    def __post_init__(self) -> None:
        self.accounts = Accounts(self)
        self.futures = Futures(self)

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Move ``symbol``'s price (resting orders that now cross fill, their user-data events go out)."""
        self.prices[symbol] = Decimal(price)
        self.accounts.on_price(symbol)
        self.futures.on_price(symbol)

    def server_ms(self) -> int:
        return int(time.time() * 1000) + self.faults.timestamp_skew_ms

    def _weigh(self, weight: int) -> int:
        minute = self.server_ms() // 60_000
        if minute != self._weight_minute:
            self._weight_minute, self.weight_used = minute, 0
        self.weight_used += weight
        return self.weight_used

    def app(self) -> Starlette:
        routes = []
        for prefix, futures in (("/api/v3", False), ("/fapi/v1", True)):
            routes += [
                Route(f"{prefix}/time", self._endpoint(self._time, futures)),
                Route(f"{prefix}/ping", self._endpoint(lambda r, f: {}, futures)),
                Route(f"{prefix}/exchangeInfo", self._endpoint(self._exchange_info, futures)),
                Route(f"{prefix}/klines", self._endpoint(self._klines, futures)),
            ]
        routes += [
            Route("/api/v3/account", self._signed(self._account), methods=["GET"]),
            Route("/api/v3/order", self._signed(self._order), methods=["GET", "POST", "DELETE"]),
            Route("/api/v3/openOrders", self._signed(self._open_orders), methods=["GET", "DELETE"]),
            Route("/api/v3/myTrades", self._signed(self._my_trades), methods=["GET"]),
            Route("/sapi/v1/account/apiRestrictions", self._signed(self._restrictions), methods=["GET"]),
            Route("/fapi/v1/positionSide/dual", self._signed(self._f_dual), methods=["GET"]),
            Route("/fapi/v2/account", self._signed(self._f_account), methods=["GET"]),
            Route("/fapi/v2/balance", self._signed(self._f_balance), methods=["GET"]),
            Route("/fapi/v2/positionRisk", self._signed(self._f_positions), methods=["GET"]),
            Route("/fapi/v1/leverage", self._signed(self._f_leverage), methods=["POST"]),
            Route("/fapi/v1/order", self._signed(self._f_order), methods=["GET", "POST", "DELETE"]),
            Route("/fapi/v1/openOrders", self._signed(self._f_open_orders), methods=["GET"]),
            Route("/fapi/v1/userTrades", self._signed(self._f_trades), methods=["GET"]),
            Route("/fapi/v1/listenKey", self._endpoint(self._f_listen_key, True), methods=["POST", "PUT", "DELETE"]),
        ]
        return Starlette(routes=routes)

    def _signed(self, handler: Any) -> Any:
        """A signed endpoint: the key, the signature over the raw query (+ body) and the timestamp window are
        checked before ``handler(request, account, params)`` runs."""

        async def run(request: Request, futures: bool) -> Any:
            body = (await request.body()).decode()
            acc, params = self.accounts.authenticate(request.headers.get("x-mbx-apikey"), request.url.query, body)
            return await handler(request, acc, params)

        return self._endpoint(run, False)

    def _endpoint(self, handler: Any, futures: bool) -> Any:
        async def endpoint(request: Request) -> JSONResponse:
            name = request.url.path.rsplit("/", 1)[-1]
            self.requests.append((request.method, request.url.path, dict(request.query_params), dict(request.headers)))
            if self.faults.delay_s:
                await asyncio.sleep(self.faults.delay_s)
            used = self._weigh(WEIGHTS.get(name, 1))
            headers = {"X-MBX-USED-WEIGHT-1M": str(used), "X-MBX-USED-WEIGHT": str(used)}
            if self.faults.count > 0:
                self.faults.count -= 1
                status = self.faults.status
                if status in (418, 429):
                    headers["Retry-After"] = str(self.faults.retry_after_s)
                    code = -1003
                    msg = ("Way too many requests; IP banned until %d." % (self.server_ms() + self.faults.retry_after_s * 1000)
                           if status == 418 else "Too many requests; please use the websocket for live updates.")
                    return JSONResponse({"code": code, "msg": msg}, status, headers=headers)
                return JSONResponse({"code": -1001, "msg": "Internal error; unable to process your request."},
                                    status, headers=headers)
            try:
                body = handler(request, futures)
                if asyncio.iscoroutine(body):
                    body = await body
            except (_BinanceError, BinanceError) as err:
                return JSONResponse({"code": err.code, "msg": err.msg}, err.status, headers=headers)
            if request.method == "POST" and name == "order":
                headers["X-MBX-ORDER-COUNT-10S"] = str(self.accounts.placed)
                headers["X-MBX-ORDER-COUNT-1D"] = str(self.accounts.placed)
            return JSONResponse(body, headers=headers)

        return endpoint

    # ---- market data ---------------------------------------------------------------------------------------
    def _time(self, request: Request, futures: bool) -> dict[str, int]:
        return {"serverTime": self.server_ms()}

    def _exchange_info(self, request: Request, futures: bool) -> dict[str, Any]:
        return {"timezone": "UTC", "serverTime": self.server_ms(), "rateLimits": self.rate_limits, "exchangeFilters": [],
                "symbols": [s.exchange_info(futures) for s in self.symbols]}

    def _klines(self, request: Request, futures: bool) -> list[list[Any]]:
        q = request.query_params
        symbol = q.get("symbol", "")
        if symbol not in {s.symbol for s in self.symbols}:
            raise _BinanceError(-1121, "Invalid symbol.")
        if "interval" not in q:
            raise _BinanceError(-1102, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.")
        limit = min(int(q.get("limit", 500)), 1500 if futures else 1000)
        start = int(q.get("startTime", 0))
        end = int(q.get("endTime", 2**62))
        rows = [r for r in self.klines.get((symbol, q["interval"]), ()) if start <= r[0] <= end]
        return rows[:limit] if "startTime" in q else rows[-limit:]

    # ---- accounts (signed) ------------------------------------------------------------------------------------
    async def _account(self, request: Request, acc: Any, p: dict[str, str]) -> Any:
        return self.accounts.account_json(acc)

    async def _restrictions(self, request: Request, acc: Any, p: dict[str, str]) -> Any:
        return {"ipRestrict": False, "createTime": 1698645219000, "enableReading": True,
                "enableWithdrawals": acc.withdrawals_enabled, "enableInternalTransfer": False,
                "enableMargin": False, "enableFutures": False, "permitsUniversalTransfer": False,
                "enableVanillaOptions": False, "enableFixApiTrade": False, "enableFixReadOnly": False,
                "enableSpotAndMarginTrading": True, "enablePortfolioMarginTrading": False}

    async def _order(self, request: Request, acc: Any, p: dict[str, str]) -> Any:
        if request.method == "POST":
            answer = self.accounts.place(acc, p)
            if self.accounts.lose_next_answers > 0:
                self.accounts.lose_next_answers -= 1
                await asyncio.sleep(self.lose_answer_s)  # placed, but the client gives up before the answer
            return answer
        order = self.accounts.find(acc, p, for_cancel=request.method == "DELETE")
        if request.method == "DELETE":
            return self.accounts.cancel(acc, order)
        return self.accounts.public(order)

    async def _open_orders(self, request: Request, acc: Any, p: dict[str, str]) -> Any:
        symbol = p.get("symbol")
        live = [o for o in acc.orders.values() if o["status"] in ("NEW", "PARTIALLY_FILLED")
                and (symbol is None or o["symbol"] == symbol)]
        if request.method == "DELETE":
            if symbol is None:
                raise _BinanceError(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
            if not live:
                raise _BinanceError(-2011, "Unknown order sent.")
            return [self.accounts.cancel(acc, o) for o in live]
        return [self.accounts.public(o) for o in live]

    async def _my_trades(self, request: Request, acc: Any, p: dict[str, str]) -> Any:
        if "symbol" not in p:
            raise _BinanceError(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.")
        start = int(p.get("startTime", 0))
        rows = [t for t in acc.trades if t["symbol"] == p["symbol"] and t["time"] >= start]
        return rows[: int(p.get("limit", 500))]

    # ---- USD-M futures (signed) ----------------------------------------------------------------------------
    async def _f_dual(self, request: Request, acc: Any, p: dict[str, str]) -> Any:
        return {"dualSidePosition": self.futures.book(acc).dual_side}

    async def _f_account(self, request: Request, acc: Any, p: dict[str, str]) -> Any:
        book = self.futures.book(acc)
        return {"feeTier": 0, "canTrade": True, "canDeposit": True, "canWithdraw": True,
                "totalWalletBalance": f"{book.wallet:.8f}", "assets": self.futures.balance_json(book),
                "positions": self.futures.position_risk(book)}

    async def _f_balance(self, request: Request, acc: Any, p: dict[str, str]) -> Any:
        return self.futures.balance_json(self.futures.book(acc))

    async def _f_positions(self, request: Request, acc: Any, p: dict[str, str]) -> Any:
        return self.futures.position_risk(self.futures.book(acc))

    async def _f_leverage(self, request: Request, acc: Any, p: dict[str, str]) -> Any:
        lev = int(p.get("leverage", "0"))
        if not 1 <= lev <= 125:
            raise _BinanceError(-4028, f"Leverage {lev} is not valid")
        self.futures.book(acc).leverage[p["symbol"]] = lev
        return {"leverage": lev, "maxNotionalValue": "1000000", "symbol": p["symbol"]}

    async def _f_order(self, request: Request, acc: Any, p: dict[str, str]) -> Any:
        if request.method == "POST":
            return self.futures.place(acc, p)
        order = self.futures.find(acc, p, for_cancel=request.method == "DELETE")
        return self.futures.cancel(acc, order) if request.method == "DELETE" else dict(order)

    async def _f_open_orders(self, request: Request, acc: Any, p: dict[str, str]) -> Any:
        book = self.futures.book(acc)
        return [dict(o) for o in book.orders.values() if o["status"] == "NEW"
                and ("symbol" not in p or o["symbol"] == p["symbol"])]

    async def _f_trades(self, request: Request, acc: Any, p: dict[str, str]) -> Any:
        book = self.futures.book(acc)
        return [t for t in book.trades if t["symbol"] == p.get("symbol") and t["time"] >= int(p.get("startTime", 0))]

    async def _f_listen_key(self, request: Request, futures: bool) -> Any:
        """``POST`` creates (or returns) the key, ``PUT`` keeps it alive (-1125 when it was dropped), ``DELETE``
        drops it; only the API key header is needed (USER_STREAM security)."""
        acc = self.accounts.accounts.get(request.headers.get("x-mbx-apikey", ""))
        if acc is None:
            raise _BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
        book = self.futures.book(acc)
        if request.method == "POST":
            return {"listenKey": self.futures.new_listen_key(acc)}
        if not book.listen_key:
            raise _BinanceError(-1125, "This listenKey does not exist.")
        if request.method == "DELETE":
            book.listen_key = ""
        return {}

    def add_klines(self, symbol: str, interval_ms: int, interval: str, end_open_ms: int, count: int,
                   price: Decimal = Decimal("65000")) -> None:
        """Store ``count`` closed klines ending with the one opening at ``end_open_ms`` (prices move by 1 a bar)."""
        rows = self.klines.setdefault((symbol, interval), [])
        for k in range(count - 1, -1, -1):
            t = end_open_ms - k * interval_ms
            c = price + (count - k) % 10
            rows.append([t, f"{price:.2f}", f"{c + 5:.2f}", f"{price - 5:.2f}", f"{c:.2f}", "1.50000000",
                         t + interval_ms - 1, "97500.00", 42, "0.75", "48750.00", "0"])
        rows.sort(key=lambda r: r[0])


class _BinanceError(Exception):
    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code, self.msg, self.status = code, msg, status
