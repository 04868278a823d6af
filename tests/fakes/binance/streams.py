"""The fake Binance's public market streams (``/stream``, combined-stream format) on ``websockets``.

A client subscribes with ``{"method": "SUBSCRIBE", "params": ["btcusdt@bookTicker", ...], "id": n}`` and gets
``{"result": null, "id": n}``; unknown stream names get ``{"error": {"code": 2, "msg": "Invalid request: ..."},
"id": n}``. Every ``tick_s`` each subscribed stream gets an event built from the fake's prices, wrapped as
``{"stream": name, "data": payload}`` with the payloads of ``tests/reference/samples/binance_ws_*.json``.
Faults: ``drop_all()`` closes every connection (code 1006-like abrupt close), ``muted`` stops the pushes while
keeping connections open (a stale stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from decimal import Decimal
from typing import Any

from websockets.asyncio.server import Server, ServerConnection

from ..serving import WsServing
from .venue import FakeBinance


class MarketStreams(WsServing):
    """Serves ``venue``'s market streams on 127.0.0.1 (a free port); ``url`` after ``start()``."""

    def __init__(self, venue: FakeBinance, tick_s: float = 0.05) -> None:
        self.venue = venue
        self.tick_s = tick_s
        self.muted = False
        self.connections: dict[ServerConnection, set[str]] = {}
        self.subscribe_messages: list[dict[str, Any]] = []
        self.connects = 0
        self.ws_api_connects = 0
        self.ws_orders = 0  # order.place requests taken over the WebSocket API
        self.user_stream_connects = 0
        self.ws_api_connections: set[ServerConnection] = set()
        self.ws_api_requests: list[dict[str, Any]] = []
        self.duplicate_events = False
        self.reorder_events = False
        self._sub_ids = 0
        self._server: Server | None = None
        self._pusher: asyncio.Task[None] | None = None

    async def drop_all(self) -> None:
        """Cut every connection, market streams and WebSocket API sessions alike."""
        for ws in list(self.connections) + list(self.ws_api_connections):
            ws.transport.abort()  # no close frame: as a network drop looks

    def _valid(self, name: str) -> bool:
        wire, _, kind = name.partition("@")
        listed = {s.symbol.lower() for s in self.venue.symbols}
        return wire in listed and kind in ("bookTicker", "miniTicker", "trade", "ticker") or (
            wire in listed and kind.startswith("kline_"))

    async def _handle(self, ws: ServerConnection) -> None:
        path = ws.request.path.split("?")[0] if ws.request is not None else ""
        if path == "/ws-api/v3":
            await self._ws_api(ws)
            return
        if path.startswith("/ws/"):
            await self._listen_key_stream(ws, path[len("/ws/"):])
            return
        if path != "/stream":
            await ws.close(1008, "unknown path")
            return
        self.connects += 1
        self.connections[ws] = set()
        try:
            async for raw in ws:
                try:
                    msg = json.loads(raw)
                    method, params, mid = msg["method"], msg.get("params", []), msg["id"]
                except (ValueError, KeyError, TypeError):
                    await ws.send(json.dumps({"error": {"code": 3, "msg": "Invalid JSON: malformed request"}}))
                    continue
                self.subscribe_messages.append(msg)
                bad = [p for p in params if not self._valid(p)]
                if method in ("SUBSCRIBE", "UNSUBSCRIBE") and bad:
                    await ws.send(json.dumps({"error": {"code": 2, "msg": f"Invalid request: unknown stream {bad[0]}"},
                                              "id": mid}))
                    continue
                if method == "SUBSCRIBE":
                    self.connections[ws].update(params)
                elif method == "UNSUBSCRIBE":
                    self.connections[ws].difference_update(params)
                elif method == "LIST_SUBSCRIPTIONS":
                    await ws.send(json.dumps({"result": sorted(self.connections[ws]), "id": mid}))
                    continue
                await ws.send(json.dumps({"result": None, "id": mid}))
        except Exception:  # noqa: BLE001 - a dropped client
            pass
        finally:
            self.connections.pop(ws, None)

    # ---- WebSocket API: user data --------------------------------------------------------------------------
    async def _ws_api(self, ws: ServerConnection) -> None:
        """``userDataStream.subscribe.signature`` (``apiKey``, ``timestamp``, ``signature``: HMAC of the
        sorted ``k=v&...`` params) answers ``{"id", "status": 200, "result": {"subscriptionId": n}}``; then the
        account's events arrive as ``{"subscriptionId": n, "event": {...}}``. Faults: ``duplicate_events``,
        ``reorder_events`` (each pair of events goes out swapped)."""
        from .accounts import BinanceError, verify

        self.ws_api_connects += 1
        self.ws_api_connections.add(ws)
        subs: list[tuple[Any, Any]] = []
        held: list[str] = []

        def forward(sub_id: int, event: dict[str, Any]) -> None:
            text = json.dumps({"subscriptionId": sub_id, "event": event})
            out = [text, text] if self.duplicate_events else [text]
            if self.reorder_events:
                held.extend(out)
                if len(held) < 2:
                    return
                out, held[:] = [held[1], held[0], *held[2:]], []
            for t in out:
                asyncio.ensure_future(self._send_quiet(ws, t))

        try:
            async for raw in ws:
                try:
                    msg = json.loads(raw)
                    mid, method, params = msg["id"], msg["method"], dict(msg.get("params", {}))
                except (ValueError, KeyError, TypeError):
                    await ws.send(json.dumps({"id": None, "status": 400, "error": {"code": -1102, "msg": "bad request"}}))
                    continue
                self.ws_api_requests.append(msg)
                if method not in ("userDataStream.subscribe.signature", "order.place", "order.cancel", "order.status"):
                    await ws.send(json.dumps({"id": mid, "status": 400,
                                              "error": {"code": -1100, "msg": f"unsupported method {method}"}}))
                    continue
                try:
                    signature = params.pop("signature", "")
                    acc = self.venue.accounts.accounts.get(params.get("apiKey", ""))
                    if acc is None:
                        raise BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)
                    payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
                    if not verify(acc, payload, str(signature)):
                        raise BinanceError(-1022, "Signature for this request is not valid.")
                    self.venue.accounts.check_timestamp(params)
                except BinanceError as err:
                    await ws.send(json.dumps({"id": mid, "status": err.status, "error": {"code": err.code, "msg": err.msg}}))
                    continue
                if method != "userDataStream.subscribe.signature":
                    self.venue.accounts.signed_requests.append(payload)
                    asyncio.ensure_future(self._trade(ws, acc, mid, method, {k: str(v) for k, v in params.items()
                                                                             if k not in ("apiKey",)}))
                    continue
                sub_id = self._sub_ids
                self._sub_ids += 1
                listener = (lambda ev, sid=sub_id: forward(sid, ev))
                acc.listeners.append(listener)
                subs.append((acc, listener))
                await ws.send(json.dumps({"id": mid, "status": 200, "result": {"subscriptionId": sub_id},
                                          "rateLimits": [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE",
                                                          "intervalNum": 1, "limit": 6000, "count": 2}]}))
        except Exception:  # noqa: BLE001 - a dropped client
            pass
        finally:
            self.ws_api_connections.discard(ws)
            for acc, listener in subs:
                if listener in acc.listeners:
                    acc.listeners.remove(listener)

    async def _listen_key_stream(self, ws: ServerConnection, listen_key: str) -> None:
        """A futures user-data stream: the events of the book whose key this is, unwrapped."""
        book = self.venue.futures.by_key(listen_key)
        if book is None:
            await ws.close(1008, "invalid listen key")
            return
        self.user_stream_connects += 1
        self.ws_api_connections.add(ws)

        def forward(event: dict[str, Any]) -> None:
            text = json.dumps(event)
            for t in ([text, text] if self.duplicate_events else [text]):
                asyncio.ensure_future(self._send_quiet(ws, t))

        book.listeners.append(forward)
        try:
            async for _raw in ws:
                pass
        except Exception:  # noqa: BLE001
            pass
        finally:
            self.ws_api_connections.discard(ws)
            if forward in book.listeners:
                book.listeners.remove(forward)

    async def expire_listen_keys(self) -> None:
        """Binance's ``listenKeyExpired`` to every futures stream, and the keys dropped."""
        for book in self.venue.futures.books.values():
            if book.listen_key:
                book.emit({"e": "listenKeyExpired", "E": self.venue.server_ms(), "listenKey": book.listen_key})
                book.listen_key = ""

    async def _trade(self, ws: ServerConnection, acc: Any, mid: Any, method: str, params: dict[str, str]) -> None:
        """A trading request of the WebSocket API, answered after the fake's latency (or never: a lost answer)."""
        from .accounts import BinanceError

        accounts = self.venue.accounts
        if self.venue.faults.delay_s:
            await asyncio.sleep(self.venue.faults.delay_s)
        try:
            if method == "order.place":
                self.ws_orders += 1
                result = accounts.place(acc, params)
                if accounts.lose_next_answers > 0:
                    accounts.lose_next_answers -= 1
                    return  # placed; the answer never leaves
            elif method == "order.cancel":
                result = accounts.cancel(acc, accounts.find(acc, params, for_cancel=True))
            else:
                result = accounts.public(accounts.find(acc, params))
            answer = {"id": mid, "status": 200, "result": result}
        except BinanceError as err:
            answer = {"id": mid, "status": err.status, "error": {"code": err.code, "msg": err.msg}}
        await self._send_quiet(ws, json.dumps(answer))

    @staticmethod
    async def _send_quiet(ws: ServerConnection, text: str) -> None:
        with contextlib.suppress(Exception):
            await ws.send(text)

    def event(self, name: str) -> dict[str, Any] | None:
        wire, _, kind = name.partition("@")
        price = self.venue.prices.get(wire.upper())
        if price is None:
            return None
        now = self.venue.server_ms()
        tick = Decimal("0.01")
        bid, ask = price - tick, price + tick
        if kind == "bookTicker":
            data: dict[str, Any] = {"u": now, "s": wire.upper(), "b": f"{bid:.8f}", "B": "1.00000000",
                                    "a": f"{ask:.8f}", "A": "2.00000000"}
        elif kind == "miniTicker":
            data = {"e": "24hrMiniTicker", "E": now, "s": wire.upper(), "c": f"{price:.8f}",
                    "o": f"{price - 100:.8f}", "h": f"{price + 50:.8f}", "l": f"{price - 150:.8f}",
                    "v": "1000.00000000", "q": "65000000.00000000"}
        elif kind.startswith("kline_"):
            iv = kind[len("kline_"):]
            size = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000, "1d": 86_400_000}.get(iv, 60_000)
            t = now - now % size
            data = {"e": "kline", "E": now, "s": wire.upper(),
                    "k": {"t": t, "T": t + size - 1, "s": wire.upper(), "i": iv, "f": 100, "L": 200,
                          "o": f"{price:.8f}", "c": f"{price:.8f}", "h": f"{price:.8f}", "l": f"{price:.8f}",
                          "v": "1.00000000", "n": 10, "x": False, "q": f"{price:.8f}", "V": "0.5", "Q": "0.5",
                          "B": "0"}}
        else:
            return None
        return {"stream": name, "data": data}

    async def _push_loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            if self.muted:
                continue
            for ws, names in list(self.connections.items()):
                for name in sorted(names):
                    ev = self.event(name)
                    if ev is not None:
                        with contextlib.suppress(Exception):
                            await ws.send(json.dumps(ev))
