"""Binance USD-M futures user data: a listenKey stream, one connection per account.

https://developers.binance.com/docs/derivatives/usds-margined-futures/user-data-streams: ``POST
/fapi/v1/listenKey`` (API key header, no signature) gives a key valid 60 minutes; ``PUT`` keeps it alive (sent
every ``keepalive_s``, 25 minutes); a ``-1125`` "listenKey does not exist" answer, or a ``listenKeyExpired``
event, means a new key (``POST``) and a new connection. The stream is ``{stream}/ws/<listenKey>``; events:
``ORDER_TRADE_UPDATE`` (``o = {s, c, S, o, f, q, p, ap, sp, x, X, i, l, z, L, N, n, T, t, R, ps, rp}``) and
``ACCOUNT_UPDATE`` (``a = {B: [{a, wb, cw}], P: [{s, pa, ep, up, ps}]}``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ...core.enums import OrderType, SessionState, Side, TimeInForce
from ...core.errors import BrokerError, SessionExpired
from ...core.orders import Fill, Order
from ...core.portfolio import Balance, Position
from ..base import BalanceUpdate, BrokerUpdate, FillUpdate, OrderUpdate, PositionUpdate
from ..live.network import ConnectGate
from ..live.stream import ManagedStream
from .codes import ORDER_TYPE_BACK, order_status
from .rest import BinanceRest

log = logging.getLogger(__name__)


def futures_updates(ev: dict[str, Any], account_id: str, symbol_of: Callable[[str], str | None]) -> list[BrokerUpdate]:
    """The contract's updates of one USD-M user-data event (others give none)."""
    kind = ev.get("e")
    if kind == "ORDER_TRADE_UPDATE":
        o = ev["o"]
        symbol = symbol_of(o["s"]) or o["s"]
        executed = Decimal(o["z"])
        avg = Decimal(o.get("ap") or "0")
        tif = o.get("f", "GTC")
        order = Order(account_id=account_id, client_order_id=o["c"], symbol=symbol, side=Side(o["S"]),
                      order_type=ORDER_TYPE_BACK.get(o.get("ot") or o["o"], OrderType.LIMIT),
                      quantity=Decimal(o["q"]), price=Decimal(o["p"]) or None, stop_price=Decimal(o.get("sp") or "0") or None,
                      time_in_force=TimeInForce(tif) if tif in ("GTC", "IOC", "FOK") else TimeInForce.GTC,
                      status=order_status(o["X"]), created_ms=int(o.get("T") or ev["E"]), updated_ms=int(ev["E"]),
                      venue_order_id=str(o["i"]), filled_qty=executed, avg_fill_price=avg if avg > 0 else None,
                      reduce_only=bool(o.get("R", False)))
        out: list[BrokerUpdate] = []
        if o.get("x") == "TRADE" and int(o.get("t", 0)) > 0:
            out.append(FillUpdate(Fill(str(o["t"]), account_id, o["c"], symbol, Side(o["S"]), Decimal(o["L"]),
                                       Decimal(o["l"]), Decimal(o.get("n") or "0"), str(o.get("N") or ""),
                                       int(o["T"]), str(o["i"]))))
        out.append(OrderUpdate(order))
        return out
    if kind == "ACCOUNT_UPDATE":
        a = ev.get("a", {})
        out = [BalanceUpdate(Balance(account_id, b["a"], Decimal(b["wb"]))) for b in a.get("B", ())]
        for p in a.get("P", ()):
            if p.get("ps", "BOTH") != "BOTH":
                continue  # hedge-mode legs: refused at connect, ignored here
            symbol = symbol_of(p["s"]) or p["s"]
            out.append(PositionUpdate(Position(account_id, symbol, Decimal(p["pa"]), Decimal(p["ep"]),
                                               updated_ms=int(ev.get("E", 0)))))
        return out
    return []


class FuturesUserData:
    """One futures account's listenKey stream (see the module docstring)."""

    def __init__(self, rest: BinanceRest, stream_base: str, account_id: str, symbol_of: Callable[[str], str | None],
                 emit: Callable[[BrokerUpdate], None], on_state: Callable[[SessionState, str], None], *,
                 gate: ConnectGate | None = None, keepalive_s: float = 25 * 60, stale_after_s: float = 600.0) -> None:
        self.rest = rest
        self.account_id = account_id
        self.symbol_of = symbol_of
        self.emit = emit
        self.on_state = on_state
        self.keepalive_s = keepalive_s
        self.listen_key = ""
        self.error = ""
        self.renewals = 0  # new keys after -1125 / listenKeyExpired
        self._keepalive: asyncio.Task[None] | None = None
        self.stream = ManagedStream(f"{rest.venue} user data {account_id}", lambda: f"{stream_base}/ws/{self.listen_key}",
                                    self._on_message, on_state=on_state, gate=gate, stale_after_s=stale_after_s)

    async def _new_key(self) -> None:
        body = await self.rest.request("POST", "listenKey", signed=False, weight=1)
        self.listen_key = str(body["listenKey"])

    async def start(self, timeout_s: float = 10.0) -> None:
        """Get a key and connect. Raises AuthError/VenueUnavailable from the key request, TimeoutError."""
        try:
            await self._new_key()
        except BrokerError as exc:
            self.error = str(exc)
            raise
        self.stream.start()
        await self.stream.wait_connected(timeout_s)
        self._keepalive = asyncio.ensure_future(self._keep_alive())

    async def close(self) -> None:
        if self._keepalive is not None:
            self._keepalive.cancel()
            await asyncio.gather(self._keepalive, return_exceptions=True)
        await self.stream.close()

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.keepalive_s)
            try:
                await self.rest.request("PUT", "listenKey", signed=False, weight=1)
            except SessionExpired:
                await self.renew()
            except BrokerError as exc:  # the next keepalive tries again; the key lives 60 minutes
                log.warning("%s: listenKey keepalive failed: %s", self.stream.name, exc)

    async def renew(self) -> None:
        """A new listenKey and a new connection on it (the core reconciles after the reconnect)."""
        self.renewals += 1
        await self._new_key()
        await self.stream.drop()

    def _on_message(self, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        if msg.get("e") == "listenKeyExpired":
            asyncio.ensure_future(self.renew())
            return
        for update in futures_updates(msg, self.account_id, self.symbol_of):
            self.emit(update)
