"""A fake Upbit on 127.0.0.1: the REST routes the adapter uses, in Upbit's wire format (docs.upbit.com; the shapes
of ``tests/reference/ccxt_static`` upbit fixtures), checking every private request as "인증 가능한 요청 만들기"
specifies: ``Authorization: Bearer <JWT>`` signed HS256 or HS512 with the account's secret key, ``access_key``
known, ``nonce`` never seen before (else 401 ``nonce_used``), and for a request with parameters ``query_hash`` =
SHA-512 hex of the parameters' unencoded ``k=v&...`` form as received (the query string decoded, or the JSON body's
keys in order, lists as ``k[]=v``) with ``query_hash_alg`` SHA512 (else 401 ``invalid_query_payload``). Answers carry
``Remaining-Req: group=<default|order>; min=1800; sec=<left>``; errors are ``{"error": {"name", "message"}}``.

Markets ``KRW-BTC`` and ``KRW-ETH`` on the KRW tick ladder (minimum total 5,000 KRW) and ``USDT-BTC`` on the USDT
one (0.01 from 10 USDT; minimum 0.5 USDT). Matching: ``ord_type=price``
(market buy) spends the amount at the ask (one tick above the price), ``market`` sells the volume at the bid, a
``limit`` fills at its price when marketable, else rests until the price crosses (``set_price``). Fee 0.05 % in
the quote currency (``paid_fee``). An ``identifier`` is unique forever: a reused one is refused even after an error. A cancel is
only accepted: the answer still says ``wait``, the order is ``cancel`` when read back. Private events (``myOrder``
with ``trade`` per fill, ``myAsset``) go to the account's private-stream connections (``streams.py``).

Faults (``faults``): the next ``count`` requests answered ``status`` (429, 418 with ``Retry-After``, 5xx);
``lose_next_answers`` (an order taken, its answer sent too late); ``not_found_s`` (an accepted order is "not found"
for that long); ``part_fill`` (the next marketable limit fills that fraction); ``delay_s`` (every answer).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_DOWN, Decimal
from typing import Any, Callable
from urllib.parse import unquote

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..serving import Faults

D = Decimal
KST = timezone(timedelta(hours=9))
FEE = D("0.0005")
MARKETS = {"KRW-BTC": ("BTC", "비트코인", "Bitcoin"), "KRW-ETH": ("ETH", "이더리움", "Ethereum"),
           "USDT-BTC": ("BTC", "비트코인", "Bitcoin")}
MIN_TOTAL = {"KRW": D("5000"), "USDT": D("0.5")}
USDT_BANDS = [(D("10"), D("0.01")), (D("1"), D("0.001")), (D("0"), D("0.0001"))]
BANDS = [(D("1000000"), D("1000")), (D("500000"), D("500")), (D("100000"), D("100")), (D("50000"), D("50")),
         (D("10000"), D("10")), (D("5000"), D("5")), (D("100"), D("1")), (D("0"), D("0.01"))]


def tick_at(price: Decimal, quote: str = "KRW") -> Decimal:
    return next(t for start, t in (BANDS if quote == "KRW" else USDT_BANDS) if price >= start)


def kst(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, KST).isoformat(timespec="seconds")


def s(x: Decimal) -> str:
    return format(x.normalize(), "f") if x else "0"


class UpbitError(Exception):
    def __init__(self, status: int, name: str, message: str) -> None:
        super().__init__(message)
        self.status, self.name, self.message = status, name, message




@dataclass
class Account:
    key: str
    secret: str
    balances: dict[str, list[Decimal]] = field(default_factory=dict)  # currency -> [free, locked]
    avg_buy: dict[str, Decimal] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # uuid -> order object (with "trades")
    identifiers: set[str] = field(default_factory=set)  # every identifier ever sent, refused ones too
    listeners: list[Callable[[dict[str, Any]], None]] = field(default_factory=list)

    def emit(self, message: dict[str, Any]) -> None:
        for fn in list(self.listeners):
            fn(message)


def hash_form(params: Any) -> str:
    """The unencoded ``k=v&...`` form of a JSON body's keys in order, lists as ``k[]=v`` (what Upbit hashes)."""
    parts = []
    for k, v in params.items():
        for item in (v if isinstance(v, list) else [v]):
            parts.append(f"{k}[]={item}" if isinstance(v, list) else f"{k}={item}")
    return "&".join(parts)


@dataclass
class FakeUpbit:
    """The fake's state (see the module docstring). ``requests``: every REST request as ``(method, path, query)``."""

    prices: dict[str, Decimal] = field(default_factory=lambda: {"KRW-BTC": D("95000000"), "KRW-ETH": D("4500000"),
                                                                     "USDT-BTC": D("65000")})
    faults: Faults = field(default_factory=Faults)
    accounts: dict[str, Account] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    lose_next_answers: int = 0
    lose_answer_s: float = 3.0
    not_found_s: float = 0.0
    part_fill: Decimal | None = None
    placed: int = 0
    jwt_algorithms: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._trade_ids = itertools.count(1)

    def open(self, key: str, secret: str, balances: dict[str, str]) -> Account:
        acc = self.accounts[key] = Account(key, secret, {c: [D(v), D(0)] for c, v in balances.items()})
        return acc

    def server_ms(self) -> int:
        return int(time.time() * 1000)

    def set_price(self, market: str, price: Decimal) -> None:
        """Move ``market``'s price; resting orders that now cross fill."""
        self.prices[market] = D(price)
        for acc in self.accounts.values():
            for row in list(acc.orders.values()):
                if row["market"] == market and row["state"] == "wait":
                    self._match(acc, row)

    # ---- HTTP ------------------------------------------------------------------------------------------------
    def public_routes(self) -> list[tuple[str, Any]]:
        return [("/v1/market/all", self._markets), ("/v1/ticker", self._ticker),
                ("/v1/candles/minutes/{unit}", self._candles), ("/v1/candles/days", self._candles)]

    def private_routes(self) -> list[tuple[str, str, Any]]:
        return [("/v1/accounts", "GET", self._accounts), ("/v1/orders", "POST", self._create),
                ("/v1/order", "GET", self._get), ("/v1/order", "DELETE", self._cancel),
                ("/v1/orders/open", "GET", self._open), ("/v1/orders/closed", "GET", self._closed)]

    def app(self) -> Starlette:
        private = self.private_routes()
        routes = [Route(p, self._endpoint(h, private=False), methods=["GET"]) for p, h in self.public_routes()]
        by_path: dict[str, dict[str, Any]] = {}
        for p, m, h in private:
            by_path.setdefault(p, {})[m] = h
        routes += [Route(p, self._endpoint(handlers, private=True), methods=list(handlers))
                   for p, handlers in by_path.items()]
        return Starlette(routes=routes)

    def _endpoint(self, handler: Any, *, private: bool) -> Any:
        async def endpoint(request: Request) -> JSONResponse:
            raw = (await request.body()).decode()
            self.requests.append((request.method, request.url.path, request.url.query))
            if self.faults.delay_s:
                await asyncio.sleep(self.faults.delay_s)
            if self.faults.count > 0:
                self.faults.count -= 1
                status = self.faults.status
                headers = {"Retry-After": str(self.faults.retry_after_s)} if status in (418, 429) else {}
                name = "too_many_requests" if status in (418, 429) else "server_error"
                return JSONResponse({"error": {"name": name, "message": f"HTTP {status}"}}, status, headers=headers)
            fn = handler[request.method] if isinstance(handler, dict) else handler
            group = "order" if request.method == "POST" and request.url.path == "/v1/orders" else "default"
            headers = {"Remaining-Req": f"group={group}; min=1800; sec=29"}
            try:
                if private:
                    body = json.loads(raw) if raw else {}
                    acc = self._authenticate(request, body)
                    params = body if request.method == "POST" else self._query(request)
                    result = fn(acc, params)
                else:
                    result = fn({**self._query(request), **request.path_params})
                if asyncio.iscoroutine(result):
                    result = await result
            except UpbitError as err:
                return JSONResponse({"error": {"name": err.name, "message": err.message}}, err.status, headers=headers)
            status = 201 if request.method == "POST" else 200
            return JSONResponse(result, status, headers=headers)

        return endpoint

    @staticmethod
    def _query(request: Request) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in request.query_params.multi_items():
            if k.endswith("[]"):
                out.setdefault(k[:-2], []).append(v)
            else:
                out[k] = v
        return out

    def _authenticate(self, request: Request, body: dict[str, Any]) -> Account:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            raise UpbitError(401, "jwt_verification", "Authorization header is missing")
        token = auth[7:]
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise UpbitError(401, "jwt_verification", "JWT could not be decoded") from None
        acc = self.accounts.get(str(claims.get("access_key", "")))
        if acc is None:
            raise UpbitError(401, "invalid_access_key", "access key is invalid")
        try:
            claims = jwt.decode(token, acc.secret, algorithms=["HS256", "HS512"])
        except jwt.PyJWTError:
            raise UpbitError(401, "jwt_verification", "JWT signature is invalid") from None
        self._check_claims(claims)
        self.jwt_algorithms.append(header.get("alg", ""))
        nonce = str(claims.get("nonce", ""))
        if not nonce or nonce in self.nonces:
            raise UpbitError(401, "nonce_used", "nonce was used already")
        self.nonces.add(nonce)
        form = hash_form(body) if request.method == "POST" else unquote(request.url.query)
        if form:
            expected = hashlib.sha512(form.encode()).hexdigest()
            if claims.get("query_hash") != expected or claims.get("query_hash_alg", "SHA512") != "SHA512":
                raise UpbitError(401, "invalid_query_payload", "query_hash does not match the parameters")
        return acc

    def _check_claims(self, claims: dict[str, Any]) -> None:
        """A venue's own claims (none beyond the nonce and the query hash here)."""

    # ---- public ----------------------------------------------------------------------------------------------
    def _markets(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"market": m, "korean_name": k, "english_name": e, "market_event": {"warning": False, "caution": {}}}
                for m, (_, k, e) in MARKETS.items()]

    def _ticker(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"market": m, "trade_price": float(self.prices[m]), "timestamp": self.server_ms()}
                for m in str(params.get("markets", "")).split(",") if m in self.prices]

    def _candles(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        unit = int(params.get("unit", 1440)) * 60_000
        market = params.get("market", "")
        if market not in self.prices:
            raise UpbitError(404, "Code not found", "market does not exist")
        to = params.get("to")
        end = int(datetime.fromisoformat(to.replace("Z", "+00:00")).timestamp() * 1000) if to else self.server_ms()
        count = min(int(params.get("count", 1)), 200)
        last_open = (end - 1) - (end - 1) % unit
        px = self.prices[market]
        rows = []
        for i in range(count):
            t = last_open - i * unit
            rows.append({"market": market, "candle_date_time_utc": datetime.fromtimestamp(t / 1000, UTC)
                         .strftime("%Y-%m-%dT%H:%M:%S"), "candle_date_time_kst": kst(t)[:19],
                         "opening_price": float(px), "high_price": float(px + 1000), "low_price": float(px - 1000),
                         "trade_price": float(px), "timestamp": t + unit - 1, "candle_acc_trade_price": 1.0,
                         "candle_acc_trade_volume": 1.5, "unit": unit // 60_000})
        return rows

    # ---- private ---------------------------------------------------------------------------------------------
    def _accounts(self, acc: Account, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"currency": c, "balance": s(free), "locked": s(locked), "avg_buy_price": s(acc.avg_buy.get(c, D(0))),
                 "avg_buy_price_modified": False, "unit_currency": "KRW"} for c, (free, locked) in acc.balances.items()]

    async def _create(self, acc: Account, p: dict[str, Any]) -> dict[str, Any]:
        ident = str(p.get("identifier") or "")
        if ident:
            if ident in acc.identifiers:
                raise UpbitError(400, "validation_error", "identifier is already used (duplicated identifier)")
            acc.identifiers.add(ident)
        market, side, kind = p.get("market"), p.get("side"), p.get("ord_type")
        if market not in self.prices or side not in ("bid", "ask") or kind not in ("limit", "price", "market"):
            raise UpbitError(400, "validation_error", "market, side or ord_type is invalid")
        base = MARKETS[market][0]
        last = self.prices[market]
        quote = market.split("-")[0]
        krw = acc.balances.setdefault(quote, [D(0), D(0)])
        coin = acc.balances.setdefault(base, [D(0), D(0)])
        if kind == "price":
            if side != "bid" or "volume" in p:
                raise UpbitError(400, "validation_error", "ord_type=price is a market buy by price only")
            amount = D(str(p["price"]))
            if amount < MIN_TOTAL[quote]:
                raise UpbitError(400, "under_min_total_bid", "최소주문금액 이상으로 주문해주세요")
            need = amount * (1 + FEE)
            volume = None
        else:
            volume = D(str(p.get("volume", "0")))
            price = D(str(p.get("price"))) if kind == "limit" else None
            if kind == "market" and side != "ask":
                raise UpbitError(400, "validation_error", "ord_type=market is a market sell")
            if volume <= 0 or volume != volume.quantize(D("0.00000001")):
                raise UpbitError(400, "validation_error", "volume is invalid")
            if price is not None and price % tick_at(price, quote) != 0:
                raise UpbitError(400, "invalid_price_bid" if side == "bid" else "invalid_price_ask",
                                 "주문 가격 단위를 잘못 입력하셨습니다")
            ref = price if price is not None else last
            if volume * ref < MIN_TOTAL[quote]:
                raise UpbitError(400, f"under_min_total_{side}", "최소주문금액 이상으로 주문해주세요")
            need = volume * ref * (1 + FEE) if side == "bid" else volume
        wallet = krw if side == "bid" else coin
        if wallet[0] < need:
            raise UpbitError(400, f"insufficient_funds_{side}", "주문가능한 금액이 부족합니다")
        wallet[0] -= need
        wallet[1] += need
        now = self.server_ms()
        uid = str(uuid.uuid4())
        row = {"uuid": uid, "side": side, "ord_type": kind, "price": s(D(str(p["price"]))) if "price" in p else None,
               "state": "wait", "market": market, "created_at": kst(now), "volume": s(volume) if volume else None,
               "remaining_volume": s(volume) if volume else None, "reserved_fee": "0", "remaining_fee": "0",
               "paid_fee": "0", "locked": s(need), "executed_volume": "0", "executed_funds": "0",
               "trades_count": 0, "identifier": ident or None, "time_in_force": p.get("time_in_force"),
               "smp_type": "cancel_maker", "trades": [], "_accepted": now, "_locked": need}
        acc.orders[uid] = row
        self.placed += 1
        answer = self._public(row)  # the answer says what was accepted: wait, nothing executed yet
        self._event(acc, row)
        self._match(acc, row)
        if self.lose_next_answers > 0:
            self.lose_next_answers -= 1
            await asyncio.sleep(self.lose_answer_s)  # taken; the client gives up before the answer
        return answer

    def _match(self, acc: Account, row: dict[str, Any]) -> None:
        market = row["market"]
        last = self.prices[market]
        tick = tick_at(last, market.split("-")[0])
        bid, ask = last - tick, last + tick
        buy = row["side"] == "bid"
        kind = row["ord_type"]
        if kind == "limit":
            limit = D(row["price"])
            if not ((buy and ask <= limit) or (not buy and bid >= limit)):
                return
            px = limit
        else:
            px = ask if buy else bid
        if kind == "price":
            qty = (D(row["price"]) / px).quantize(D("0.00000001"), rounding=ROUND_DOWN)
        else:
            qty = D(row["remaining_volume"])
            if self.part_fill is not None and kind == "limit":
                part = (qty * self.part_fill).quantize(D("0.00000001"), rounding=ROUND_DOWN)
                self.part_fill = None
                if D(0) < part < qty:
                    qty = part
        self._trade(acc, row, qty, px)

    def _trade(self, acc: Account, row: dict[str, Any], qty: Decimal, px: Decimal) -> None:
        base = MARKETS[row["market"]][0]
        quote = row["market"].split("-")[0]
        krw, coin = acc.balances[quote], acc.balances.setdefault(base, [D(0), D(0)])
        buy = row["side"] == "bid"
        funds = qty * px
        fee = funds * FEE
        now = self.server_ms()
        if buy:
            held = coin[0] + coin[1]
            acc.avg_buy[base] = ((acc.avg_buy.get(base, D(0)) * held + funds) / (held + qty)).quantize(D("0.0001"))
            coin[0] += qty
            spent = funds + fee
            krw[1] -= spent
            row["_locked"] -= spent
        else:
            coin[1] -= qty
            row["_locked"] -= qty
            krw[0] += funds - fee
        executed = D(row["executed_volume"]) + qty
        trade = {"market": row["market"], "uuid": f"t-{next(self._trade_ids)}", "price": s(px), "volume": s(qty),
                 "funds": s(funds), "trend": "up", "created_at": kst(now), "side": row["side"]}
        row["trades"].append(trade)
        row["executed_volume"] = s(executed)
        row["executed_funds"] = s(D(row["executed_funds"]) + funds)
        row["paid_fee"] = s(D(row["paid_fee"]) + fee)
        row["trades_count"] += 1
        done = row["ord_type"] == "price" or (row["volume"] is not None and executed >= D(row["volume"]))
        if row["volume"] is not None:
            row["remaining_volume"] = s(D(row["volume"]) - executed)
        self._event(acc, row, trade)
        if done:
            row["state"] = "cancel" if row["ord_type"] == "price" and row["_locked"] > 0 else "done"
            self._release(acc, row)
            self._event(acc, row)
        self._assets(acc, quote, base)

    def _release(self, acc: Account, row: dict[str, Any]) -> None:
        """What the order still locks goes back to free."""
        base = MARKETS[row["market"]][0]
        wallet = acc.balances[row["market"].split("-")[0]] if row["side"] == "bid" else acc.balances[base]
        wallet[1] -= row["_locked"]
        wallet[0] += row["_locked"]
        row["_locked"] = D(0)

    def _event(self, acc: Account, row: dict[str, Any], trade: dict[str, Any] | None = None) -> None:
        now = self.server_ms()
        e = {"type": "myOrder", "code": row["market"], "uuid": row["uuid"], "ask_bid": row["side"].upper(),
             "order_type": row["ord_type"], "state": "trade" if trade else row["state"],
             "trade_uuid": trade["uuid"] if trade else None,
             "price": float(D(trade["price"])) if trade else (float(D(row["price"])) if row["price"] else None),
             "avg_price": float(D(row["executed_funds"]) / D(row["executed_volume"])) if D(row["executed_volume"]) else 0,
             "volume": float(D(trade["volume"])) if trade else (float(D(row["volume"])) if row["volume"] else None),
             "remaining_volume": float(D(row["remaining_volume"])) if row["remaining_volume"] else None,
             "executed_volume": float(D(row["executed_volume"])), "trades_count": row["trades_count"],
             "reserved_fee": 0, "remaining_fee": 0, "paid_fee": float(D(row["paid_fee"])),
             "locked": float(row["_locked"]), "executed_funds": float(D(row["executed_funds"])),
             "time_in_force": row["time_in_force"], "trade_fee": float(D(trade["funds"]) * FEE) if trade else None,
             "is_maker": (row["ord_type"] == "limit") if trade else None, "identifier": row["identifier"],
             "smp_type": "cancel_maker", "prevented_volume": 0, "prevented_locked": 0,
             "trade_timestamp": now if trade else None, "order_timestamp": row["_accepted"], "timestamp": now,
             "stream_type": "REALTIME"}
        acc.emit(e)

    def _assets(self, acc: Account, quote: str, base: str) -> None:
        acc.emit({"type": "myAsset", "asset_uuid": str(uuid.uuid4()), "assets": [
            {"currency": c, "balance": float(acc.balances[c][0]), "locked": float(acc.balances[c][1])}
            for c in (quote, base) if c in acc.balances], "asset_timestamp": self.server_ms(),
            "timestamp": self.server_ms(), "stream_type": "REALTIME"})

    def _find(self, acc: Account, p: dict[str, Any]) -> dict[str, Any]:
        for row in acc.orders.values():
            if (p.get("uuid") and row["uuid"] == p["uuid"]) or \
                    (p.get("identifier") and row["identifier"] == p["identifier"]):
                if self.server_ms() - row["_accepted"] < self.not_found_s * 1000:
                    break  # the venue's lag after accepting an order
                return row
        raise UpbitError(404, "order_not_found", "주문을 찾지 못했습니다")

    @staticmethod
    def _public(row: dict[str, Any], trades: bool = False) -> dict[str, Any]:
        return {k: v for k, v in row.items() if not k.startswith("_") and (trades or k != "trades")}

    def _get(self, acc: Account, p: dict[str, Any]) -> dict[str, Any]:
        return self._public(self._find(acc, p), trades=True)

    def _cancel(self, acc: Account, p: dict[str, Any]) -> dict[str, Any]:
        row = self._find(acc, p)
        if row["state"] != "wait":
            raise UpbitError(400, "validation_error", "이미 체결된 주문입니다")  # done or cancelled already
        answer = self._public(row)  # the cancel is only accepted: the answer still says wait
        row["state"] = "cancel"
        self._release(acc, row)
        self._event(acc, row)
        return answer

    def _open(self, acc: Account, p: dict[str, Any]) -> list[dict[str, Any]]:
        states = p.get("states") or [p.get("state", "wait")]
        rows = [self._public(r) for r in acc.orders.values() if r["state"] in states
                and p.get("market") in (None, r["market"])]
        rows.sort(key=lambda r: r["created_at"], reverse=True)
        page, limit = int(p.get("page", 1)), min(int(p.get("limit", 100)), 100)
        return rows[(page - 1) * limit: page * limit]

    def _closed(self, acc: Account, p: dict[str, Any]) -> list[dict[str, Any]]:
        states = p.get("states") or ["done", "cancel"]
        start, end = int(p.get("start_time", 0)), int(p.get("end_time", self.server_ms()))
        if end - start > 7 * 86_400_000:
            raise UpbitError(400, "validation_error", "the window is longer than 7 days")
        rows = [self._public(r) for r in acc.orders.values() if r["state"] in states
                and p.get("market") in (None, r["market"]) and start <= r["_accepted"] <= end]
        return rows[: int(p.get("limit", 100))]
