"""The fake Binance's public market streams (``/stream``, combined-stream format) on ``websockets``.

A client subscribes with ``{"method": "SUBSCRIBE", "params": ["btcusdt@bookTicker", ...], "id": n}`` and gets
``{"result": null, "id": n}``; unknown stream names get ``{"error": {"code": 2, "msg": "Invalid request: ..."},
"id": n}``. Every ``tick_s`` each subscribed stream gets an event built from the fake's prices, wrapped as
``{"stream": name, "data": payload}`` with the payloads of ``shared/reference/samples/binance_ws_*.json``.
Faults: ``drop_all()`` closes every connection (code 1006-like abrupt close), ``muted`` stops the pushes while
keeping connections open (a stale stream).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from decimal import Decimal
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve

from .venue import FakeBinance


class MarketStreams:
    """Serves ``venue``'s market streams on 127.0.0.1 (a free port); ``url`` after ``start()``."""

    def __init__(self, venue: FakeBinance, tick_s: float = 0.05) -> None:
        self.venue = venue
        self.tick_s = tick_s
        self.muted = False
        self.connections: dict[ServerConnection, set[str]] = {}
        self.subscribe_messages: list[dict[str, Any]] = []
        self.connects = 0
        self._server: Server | None = None
        self._pusher: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = next(iter(self._server.sockets)).getsockname()[:2]
        return f"ws://{host}:{port}"

    async def start(self) -> None:
        self._server = await serve(self._handle, "127.0.0.1", 0, ping_interval=20)
        self._pusher = asyncio.ensure_future(self._push_loop())

    async def stop(self) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
            await asyncio.gather(self._pusher, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def drop_all(self) -> None:
        for ws in list(self.connections):
            ws.transport.abort()  # no close frame: as a network drop looks

    def _valid(self, name: str) -> bool:
        wire, _, kind = name.partition("@")
        listed = {s.symbol.lower() for s in self.venue.symbols}
        return wire in listed and kind in ("bookTicker", "miniTicker", "trade", "ticker") or (
            wire in listed and kind.startswith("kline_"))

    async def _handle(self, ws: ServerConnection) -> None:
        if ws.request is None or ws.request.path.split("?")[0] != "/stream":
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
