"""Binance spot user data over the WebSocket API, one connection per account.

https://developers.binance.com/docs/binance-spot-api-docs/user-data-stream and web-socket-api "User Data
Stream requests": the REST listenKey endpoints are deprecated, so each account opens its own WebSocket API
connection (``{ws_api}``; one key per connection) and sends ``userDataStream.subscribe.signature`` with
``apiKey``, ``timestamp`` and ``signature`` (the WS-API signature: parameters sorted by name, ``k=v&...``);
the answer ``{"id", "status": 200, "result": {"subscriptionId": n}}`` starts the events, each wrapped as
``{"subscriptionId": n, "event": {...}}``: ``executionReport`` (order changes and trades),
``outboundAccountPosition`` (balances), ``balanceUpdate``, ``eventStreamTerminated``. The connection renews
itself before Binance's 24 h limit and reconnects (and resubscribes) after a drop through ``ManagedStream``.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ...core.enums import OrderType, SessionState, Side, TimeInForce
from ...core.errors import AuthError
from ...core.orders import Fill, Order
from ...core.portfolio import Balance
from ..base import BalanceUpdate, BrokerUpdate, FillUpdate, OrderUpdate
from ..network import ConnectGate
from ..stream import ManagedStream, StreamDropped
from .codes import ORDER_TYPE_BACK, error_for, order_status
from .rest import BinanceRest

log = logging.getLogger(__name__)


def updates_of_event(ev: dict[str, Any], account_id: str, symbol_of: Callable[[str], str | None]) -> list[BrokerUpdate]:
    """The contract's updates of one spot user-data event (unknown kinds give none). ``symbol_of``: Binance's
    symbol -> ours. A cancel's ``executionReport`` carries the original client order id in ``C``."""
    kind = ev.get("e")
    if kind == "executionReport":
        symbol = symbol_of(ev["s"]) or ev["s"]
        cid = ev["C"] if ev.get("x") == "CANCELED" and ev.get("C") else ev["c"]
        executed = Decimal(ev["z"])
        quote = Decimal(ev.get("Z") or "0")
        tif = ev.get("f", "GTC")
        order = Order(account_id=account_id, client_order_id=cid, symbol=symbol, side=Side(ev["S"]),
                      order_type=ORDER_TYPE_BACK.get(ev["o"], OrderType.LIMIT), quantity=Decimal(ev["q"]),
                      price=Decimal(ev["p"]) or None, stop_price=Decimal(ev["P"]) or None,
                      time_in_force=TimeInForce(tif) if tif in ("GTC", "IOC", "FOK") else TimeInForce.GTC,
                      status=order_status(ev["X"]), created_ms=int(ev.get("O") or ev["E"]), updated_ms=int(ev["E"]),
                      venue_order_id=str(ev["i"]), filled_qty=executed,
                      avg_fill_price=(quote / executed) if executed > 0 and quote > 0 else None,
                      reject_reason="" if ev.get("r", "NONE") == "NONE" else str(ev["r"]))
        out: list[BrokerUpdate] = []
        if ev.get("x") == "TRADE" and int(ev.get("t", -1)) >= 0:
            out.append(FillUpdate(Fill(str(ev["t"]), account_id, cid, symbol, Side(ev["S"]), Decimal(ev["L"]),
                                       Decimal(ev["l"]), Decimal(ev.get("n") or "0"), str(ev.get("N") or ""),
                                       int(ev["T"]), str(ev["i"]))))
        out.append(OrderUpdate(order))
        return out
    if kind == "outboundAccountPosition":
        return [BalanceUpdate(Balance(account_id, b["a"], Decimal(b["f"]) + Decimal(b["l"]), Decimal(b["l"])))
                for b in ev.get("B", ())]
    return []


class SpotUserData:
    """One account's user-data connection. ``emit(update)`` takes the updates; ``on_state`` the connection
    state (CONNECTED after the subscription is confirmed)."""

    def __init__(self, rest: BinanceRest, ws_api_url: str, account_id: str, symbol_of: Callable[[str], str | None],
                 emit: Callable[[BrokerUpdate], None], on_state: Callable[[SessionState, str], None], *,
                 gate: ConnectGate | None = None, stale_after_s: float = 600.0) -> None:
        self.rest = rest
        self.account_id = account_id
        self.symbol_of = symbol_of
        self.emit = emit
        self.on_state = on_state
        self._ids = itertools.count(1)
        self._pending: dict[str, str] = {}
        self.subscription_id: int | None = None
        self.error = ""
        # a quiet account sends nothing for long: the library's pings (20 s) find a dead link instead
        self.stream = ManagedStream(f"{rest.venue} user data {account_id}", ws_api_url, self._on_message,
                                    on_open=self._subscribe, on_state=self._state, gate=gate,
                                    stale_after_s=stale_after_s)

    async def start(self, timeout_s: float = 10.0) -> None:
        """Connect and subscribe; raises AuthError when the venue refuses the key, TimeoutError otherwise."""
        self.stream.start()
        await self.stream.wait_connected(timeout_s)

    async def close(self) -> None:
        await self.stream.close()

    async def _subscribe(self, stream: ManagedStream) -> None:
        params: dict[str, Any] = {"apiKey": self.rest.api_key, "timestamp": self.rest.clock.now_ms()}
        params["signature"] = self.rest.sign_ws(params)
        rid = f"uds-{next(self._ids)}"
        self._pending[rid] = "subscribe"
        self.subscription_id = None
        await stream.send_json({"id": rid, "method": "userDataStream.subscribe.signature", "params": params})

    def _state(self, state: SessionState, reason: str) -> None:
        if state is SessionState.CONNECTED:
            return  # reported when the subscription is confirmed
        self.on_state(state, reason)

    def _on_message(self, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        if "event" in msg:
            ev = msg["event"]
            if isinstance(ev, dict) and ev.get("e") == "eventStreamTerminated":
                log.info("%s: the venue ended the user data stream; resubscribing", self.stream.name)
                self.subscription_id = None
                self._spawn_resubscribe()
                return
            for update in updates_of_event(ev, self.account_id, self.symbol_of):
                self.emit(update)
            return
        rid = msg.get("id")
        if rid in self._pending:
            self._pending.pop(rid)
            if msg.get("status") == 200:
                self.subscription_id = int(msg.get("result", {}).get("subscriptionId", 0))
                self.error = ""
                self.on_state(SessionState.CONNECTED, "")
            else:
                err = error_for(int(msg.get("status", 400)), msg.get("error", {}), self.rest.venue)
                self.error = str(err)
                state = SessionState.ERROR if isinstance(err, AuthError) else SessionState.DOWN
                self.on_state(state, f"user data refused: {err}")

    def _spawn_resubscribe(self) -> None:
        import asyncio

        async def again() -> None:
            try:
                await self._subscribe(self.stream)
            except StreamDropped:
                pass  # on_open subscribes on the next connection

        asyncio.ensure_future(again())
