"""Bybit's private stream (``wss://stream.bybit.com/v5/private``, https://bybit-exchange.github.io/docs/v5/ws/connect
"Authentication" and .../websocket/private/{order,execution,wallet,position}).

On each connection: ``{"op": "auth", "args": [api_key, expires_ms, signature]}`` (signature: hex HMAC-SHA256 of
``"GET/realtime" + expires``), then ``{"op": "subscribe", "args": ["order", "execution", "wallet", "position"]}``;
the account is CONNECTED once both are answered ``success``; ``{"op": "ping"}`` every 20 s keeps it open. Events:
``{"topic": "order"|"execution"|"wallet"|"position", "data": [...]}``, each row naming its ``category``; they become
the contract's updates (repeats are harmless: the core drops a known trade id, an unchanged order).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ...core.enums import SessionState
from ...core.errors import AuthError
from ...core.portfolio import Balance
from ..base import BalanceUpdate, BrokerUpdate, FillUpdate, OrderUpdate, PositionUpdate
from ..live.network import ConnectGate
from ..live.stream import ManagedStream
from .orders import fill_from, order_from, position_from
from .rest import BybitRest

log = logging.getLogger(__name__)
TOPICS = ["order", "execution", "wallet", "position"]


class PrivateStream:
    """One account's private stream. ``symbol_of(category, wire)``: our symbol (None: not listed);
    ``emit(update)`` takes the updates; ``on_state`` the connection state."""

    def __init__(self, rest: BybitRest, url: str, account_id: str, symbol_of: Callable[[str, str], str | None],
                 emit: Callable[[BrokerUpdate], None], on_state: Callable[[SessionState, str], None], *,
                 gate: ConnectGate | None = None, stale_after_s: float = 60.0) -> None:
        self.rest = rest
        self.account_id = account_id
        self.symbol_of = symbol_of
        self.emit = emit
        self.on_state = on_state
        self.error = ""
        self.authenticated = False
        self._answered = asyncio.Event()
        self.stream = ManagedStream(f"{rest.venue} private {account_id}", url, self._on_message, on_open=self._auth,
                                    on_state=self._state, gate=gate, stale_after_s=stale_after_s,
                                    heartbeat=(20.0, lambda: {"op": "ping"}))

    async def start(self, timeout_s: float = 10.0) -> None:
        """Connect, authenticate and subscribe (answers awaited); raises AuthError when the key is refused."""
        self.stream.start()
        await asyncio.wait_for(self._answered.wait(), timeout_s)
        if not self.authenticated:
            raise AuthError(self.error or f"{self.rest.venue}: the private stream refused the key")

    async def close(self) -> None:
        await self.stream.close()

    async def _auth(self, stream: ManagedStream) -> None:
        self.authenticated = False
        expires = self.rest.clock.now_ms() + 10_000
        await stream.send_json({"op": "auth", "args": [self.rest.api_key, expires, self.rest.sign_ws(expires)]})

    def _state(self, state: SessionState, reason: str) -> None:
        if state is SessionState.CONNECTED:
            return  # reported once authenticated and subscribed
        self.on_state(state, reason)

    def _on_message(self, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        op = msg.get("op")
        if op == "auth":
            if msg.get("success"):
                asyncio.ensure_future(self._subscribe())
            else:
                self.error = f"{self.rest.venue} refused the private stream's key: {msg.get('ret_msg', '')}"
                self._answered.set()
                self.on_state(SessionState.ERROR, self.error)
            return
        if op == "subscribe":
            if msg.get("success"):
                self.authenticated = True
                self.error = ""
                self._answered.set()
                self.on_state(SessionState.CONNECTED, "")
            else:
                self.error = f"private topics refused: {msg.get('ret_msg', '')}"
                self._answered.set()
                self.on_state(SessionState.DOWN, self.error)
            return
        topic, rows = msg.get("topic"), msg.get("data")
        if not isinstance(topic, str) or not isinstance(rows, list):
            return
        for row in rows:
            for update in self._updates(topic.split(".")[0], row):
                self.emit(update)

    async def _subscribe(self) -> None:
        try:
            await self.stream.send_json({"op": "subscribe", "args": TOPICS})
        except Exception as exc:  # noqa: BLE001 - the connection dropped: on_open authenticates again
            log.info("%s: subscription not sent (%s)", self.stream.name, exc)

    def _updates(self, topic: str, row: dict[str, Any]) -> list[BrokerUpdate]:
        if topic == "wallet":
            return [BalanceUpdate(Balance(self.account_id, c["coin"], Decimal(str(c.get("walletBalance") or "0")),
                                          Decimal(str(c.get("locked") or "0")))) for c in row.get("coin", ())]
        symbol = self.symbol_of(str(row.get("category", "")), str(row.get("symbol", "")))
        if symbol is None:
            return []
        if topic == "order":
            return [OrderUpdate(order_from(row, self.account_id, symbol))]
        if topic == "execution" and row.get("execType", "Trade") == "Trade":
            return [FillUpdate(fill_from(row, self.account_id, symbol))]
        if topic == "position" and row.get("category", "linear") == "linear":
            return [PositionUpdate(position_from(row, self.account_id, symbol))]
        return []
