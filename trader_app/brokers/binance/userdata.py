"""Binance spot over the WebSocket API, one connection per account: user data, and order entry.

https://developers.binance.com/docs/binance-spot-api-docs/user-data-stream and web-socket-api "User Data
Stream requests": the REST listenKey endpoints are deprecated, so each account opens its own WebSocket API
connection (``{ws_api}``; one key per connection) and sends ``userDataStream.subscribe.signature`` with
``apiKey``, ``timestamp`` and ``signature`` (the WS-API signature: parameters sorted by name, ``k=v&...``);
the answer ``{"id", "status": 200, "result": {"subscriptionId": n}}`` starts the events, each wrapped as
``{"subscriptionId": n, "event": {...}}``: ``executionReport`` (order changes and trades),
``outboundAccountPosition`` (balances), ``balanceUpdate``, ``eventStreamTerminated``. The connection renews
itself before Binance's 24 h limit and reconnects (and resubscribes) after a drop through ``ManagedStream``.

Order entry on the same connection (web-socket-api "Trading requests"): ``call(method, params)`` sends a
signed request (``order.place``, ``order.status``, ``order.cancel``, ``openOrders.status``) with ``apiKey``,
``timestamp`` and ``signature`` and awaits the answer of the same ``id``: ``{"status": 200, "result": {...}}``
(the REST answer's shape) or ``{"status": 4xx, "error": {"code", "msg"}}``; 429/418 carry ``retryAfter`` (epoch
ms). It uses the same IP weight and order budgets as REST. A request that cannot be sent raises
``NotSent`` (nothing reached the venue: REST may be used instead); one whose answer does not come (drop,
timeout) raises ``VenueUnavailable``: for an order, its outcome is unknown and the core asks the venue.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ...core.enums import OrderType, SessionState, Side, TimeInForce
from ...core.errors import AuthError, RateLimited, VenueUnavailable
from ...core.orders import Fill, Order
from ...core.portfolio import Balance
from ..base import BalanceUpdate, BrokerUpdate, FillUpdate, OrderUpdate
from ..live.network import ConnectGate
from ..live.requests import NotSent, PendingRequests
from ..live.stream import ManagedStream, StreamDropped
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
        self._resyncs = 0  # subscriptions sent again after a -1021 (recvWindow) refusal
        self.requests = PendingRequests(rest.venue)  # order entry and queries on this connection
        self.timeout_s = rest.network.timeout_s  # as for REST (Binance's own gateway gives up after 10 s)
        self.subscription_id: int | None = None
        self._answered = asyncio.Event()  # the first subscription's answer came (accepted or refused)
        self.error = ""
        # a quiet account sends nothing for long: the library's pings (20 s) find a dead link instead
        self.stream = ManagedStream(f"{rest.venue} user data {account_id}", ws_api_url, self._on_message,
                                    on_open=self._subscribe, on_state=self._state, gate=gate,
                                    stale_after_s=stale_after_s)

    async def start(self, timeout_s: float = 10.0) -> None:
        """Connect and subscribe (the venue's confirmation awaited); raises AuthError when the venue refuses
        the key, TimeoutError otherwise."""
        self.stream.start()
        await asyncio.wait_for(self._answered.wait(), timeout_s)
        if self.subscription_id is None:
            raise AuthError(self.error or f"{self.rest.venue}: the user data subscription was refused")

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
        self.requests.fail_all()  # their answers will never come on this connection
        self.on_state(state, reason)

    @property
    def ready(self) -> bool:
        """Connected and subscribed: requests can be sent."""
        return self.stream.connected and self.subscription_id is not None

    async def call(self, method: str, params: dict[str, Any], *, weight: int = 1, placing: bool = False,
                   symbol: str = "") -> Any:
        """One signed WebSocket API request (see the module docstring); returns its ``result``. Raises
        ``NotSent``, ``VenueUnavailable``, ``RateLimited``/``VenueBanned`` or the venue's refusal mapped by
        ``codes.error_for``; a -1021 answer resyncs the clock and the request goes once more."""
        budget = self.rest.network.budget(self.rest.endpoints.rest)
        await budget.acquire(weight, order=placing)  # a placement may use the reads' reserve
        if placing:
            await self.rest.orders.acquire(1, order=True)
        for attempt in (1, 2):
            if not self.ready:
                raise NotSent(f"{self.rest.venue}: the WebSocket API connection is not up")
            signed = {k: v for k, v in params.items() if v is not None}
            signed["apiKey"] = self.rest.api_key
            signed["timestamp"] = self.rest.clock.now_ms()
            signed["signature"] = self.rest.sign_ws(signed)

            async def send(rid: str, signed: dict[str, Any] = signed) -> None:
                await self.stream.send_json({"id": rid, "method": method, "params": signed})

            status, body = await self.requests.ask(send, self.timeout_s)
            if status < 400:
                return body
            code = body.get("code") if isinstance(body, dict) else None
            if code == -1021 and attempt == 1:
                self.rest.resyncs += 1
                await self.rest.sync_clock()
                continue
            if status in (418, 429):
                retry_s = 60.0
                if isinstance(body, dict) and body.get("data", {}).get("retryAfter"):
                    retry_s = max(0.0, (int(body["data"]["retryAfter"]) - self.rest.clock.now_ms()) / 1000)
                if status == 418:
                    budget.ban(retry_s)
                    budget.wait_s()  # raises VenueBanned
                budget.pause(retry_s)
                raise RateLimited(f"{self.rest.venue} rate limit hit (WebSocket API {status})", retry_s)
            raise error_for(status, body, self.rest.venue, placing=placing, symbol=symbol)
        raise VenueUnavailable("unreachable")  # pragma: no cover

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
        status = int(msg.get("status", 500))
        if self.requests.answer(rid, (status, msg.get("result") if status < 400 else msg.get("error", {}))):
            return
        if rid in self._pending:
            self._pending.pop(rid)
            if msg.get("status") == 200:
                self.subscription_id = int(msg.get("result", {}).get("subscriptionId", 0))
                self.error = ""
                self._resyncs = 0
                self._answered.set()
                self.on_state(SessionState.CONNECTED, "")
            elif (msg.get("error") or {}).get("code") == -1021 and self._resyncs < 3:
                # the signed subscription arrived outside recvWindow (a busy venue, a drifting clock): the
                # clock is measured again and the subscription sent once more, as REST does
                self._resyncs += 1
                self._spawn_resubscribe(resync=True)
            else:
                err = error_for(int(msg.get("status", 400)), msg.get("error", {}), self.rest.venue)
                self.error = str(err)
                self._answered.set()
                state = SessionState.ERROR if isinstance(err, AuthError) else SessionState.DOWN
                self.on_state(state, f"user data refused: {err}")

    def _spawn_resubscribe(self, resync: bool = False) -> None:
        async def again() -> None:
            try:
                if resync:
                    self.rest.resyncs += 1
                    await self.rest.sync_clock()
                await self._subscribe(self.stream)
            except StreamDropped:
                pass  # on_open subscribes on the next connection
            except Exception as exc:  # noqa: BLE001 - the clock could not be read: the subscription fails
                self.error = f"user data not subscribed: {exc}"
                self._answered.set()
                self.on_state(SessionState.DOWN, self.error)

        asyncio.ensure_future(again())
