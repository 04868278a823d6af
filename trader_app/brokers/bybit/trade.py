"""Bybit's WebSocket trade API (``wss://stream.bybit.com/v5/trade``, https://bybit-exchange.github.io/docs/v5/websocket/trade/guideline):
one connection per account, authenticated as the private stream (``{"op": "auth", "args": [key, expires,
signature]}``); a request is ``{"reqId", "header": {"X-BAPI-TIMESTAMP", "X-BAPI-RECV-WINDOW"}, "op":
"order.create"|"order.cancel", "args": [params]}`` (the REST body's parameters) and its answer
``{"reqId", "retCode", "retMsg", "op", "data": {"orderId", "orderLinkId"}, ...}``. ``{"op": "ping"}`` every 20 s.
A request not written raises ``NotSent`` (REST may be used instead); one unanswered raises ``VenueUnavailable``
(an order's outcome is then unknown: the core asks the venue; nothing is resent).
"""

from __future__ import annotations

import asyncio
from typing import Any

from ...core.enums import SessionState
from ...core.errors import AuthError
from ..live.network import ConnectGate
from ..live.requests import NotSent, PendingRequests
from ..live.stream import ManagedStream
from .codes import error_for
from .rest import BybitRest


class TradeSession:
    """One account's trade API connection (see the module docstring)."""

    def __init__(self, rest: BybitRest, url: str, account_id: str, *, gate: ConnectGate | None = None) -> None:
        self.rest = rest
        self.requests = PendingRequests(rest.venue, prefix="ord")
        self.authenticated = False
        self.error = ""
        self._answered = asyncio.Event()
        self.stream = ManagedStream(f"{rest.venue} trade {account_id}", url, self._on_message, on_open=self._auth,
                                    on_state=self._state, gate=gate, stale_after_s=120.0,
                                    heartbeat=(20.0, lambda: {"op": "ping"}))

    async def start(self, timeout_s: float = 10.0) -> None:
        """Connect and authenticate; raises AuthError when the key is refused, TimeoutError otherwise."""
        self.stream.start()
        await asyncio.wait_for(self._answered.wait(), timeout_s)
        if not self.authenticated:
            raise AuthError(self.error or f"{self.rest.venue}: the trade API refused the key")

    async def close(self) -> None:
        await self.stream.close()

    @property
    def ready(self) -> bool:
        return self.stream.connected and self.authenticated

    async def _auth(self, stream: ManagedStream) -> None:
        self.authenticated = False
        expires = self.rest.clock.now_ms() + 10_000
        await stream.send_json({"op": "auth", "args": [self.rest.api_key, expires, self.rest.sign_ws(expires)]})

    def _state(self, state: SessionState, reason: str) -> None:
        if state is not SessionState.CONNECTED:
            self.authenticated = False
            self.requests.fail_all()

    async def call(self, op: str, params: dict[str, Any], *, placing: bool = False) -> Any:
        """One request; returns its ``data``. Raises ``NotSent``, ``VenueUnavailable`` or the venue's refusal
        (``codes.error_for``)."""
        if not self.ready:
            raise NotSent(f"{self.rest.venue}: the trade API connection is not up")
        budget = self.rest.network.budget(self.rest.endpoints.rest)
        await budget.acquire(1, order=placing)

        async def send(rid: str) -> None:
            await self.stream.send_json({"reqId": rid, "op": op, "args": [params], "header": {
                "X-BAPI-TIMESTAMP": str(self.rest.clock.now_ms()), "X-BAPI-RECV-WINDOW": str(self.rest.recv_window_ms)}})

        answer = await self.requests.ask(send, self.rest.network.timeout_s)
        if answer.get("retCode") == 0:
            return answer.get("data", {})
        raise error_for(200, answer, self.rest.venue, placing=placing)

    def _on_message(self, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        if msg.get("op") == "auth":
            self.authenticated = bool(msg.get("retCode", 0 if msg.get("success") else 1) == 0 and
                                      msg.get("success", True))
            self.error = "" if self.authenticated else f"{self.rest.venue} refused the trade API's key: {msg.get('retMsg', msg.get('ret_msg', ''))}"
            self._answered.set()
            return
        self.requests.answer(msg.get("reqId"), msg)
