"""A fake Bybit v5 (unified trading account) on 127.0.0.1: the REST routes the adapter uses, in Bybit's wire format
(``{"retCode", "retMsg", "result", "retExtInfo", "time"}``, the shapes of ``tests/reference/samples/bybit_*``),
checking every signed request as https://bybit-exchange.github.io/docs/v5/guide specifies: ``X-BAPI-API-KEY``,
``X-BAPI-TIMESTAMP`` inside ``[server - recv_window, server + 1000)`` (else retCode 10002), and ``X-BAPI-SIGN`` =
hex HMAC-SHA256(secret, timestamp + key + recv_window + the query string or body exactly as received) (10004).

Matching: spot and linear share a price per symbol; a market order fills at once at the ask/bid (one tick off the
price), a limit when marketable at its price, else it rests and fills when the price crosses (``set_price``). Fees
0.1 %: spot buys pay in the base coin, sells in USDT; linear in USDT. Linear positions are one-way (size signed,
average entry price), their realized PnL and fees go to the USDT wallet. Private events (order, execution,
wallet, position) go to the account's authenticated private-stream connections (``streams.py``).

Faults (``faults``): the next ``count`` requests answered with ``status`` (403 "access too frequent", 429, 5xx);
``timestamp_skew_ms``; ``lose_next_answers`` (an order taken, its answer never sent in time); ``not_found_s``
(an accepted order is "not found" for that long); ``part_fill`` (the next marketable limit fills that fraction).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..serving import Faults

D = Decimal


@dataclass(frozen=True)
class Spec:
    symbol: str
    category: str
    base: str
    quote: str
    tick: str
    step: str
    min_qty: str
    min_amount: str

    def info(self) -> dict[str, Any]:
        """The instruments-info row (spot or linear shape)."""
        row: dict[str, Any] = {"symbol": self.symbol, "baseCoin": self.base, "quoteCoin": self.quote, "status": "Trading",
                               "priceFilter": {"tickSize": self.tick}}
        if self.category == "spot":
            row["lotSizeFilter"] = {"basePrecision": self.step, "quotePrecision": "0.00000001",
                                    "minOrderQty": self.min_qty, "maxOrderQty": "71.73956243",
                                    "minOrderAmt": self.min_amount, "maxOrderAmt": "2000000"}
        else:
            row.update(contractType="LinearPerpetual", settleCoin="USDT",
                       lotSizeFilter={"qtyStep": self.step, "minOrderQty": self.min_qty, "maxOrderQty": "1190.000",
                                      "minNotionalValue": self.min_amount},
                       leverageFilter={"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"})
        return row


SPECS = [Spec("BTCUSDT", "spot", "BTC", "USDT", "0.01", "0.000001", "0.000048", "1"),
         Spec("ETHUSDT", "spot", "ETH", "USDT", "0.01", "0.00001", "0.00062", "1"),
         Spec("BTCUSDT", "linear", "BTC", "USDT", "0.10", "0.001", "0.001", "5"),
         Spec("ETHUSDT", "linear", "ETH", "USDT", "0.01", "0.01", "0.01", "5")]


class BybitError(Exception):
    def __init__(self, code: int, msg: str, status: int = 200) -> None:
        super().__init__(msg)
        self.code, self.msg, self.status = code, msg, status




@dataclass
class Account:
    key: str
    secret: str
    coins: dict[str, list[Decimal]] = field(default_factory=dict)  # coin -> [wallet, locked]
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # orderId -> row (with "category")
    executions: list[dict[str, Any]] = field(default_factory=list)
    positions: dict[str, list[Decimal]] = field(default_factory=dict)  # linear symbol -> [signed size, avg price]
    leverage: dict[str, int] = field(default_factory=dict)
    withdraw: bool = False
    listeners: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)

    def emit(self, topic: str, rows: list[dict[str, Any]]) -> None:
        msg = {"id": f"{topic}-{time.time_ns()}", "topic": topic, "creationTime": int(time.time() * 1000), "data": rows}
        for fn in list(self.listeners):
            fn(msg)


@dataclass
class FakeBybit:
    """The fake's state (see the module docstring). ``requests``: every REST request as ``(method, path, query)``."""

    specs: list[Spec] = field(default_factory=lambda: list(SPECS))
    prices: dict[str, Decimal] = field(default_factory=lambda: {"BTCUSDT": D("65000"), "ETHUSDT": D("3200")})
    faults: Faults = field(default_factory=Faults)
    accounts: dict[str, Account] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    lose_next_answers: int = 0
    lose_answer_s: float = 3.0
    not_found_s: float = 0.0
    part_fill: Decimal | None = None
    placed: int = 0

    def __post_init__(self) -> None:
        self._order_ids = itertools.count(1_000_000)
        self._exec_ids = itertools.count(5_000_000)

    # ---- set-up and clock ----------------------------------------------------------------------------------
    def open(self, key: str, secret: str, coins: dict[str, str]) -> Account:
        acc = self.accounts[key] = Account(key, secret, {c: [D(v), D(0)] for c, v in coins.items()})
        return acc

    def server_ms(self) -> int:
        return int(time.time() * 1000) + self.faults.timestamp_skew_ms

    def spec(self, category: str, symbol: str) -> Spec:
        for s in self.specs:
            if s.category == category and s.symbol == symbol:
                return s
        raise BybitError(10001, f"params error: symbol invalid ({symbol})")

    def set_price(self, symbol: str, price: Decimal) -> None:
        """Move ``symbol``'s price; resting orders that now cross fill."""
        self.prices[symbol] = D(price)
        for acc in self.accounts.values():
            for row in list(acc.orders.values()):
                if row["symbol"] == symbol and row["orderStatus"] == "Untriggered":
                    trigger = D(row["triggerPrice"])
                    if (row["_direction"] == 1 and price >= trigger) or (row["_direction"] == 2 and price <= trigger):
                        row.update(orderStatus="Triggered", updatedTime=str(self.server_ms()))
                        acc.emit("order", [self._public(row)])
                        row["orderStatus"] = "New"
                if row["symbol"] == symbol and row["orderStatus"] in ("New", "PartiallyFilled"):
                    self._match(acc, row)

    # ---- HTTP ----------------------------------------------------------------------------------------------
    def app(self) -> Starlette:
        public = [("/v5/market/time", self._time), ("/v5/market/instruments-info", self._instruments),
                  ("/v5/market/kline", self._kline)]
        signed = [("/v5/account/wallet-balance", "GET", self._wallet), ("/v5/user/query-api", "GET", self._query_api),
                  ("/v5/position/list", "GET", self._positions), ("/v5/position/set-leverage", "POST", self._leverage),
                  ("/v5/order/create", "POST", self._create), ("/v5/order/cancel", "POST", self._cancel),
                  ("/v5/order/realtime", "GET", self._realtime), ("/v5/order/history", "GET", self._history),
                  ("/v5/execution/list", "GET", self._executions)]
        routes = [Route(p, self._endpoint(h, signed=False), methods=["GET"]) for p, h in public]
        routes += [Route(p, self._endpoint(h, signed=True), methods=[m]) for p, m, h in signed]
        return Starlette(routes=routes)

    def _endpoint(self, handler: Any, *, signed: bool) -> Any:
        async def endpoint(request: Request) -> JSONResponse:
            raw = (await request.body()).decode()
            self.requests.append((request.method, request.url.path, request.url.query))
            if self.faults.delay_s:
                await asyncio.sleep(self.faults.delay_s)
            if self.faults.count > 0:
                self.faults.count -= 1
                status = self.faults.status
                headers = {"Retry-After": str(self.faults.retry_after_s)} if status == 429 else {}
                text = "access too frequent" if status == 403 else "Too many visits!" if status == 429 else "server error"
                return JSONResponse({"retCode": 10006 if status == 429 else -1, "retMsg": text}, status, headers=headers)
            params = json.loads(raw) if raw else dict(request.query_params)
            try:
                if signed:
                    acc = self._authenticate(request, raw if request.method == "POST" else request.url.query)
                    result = handler(acc, params)
                else:
                    result = handler(params)
                if asyncio.iscoroutine(result):
                    result = await result
            except BybitError as err:
                return JSONResponse({"retCode": err.code, "retMsg": err.msg, "result": {}, "retExtInfo": {},
                                     "time": self.server_ms()}, err.status)
            headers = {"X-Bapi-Limit": "20", "X-Bapi-Limit-Status": "19",
                       "X-Bapi-Limit-Reset-Timestamp": str(self.server_ms() + 1000)} if signed else {}
            return JSONResponse({"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {},
                                 "time": self.server_ms()}, headers=headers)

        return endpoint

    def _authenticate(self, request: Request, payload: str) -> Account:
        h = request.headers
        acc = self.accounts.get(h.get("x-bapi-api-key", ""))
        if acc is None:
            raise BybitError(10003, "API key is invalid.", 401)
        ts, recv = h.get("x-bapi-timestamp", ""), h.get("x-bapi-recv-window", "5000")
        if not ts.isdigit() or not recv.isdigit():
            raise BybitError(10001, "params error: timestamp or recv_window")
        now = self.server_ms()
        if not now - int(recv) <= int(ts) < now + 1000:
            raise BybitError(10002, f"invalid request, please check your server timestamp or recv_window param. "
                                    f"req_timestamp[{ts}],server_timestamp[{now}],recv_window[{recv}]")
        expected = hmac.new(acc.secret.encode(), f"{ts}{acc.key}{recv}{payload}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, h.get("x-bapi-sign", "")):
            raise BybitError(10004, "error sign! origin_string[...]", 401)
        return acc

    # ---- public --------------------------------------------------------------------------------------------
    def _time(self, params: dict[str, Any]) -> dict[str, Any]:
        now = self.server_ms()
        return {"timeSecond": str(now // 1000), "timeNano": str(now * 1_000_000)}

    def _instruments(self, params: dict[str, Any]) -> dict[str, Any]:
        category = params.get("category", "")
        return {"category": category, "list": [s.info() for s in self.specs if s.category == category],
                "nextPageCursor": ""}

    def _kline(self, params: dict[str, Any]) -> dict[str, Any]:
        minute = 60_000
        end = min(int(params.get("end", self.server_ms())), self.server_ms())
        start = int(params.get("start", end - 200 * minute))
        limit = int(params.get("limit", 200))
        px = self.prices.get(params.get("symbol", ""), D("100"))
        first = max(start - start % minute, end - end % minute - (limit - 1) * minute)
        rows = [[str(t), str(px), str(px + 1), str(px - 1), str(px), "1.5", str(px * D("1.5"))]
                for t in range(first, end - end % minute + 1, minute)]
        return {"symbol": params.get("symbol"), "category": params.get("category"), "list": rows[::-1]}

    # ---- account -------------------------------------------------------------------------------------------
    def _wallet(self, acc: Account, params: dict[str, Any]) -> dict[str, Any]:
        coins = [{"coin": c, "walletBalance": str(w), "locked": str(lk), "equity": str(w), "unrealisedPnl": "0"}
                 for c, (w, lk) in acc.coins.items()]
        total = sum((w for c, (w, _) in acc.coins.items() if c == "USDT"), D(0))
        return {"list": [{"accountType": "UNIFIED", "totalEquity": str(total), "totalWalletBalance": str(total),
                          "coin": coins}]}

    def _query_api(self, acc: Account, params: dict[str, Any]) -> dict[str, Any]:
        wallet = ["AccountTransfer", "Withdraw"] if acc.withdraw else ["AccountTransfer"]
        return {"apiKey": acc.key, "readOnly": 0, "permissions": {"Wallet": wallet, "Spot": ["SpotTrade"],
                                                                  "ContractTrade": ["Order", "Position"]}}

    def _position_row(self, acc: Account, symbol: str) -> dict[str, Any]:
        size, avg = acc.positions.get(symbol, [D(0), D(0)])
        mark = self.prices.get(symbol, D(0))
        return {"symbol": symbol, "category": "linear", "positionIdx": 0, "side": "Buy" if size > 0 else "Sell" if size < 0 else "",
                "size": str(abs(size)), "avgPrice": str(avg), "markPrice": str(mark), "leverage": str(acc.leverage.get(symbol, 10)),
                "unrealisedPnl": str((mark - avg) * size), "updatedTime": str(self.server_ms())}

    def _positions(self, acc: Account, params: dict[str, Any]) -> dict[str, Any]:
        return {"category": "linear", "list": [self._position_row(acc, s) for s, (size, _) in acc.positions.items() if size],
                "nextPageCursor": ""}

    def _leverage(self, acc: Account, params: dict[str, Any]) -> dict[str, Any]:
        symbol, lev = params["symbol"], int(D(params["buyLeverage"]))
        if acc.leverage.get(symbol) == lev:
            raise BybitError(110043, "leverage not modified")
        acc.leverage[symbol] = lev
        return {}

    # ---- orders --------------------------------------------------------------------------------------------
    async def _create(self, acc: Account, p: dict[str, Any]) -> dict[str, Any]:
        category = p.get("category", "")
        spec = self.spec(category, p.get("symbol", ""))
        link = p.get("orderLinkId", "")
        if link and any(o.get("orderLinkId") == link for o in acc.orders.values()):
            raise BybitError(110072, "OrderLinkedID is duplicate")
        qty = D(str(p.get("qty", "0")))
        unit = p.get("marketUnit", "")
        if unit == "quoteCoin":  # a spot market buy by the amount to spend: the base it buys at the fake's price
            if category != "spot" or p.get("orderType") != "Market":
                raise BybitError(10001, "params error: marketUnit")
            qty = (qty / self.prices[spec.symbol] // D(spec.step)) * D(spec.step)
        if qty < D(spec.min_qty) or qty % D(spec.step) != 0:
            raise BybitError(170136 if category == "spot" else 10001, "Order quantity is lower than the minimum.")
        kind = p.get("orderType")
        price = D(str(p["price"])) if "price" in p else D(0)
        if kind == "Limit" and (price <= 0 or price % D(spec.tick) != 0):
            raise BybitError(10001, "params error: price")
        ref = price if kind == "Limit" else self.prices[spec.symbol]
        if category == "spot":
            need, coin = (qty * ref * D("1.001"), spec.quote) if p.get("side") == "Buy" else (qty, spec.base)
            if acc.coins.get(coin, [D(0), D(0)])[0] - acc.coins.get(coin, [D(0), D(0)])[1] < need:
                raise BybitError(170131, "Insufficient balance.")
        elif qty * ref / 10 > acc.coins.get("USDT", [D(0), D(0)])[0]:
            raise BybitError(110007, "ab not enough for new order")
        now = self.server_ms()
        oid = str(next(self._order_ids))
        row = {"orderId": oid, "orderLinkId": link, "symbol": spec.symbol, "category": category, "side": p["side"],
               "orderType": kind, "price": str(price), "qty": str(qty), "orderStatus": "New", "cumExecQty": "0",
               "cumExecValue": "0", "avgPrice": "0", "leavesQty": str(qty), "timeInForce": p.get("timeInForce", "GTC"),
               "triggerPrice": str(p.get("triggerPrice", "0")), "reduceOnly": bool(p.get("reduceOnly", False)),
               "createdTime": str(now), "updatedTime": str(now), "rejectReason": "EC_NoError", "_accepted": now}
        if unit == "quoteCoin":  # Bybit keeps the order's qty as sent, in the quote coin; fills are in the base
            row.update(marketUnit="quoteCoin", qty=str(p.get("qty")), _base_qty=str(qty))
        trigger = D(str(p.get("triggerPrice", "0") or "0"))
        if trigger > 0:  # a conditional order waits, Untriggered, until the last price reaches its trigger
            direction = int(p.get("triggerDirection", 0) or 0) or (1 if trigger > self.prices[spec.symbol] else 2)
            row.update(orderStatus="Untriggered", _direction=direction,
                       orderFilter=p.get("orderFilter", "StopOrder"), stopOrderType="Stop")
        acc.orders[oid] = row
        self.placed += 1
        acc.emit("order", [self._public(row)])
        if trigger <= 0:
            self._match(acc, row)
        if self.lose_next_answers > 0:
            self.lose_next_answers -= 1
            await asyncio.sleep(self.lose_answer_s)  # taken, but the client gives up before the answer
        return {"orderId": oid, "orderLinkId": link}

    @staticmethod
    def _public(row: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if not k.startswith("_")}

    def _match(self, acc: Account, row: dict[str, Any]) -> None:
        spec = self.spec(row["category"], row["symbol"])
        last, tick = self.prices[spec.symbol], D(spec.tick)
        bid, ask = last - tick, last + tick
        buy = row["side"] == "Buy"
        if row["orderType"] == "Market":
            px = ask if buy else bid
        elif (buy and ask <= D(row["price"])) or (not buy and bid >= D(row["price"])):
            px = D(row["price"])
        else:
            return
        total = D(row.get("_base_qty") or row["qty"])
        left = total - D(row["cumExecQty"])
        qty, partial = left, False
        if self.part_fill is not None and row["orderType"] == "Limit":
            part = (left * self.part_fill // D(spec.step)) * D(spec.step)
            self.part_fill = None
            if D(0) < part < left:
                qty, partial = part, True
        self._settle(acc, spec, buy, qty, px)
        now = self.server_ms()
        filled = D(row["cumExecQty"]) + qty
        value = D(row["cumExecValue"]) + qty * px
        row.update(cumExecQty=str(filled), cumExecValue=str(value), avgPrice=str(value / filled),
                   leavesQty=str(total - filled), orderStatus="PartiallyFilled" if partial else "Filled",
                   updatedTime=str(now))
        fee, fee_coin = (qty * D("0.001"), spec.base) if (buy and spec.category == "spot") else (qty * px * D("0.001"), "USDT")
        execution = {"category": spec.category, "symbol": spec.symbol, "execId": str(next(self._exec_ids)),
                     "orderId": row["orderId"], "orderLinkId": row["orderLinkId"], "side": row["side"],
                     "execPrice": str(px), "execQty": str(qty), "execFee": str(fee), "feeCurrency": fee_coin,
                     "execType": "Trade", "execTime": str(now), "isMaker": row["orderType"] == "Limit"}
        acc.executions.append(execution)
        acc.emit("execution", [execution])
        acc.emit("order", [self._public(row)])
        acc.emit("wallet", [self._wallet(acc, {})["list"][0]])
        if spec.category == "linear":
            acc.emit("position", [self._position_row(acc, spec.symbol)])

    def _settle(self, acc: Account, spec: Spec, buy: bool, qty: Decimal, px: Decimal) -> None:
        usdt = acc.coins.setdefault("USDT", [D(0), D(0)])
        if spec.category == "spot":
            base = acc.coins.setdefault(spec.base, [D(0), D(0)])
            if buy:
                usdt[0] -= qty * px
                base[0] += qty - qty * D("0.001")
            else:
                base[0] -= qty
                usdt[0] += qty * px - qty * px * D("0.001")
            return
        size, avg = acc.positions.get(spec.symbol, [D(0), D(0)])
        signed = qty if buy else -qty
        usdt[0] -= qty * px * D("0.001")
        if size == 0 or (size > 0) == (signed > 0):
            new = size + signed
            avg = (abs(size) * avg + qty * px) / abs(new)
        else:
            closed = min(abs(size), qty)
            usdt[0] += (px - avg) * closed * (1 if size > 0 else -1)
            new = size + signed
            avg = avg if new and (new > 0) == (size > 0) else (px if new else D(0))
        acc.positions[spec.symbol] = [new, avg]

    def _find(self, acc: Account, p: dict[str, Any]) -> dict[str, Any] | None:
        for row in acc.orders.values():
            if (p.get("orderLinkId") and row["orderLinkId"] == p["orderLinkId"]) or \
                    (p.get("orderId") and row["orderId"] == p["orderId"]):
                if self.server_ms() - row["_accepted"] < self.not_found_s * 1000:
                    return None  # the venue's lag after accepting an order
                return row
        return None

    def _cancel(self, acc: Account, p: dict[str, Any]) -> dict[str, Any]:
        row = self._find(acc, p)
        if row is None or row["orderStatus"] not in ("New", "PartiallyFilled", "Untriggered"):
            raise BybitError(110001, "Order does not exist.")
        row.update(orderStatus="Deactivated" if row["orderStatus"] == "Untriggered" else "Cancelled", updatedTime=str(self.server_ms()))
        acc.emit("order", [self._public(row)])
        return {"orderId": row["orderId"], "orderLinkId": row["orderLinkId"]}

    def _realtime(self, acc: Account, p: dict[str, Any]) -> dict[str, Any]:
        if p.get("orderLinkId") or p.get("orderId"):
            row = self._find(acc, p)
            rows = [row] if row is not None and row["category"] == p.get("category") else []
        else:
            rows = [r for r in acc.orders.values() if r["category"] == p.get("category")
                    and r["orderStatus"] in ("New", "PartiallyFilled", "Untriggered")
                    and p.get("symbol") in (None, r["symbol"])]
        return {"category": p.get("category"), "list": [self._public(r) for r in rows], "nextPageCursor": ""}

    def _history(self, acc: Account, p: dict[str, Any]) -> dict[str, Any]:
        row = self._find(acc, p)
        rows = [row] if row is not None and row["category"] == p.get("category") else []
        return {"category": p.get("category"), "list": [self._public(r) for r in rows], "nextPageCursor": ""}

    def _executions(self, acc: Account, p: dict[str, Any]) -> dict[str, Any]:
        start = int(p.get("startTime", 0))
        rows = [e for e in acc.executions if e["category"] == p.get("category") and int(e["execTime"]) >= start]
        return {"category": p.get("category"), "list": rows[::-1], "nextPageCursor": ""}
