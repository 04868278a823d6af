"""The fake Bybit's WebSocket streams on one 127.0.0.1 port, by path as Bybit serves them:
``/v5/public/spot`` and ``/v5/public/linear`` (``{"op": "subscribe", "args": [...], "req_id"}`` answered
``{"success", "ret_msg", "op", "req_id", "conn_id"}``; spot refuses more than 10 topics a request; every ``tick_s``
each subscribed ``orderbook.1.<S>``, ``tickers.<S>`` and ``kline.1.<S>`` gets a message built from the fake's prices
in the shapes of ``tests/reference/samples/bybit_ws_*``) and ``/v5/private`` (``{"op": "auth", "args": [key,
expires, signature]}`` checked: hex HMAC-SHA256(secret, "GET/realtime" + expires), expires in the future; then
``subscribe`` to order/execution/wallet/position, whose events the venue pushes) and ``/v5/trade`` (the same auth,
then ``order.create``/``order.cancel`` answered by ``reqId``). ``{"op": "ping"}`` is answered
with a pong. Faults: ``drop_all()`` cuts every connection; ``muted`` stops the public pushes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from decimal import Decimal
from typing import Any

from websockets.asyncio.server import Server, ServerConnection

from ..serving import WsServing
from .venue import FakeBybit


class Streams(WsServing):
    def __init__(self, venue: FakeBybit, tick_s: float = 0.05) -> None:
        self.venue = venue
        self.tick_s = tick_s
        self.muted = False
        self.public: dict[ServerConnection, tuple[str, set[str]]] = {}
        self.private: set[ServerConnection] = set()
        self.trade: set[ServerConnection] = set()
        self.connects = 0
        self.auth_requests = 0
        self.trade_requests: list[dict[str, Any]] = []
        self.pings = 0
        self._server: Server | None = None
        self._pusher: asyncio.Task[None] | None = None

    def connections(self) -> list[Any]:
        return list(self.public) + list(self.private) + list(self.trade)

    async def _handle(self, ws: ServerConnection) -> None:
        self.connects += 1
        path = ws.request.path if ws.request is not None else ""
        try:
            if path.startswith("/v5/public/"):
                await self._public(ws, path.rsplit("/", 1)[-1])
            elif path.startswith("/v5/private"):
                await self._private(ws)
            elif path.startswith("/v5/trade"):
                await self._trade(ws)
        except Exception:  # noqa: BLE001 - a closed connection ends its handler
            pass
        finally:
            self.public.pop(ws, None)
            self.private.discard(ws)
            self.trade.discard(ws)

    async def _public(self, ws: ServerConnection, category: str) -> None:
        topics: set[str] = set()
        self.public[ws] = (category, topics)
        async for raw in ws:
            msg = json.loads(raw)
            op = msg.get("op")
            if op == "ping":
                self.pings += 1
                await ws.send(json.dumps({"success": True, "ret_msg": "pong", "op": "ping", "conn_id": "c1"}))
                continue
            args = list(msg.get("args") or [])
            ok = not (category == "spot" and len(args) > 10)
            if ok and op == "subscribe":
                topics.update(args)
            elif ok and op == "unsubscribe":
                topics.difference_update(args)
            await ws.send(json.dumps({"success": ok, "ret_msg": "" if ok else "args size >10", "op": op,
                                      "req_id": msg.get("req_id", ""), "conn_id": "c1"}))

    async def _private(self, ws: ServerConnection) -> None:
        acc = None
        loop = asyncio.get_running_loop()

        def push(message: dict[str, Any]) -> None:
            loop.create_task(self._send(ws, message))

        try:
            async for raw in ws:
                msg = json.loads(raw)
                op = msg.get("op")
                if op == "ping":
                    self.pings += 1
                    await ws.send(json.dumps({"op": "pong", "args": [str(int(time.time() * 1000))], "conn_id": "p1"}))
                elif op == "auth":
                    self.auth_requests += 1
                    candidate = self._check_auth(msg.get("args") or [])
                    good = candidate is not None
                    if good:
                        acc = candidate
                    await ws.send(json.dumps({"success": good, "ret_msg": "" if good else "Params Error",
                                              "op": "auth", "conn_id": "p1"}))
                elif op == "subscribe":
                    ok = acc is not None
                    await ws.send(json.dumps({"success": ok, "ret_msg": "" if ok else "Request not authorized",
                                              "op": "subscribe", "conn_id": "p1"}))
                    if ok and push not in acc.listeners:
                        acc.listeners.append(push)
                        self.private.add(ws)
        finally:
            if acc is not None and push in acc.listeners:
                acc.listeners.remove(push)

    def _check_auth(self, args: list[Any]) -> Any:
        key, expires, signature = (list(args) + ["", 0, ""])[:3]
        candidate = self.venue.accounts.get(key)
        good = candidate is not None and int(expires) > self.venue.server_ms() and hmac.compare_digest(
            hmac.new(candidate.secret.encode(), f"GET/realtime{expires}".encode(), hashlib.sha256).hexdigest(),
            str(signature))
        return candidate if good else None

    async def _trade(self, ws: ServerConnection) -> None:
        """The trade API: auth, then ``order.create``/``order.cancel`` answered by ``reqId``."""
        from .venue import BybitError

        acc = None
        self.trade.add(ws)
        async for raw in ws:
            msg = json.loads(raw)
            op = msg.get("op")
            if op == "ping":
                self.pings += 1
                await ws.send(json.dumps({"op": "pong", "args": [str(int(time.time() * 1000))]}))
            elif op == "auth":
                self.auth_requests += 1
                acc = self._check_auth(msg.get("args") or [])
                await ws.send(json.dumps({"retCode": 0 if acc else 10004, "retMsg": "OK" if acc else "Invalid sign",
                                          "op": "auth", "connId": "t1"}))
            elif op in ("order.create", "order.cancel"):
                self.trade_requests.append(msg)
                if self.venue.faults.delay_s:  # the venue's latency, as on REST
                    await asyncio.sleep(self.venue.faults.delay_s)
                answer = {"reqId": msg.get("reqId"), "op": op, "connId": "t1",
                          "header": {"Timenow": str(self.venue.server_ms())}}
                try:
                    if acc is None:
                        raise BybitError(10003, "Request not authorized")
                    params = (msg.get("args") or [{}])[0]
                    data = await self.venue._create(acc, params) if op == "order.create" else \
                        self.venue._cancel(acc, params)
                    answer.update(retCode=0, retMsg="OK", data=data)
                except BybitError as err:
                    answer.update(retCode=err.code, retMsg=err.msg, data={})
                await ws.send(json.dumps(answer))

    @staticmethod
    async def _send(ws: ServerConnection, message: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            await ws.send(json.dumps(message))

    async def _push_loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            if self.muted:
                continue
            for ws, (category, topics) in list(self.public.items()):
                for topic in list(topics):
                    message = self._event(category, topic)
                    if message is not None:
                        await self._send(ws, message)

    def _event(self, category: str, topic: str) -> dict[str, Any] | None:
        kind, _, symbol = topic.rpartition(".")
        price = self.venue.prices.get(symbol)
        if price is None:
            return None
        spec = self.venue.spec(category, symbol)
        tick = Decimal(spec.tick)
        now = self.venue.server_ms()
        if kind == "orderbook.1":
            data: Any = {"s": symbol, "b": [[str(price - tick), "1.2"]], "a": [[str(price + tick), "0.8"]],
                         "u": now, "seq": now}
        elif kind == "tickers":
            data = {"symbol": symbol, "lastPrice": str(price), "prevPrice24h": str(price * Decimal("0.99")),
                    "highPrice24h": str(price * Decimal("1.01")), "lowPrice24h": str(price * Decimal("0.98")),
                    "volume24h": "6780.866843", "price24hPcnt": "0.0101"}
        elif kind == "kline.1":
            start = now - now % 60_000
            data = [{"start": start, "end": start + 59_999, "interval": "1", "open": str(price), "close": str(price),
                     "high": str(price), "low": str(price), "volume": "2.081", "turnover": "34666.4005",
                     "confirm": False, "timestamp": now}]
        else:
            return None
        return {"topic": topic, "ts": now, "type": "snapshot", "data": data}
