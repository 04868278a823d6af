"""Upbit's private stream (``wss://api.upbit.com/websocket/v1/private``; docs.upbit.com "내 주문 및 체결
(MyOrder)", "내 자산 (MyAsset)").

Each connection's upgrade request carries ``Authorization: Bearer <JWT>`` (a fresh one per connection, no query
hash); once open, ``[{"ticket"}, {"type": "myOrder"}, {"type": "myAsset"}, {"format": "DEFAULT"}]`` subscribes
(``myAsset`` must not carry ``codes``). The venue answers nothing to a subscription and sends only on events: the
connection is kept by ping frames. ``myOrder`` events: ``state`` ``wait``/``watch``/``done``/``cancel`` become
order updates; ``trade`` one fill (``trade_uuid``; ``price`` and ``volume`` are the fill's) and the order's
progress (``executed_volume``, ``remaining_volume``). ``myAsset`` events: ``assets[{currency, balance,
locked}]``. A repeated event is harmless (the core drops a known trade id and an unchanged order).
"""

from __future__ import annotations

import asyncio
import math
import uuid
from dataclasses import replace
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ...core.enums import OrderStatus, SessionState
from ...core.errors import VenueUnavailable
from ...core.portfolio import Balance
from ..base import BalanceUpdate, BrokerUpdate, FillUpdate, OrderUpdate
from ..live.network import ConnectGate
from ..live.stream import ManagedStream
from .orders import order_from, stream_fill
from ..live.ticket_feed import symbol_of
from .rest import UpbitRest

ZERO = Decimal(0)


def rest_fields(e: dict[str, Any]) -> dict[str, Any]:
    """A ``myOrder`` event's fields under the REST order object's names (``order_from`` reads those)."""
    return {"uuid": e.get("uuid"), "identifier": e.get("identifier"), "side": str(e.get("ask_bid", "")).lower(),
            "ord_type": e.get("order_type"), "price": e.get("price"), "avg_price": e.get("avg_price"),
            "state": e.get("state"), "volume": e.get("volume"), "remaining_volume": e.get("remaining_volume"),
            "executed_volume": e.get("executed_volume"), "executed_funds": e.get("executed_funds"),
            "time_in_force": e.get("time_in_force"), "created_at": e.get("order_timestamp"),
            "timestamp": e.get("timestamp")}


class PrivateStream:
    """One account's private stream. ``known(market)``: our symbol of a listed market (None: not listed);
    ``emit(update)`` takes the updates; ``on_state`` the connection state."""

    def __init__(self, rest: UpbitRest, url: str, account_id: str, known: Callable[[str], str | None],
                 emit: Callable[[BrokerUpdate], None], on_state: Callable[[SessionState, str], None], *,
                 gate: ConnectGate | None = None) -> None:
        self.rest = rest
        self.account_id = account_id
        self.known = known
        self.emit = emit
        self.on_state = on_state
        self.stream = ManagedStream(f"{rest.venue} private {account_id}", url, self._on_message, on_open=self._subscribe,
                                    on_state=on_state, gate=gate, stale_after_s=math.inf,
                                    headers=lambda: {"Authorization": f"Bearer {rest.stream_token()}"})

    async def start(self, timeout_s: float = 10.0) -> None:
        """Connect and subscribe. Raises VenueUnavailable when the stream is not up within ``timeout_s``."""
        self.stream.start()
        try:
            await self.stream.wait_connected(timeout_s)
        except (TimeoutError, asyncio.TimeoutError):
            raise VenueUnavailable(f"{self.rest.venue}: the private stream did not open") from None

    async def close(self) -> None:
        await self.stream.close()

    async def _subscribe(self, stream: ManagedStream) -> None:
        await stream.send_json([{"ticket": f"trader-app-{uuid.uuid4().hex[:12]}"}, {"type": "myOrder"},
                                {"type": "myAsset"}, {"format": "DEFAULT"}])

    def _on_message(self, msg: Any) -> None:
        if not isinstance(msg, dict):
            return
        kind = msg.get("type")
        if kind == "myAsset":
            for a in msg.get("assets") or ():
                balance, locked = Decimal(str(a.get("balance") or "0")), Decimal(str(a.get("locked") or "0"))
                self.emit(BalanceUpdate(Balance(self.account_id, str(a["currency"]), balance + locked, locked)))
            return
        if kind != "myOrder":
            return
        market = str(msg.get("code") or "")
        symbol = self.known(market)
        if symbol is None:
            return
        quote = symbol_of(market).split("/")[1]
        order = order_from(rest_fields(msg), self.account_id, symbol)
        if msg.get("state") == "trade":
            fill = stream_fill({**msg, "trade_volume": msg.get("volume")}, self.account_id, symbol,
                               order.client_order_id, quote)
            executed = Decimal(str(msg.get("executed_volume") or "0"))
            remaining = Decimal(str(msg.get("remaining_volume") or "0"))
            self.emit(FillUpdate(fill))
            if remaining > 0 and msg.get("order_type") != "price":
                self.emit(OrderUpdate(replace(order, quantity=executed + remaining, filled_qty=executed,
                                              status=OrderStatus.PARTIALLY_FILLED)))
            return
        self.emit(OrderUpdate(order))
