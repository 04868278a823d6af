"""The fake Upbit's WebSocket streams on one 127.0.0.1 port, by path as Upbit serves them:
``/websocket/v1`` (public: a request ``[{"ticket"}, {"type", "codes"}..., {"format"}]`` replaces what the connection
carried; every ``tick_s`` each subscribed ``ticker`` and ``orderbook`` code gets a message built from the fake's
prices, sent as a binary frame as Upbit does) and ``/websocket/v1/private`` (the upgrade's ``Authorization:
Bearer <JWT>`` checked like REST's, nonce included; a bad one gets ``{"error": {"name": "INVALID_AUTH"}}`` and the
connection closes; ``myOrder`` (optionally by ``codes``) and ``myAsset`` (``codes`` refused: ``WRONG_FORMAT``)
then carry the account's events). Faults: ``drop_all()`` cuts every connection; ``muted`` stops the public pushes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from decimal import Decimal
from typing import Any

import jwt
from websockets.asyncio.server import Server, ServerConnection

from ..serving import WsServing
from .venue import FakeUpbit, tick_at


class Streams(WsServing):
    private_path = "/websocket/v1/private"

    def __init__(self, venue: FakeUpbit, tick_s: float = 0.05) -> None:
        self.venue = venue
        self.tick_s = tick_s
        self.muted = False
        self.public: dict[ServerConnection, dict[str, list[str]]] = {}
        self.private: set[ServerConnection] = set()
        self.connects = 0
        self.subscribe_messages: list[list[dict[str, Any]]] = []
        self.auth_failures = 0
        self._server: Server | None = None
        self._pusher: asyncio.Task[None] | None = None

    def connections(self) -> list[Any]:
        return list(self.public) + list(self.private)

    async def _handle(self, ws: ServerConnection) -> None:
        self.connects += 1
        path = ws.request.path if ws.request is not None else ""
        try:
            if path.startswith(self.private_path):
                await self._private(ws)
            elif path.startswith("/websocket/v1"):
                await self._public(ws)
        except Exception:  # noqa: BLE001 - a closed connection ends its handler
            pass
        finally:
            self.public.pop(ws, None)
            self.private.discard(ws)

    async def _public(self, ws: ServerConnection) -> None:
        self.public[ws] = {}
        async for raw in ws:
            msg = json.loads(raw)
            if not isinstance(msg, list) or not any("ticket" in m for m in msg):
                await ws.send(json.dumps({"error": {"name": "NO_TICKET", "message": "ticket is required"}}).encode())
                continue
            self.subscribe_messages.append(msg)
            self.public[ws] = {m["type"]: list(m.get("codes") or []) for m in msg if "type" in m}

    async def _private(self, ws: ServerConnection) -> None:
        acc = self._check(ws.request.headers.get("authorization", "") if ws.request is not None else "")
        if acc is None:
            self.auth_failures += 1
            await ws.send(json.dumps({"error": {"name": "INVALID_AUTH", "message": "인증에 실패했습니다"}}).encode())
            await ws.close(4001, "invalid auth")
            return
        loop = asyncio.get_running_loop()
        wanted: dict[str, Any] = {}

        def push(message: dict[str, Any]) -> None:
            kind = message.get("type")
            codes = wanted.get(kind)
            if codes is None or (codes and message.get("code") not in codes):
                return
            loop.create_task(self._send(ws, self._outgoing(message)))

        acc.listeners.append(push)
        self.private.add(ws)
        try:
            async for raw in ws:
                msg = json.loads(raw)
                for m in msg if isinstance(msg, list) else []:
                    if m.get("type") == "myAsset" and "codes" in m:
                        await self._send(ws, {"error": {"name": "WRONG_FORMAT", "message": "myAsset takes no codes"}})
                    elif m.get("type") in ("myOrder", "myAsset"):
                        wanted[m["type"]] = list(m.get("codes") or [])
        finally:
            if push in acc.listeners:
                acc.listeners.remove(push)

    def _check(self, auth: str) -> Any:
        if not auth.startswith("Bearer "):
            return None
        token = auth[7:]
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            acc = self.venue.accounts.get(str(claims.get("access_key")))
            if acc is None:
                return None
            claims = jwt.decode(token, acc.secret, algorithms=["HS256", "HS512"])
        except jwt.PyJWTError:
            return None
        nonce = str(claims.get("nonce", ""))
        if not nonce or nonce in self.venue.nonces:
            return None
        self.venue.nonces.add(nonce)
        return acc

    def _outgoing(self, message: dict[str, Any]) -> dict[str, Any]:
        """A private event as this venue's stream spells it (Upbit's own names here)."""
        return message

    @staticmethod
    async def _send(ws: ServerConnection, message: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            await ws.send(json.dumps(message).encode())  # Upbit sends binary frames

    async def _push_loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            if self.muted:
                continue
            for ws, types in list(self.public.items()):
                for kind, codes in types.items():
                    for code in codes:
                        message = self._message(kind, code)
                        if message is not None:
                            await self._send(ws, message)

    def _message(self, kind: str, code: str) -> dict[str, Any] | None:
        price = self.venue.prices.get(code)
        if price is None:
            return None
        now = self.venue.server_ms()
        tick = tick_at(price, code.split("-")[0])
        if kind == "ticker":
            return {"type": "ticker", "code": code, "opening_price": float(price * Decimal("0.99")),
                    "high_price": float(price * Decimal("1.01")), "low_price": float(price * Decimal("0.98")),
                    "trade_price": float(price), "prev_closing_price": float(price * Decimal("0.99")),
                    "change": "RISE", "trade_volume": 0.01, "acc_trade_volume_24h": 1234.5,
                    "trade_timestamp": now, "timestamp": now, "stream_type": "REALTIME"}
        if kind == "orderbook":
            return {"type": "orderbook", "code": code, "timestamp": now, "total_ask_size": 1.2, "total_bid_size": 0.8,
                    "orderbook_units": [{"ask_price": float(price + tick), "bid_price": float(price - tick),
                                         "ask_size": 0.5, "bid_size": 0.4}], "stream_type": "REALTIME"}
        return None
