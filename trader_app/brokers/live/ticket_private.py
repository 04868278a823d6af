"""The private stream the KRW exchanges share (the family of ``ticket_feed.py``): ``myOrder`` and ``myAsset``.

Each connection's upgrade request carries ``Authorization: Bearer <JWT>`` (a fresh one per connection, no query
hash); once open, ``[{"ticket"}, {"type": "myOrder"}, {"type": "myAsset"}, {"format": "DEFAULT"}]`` subscribes
(``myAsset`` without ``codes``). The venues answer nothing to a subscription and send only on events: the
connection is kept by ping frames. A venue's ``translate(event)`` gives a ``myOrder`` event's fields under its REST
order object's names and, for a ``trade`` event, the fill (``TradeFields``): ``wait``/``watch``/``done``/``cancel``
become order updates, ``trade`` one fill and the order's progress. ``myAsset`` events (``assets[{currency, balance,
locked}]``) become balances. A repeated event is harmless (the core drops a known trade id and an unchanged order).
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from ...core.enums import OrderStatus, SessionState
from ...core.errors import VenueUnavailable
from ...core.portfolio import Balance
from ..base import BalanceUpdate, BrokerUpdate, FillUpdate, OrderUpdate
from .network import ConnectGate
from .stream import ManagedStream
from .ticket_feed import symbol_of
from .ticket_orders import order_from, stream_fill

ZERO = Decimal(0)


@dataclass(frozen=True)
class TradeFields:
    """One fill of a ``trade`` event: its id, price, quantity, fee (quote currency), time, and the order's executed
    and remaining quantity after it."""

    trade_id: Any
    price: Any
    quantity: Any
    fee: Any
    ts: Any
    executed: Any
    remaining: Any


Translate = Callable[[dict[str, Any]], tuple[dict[str, Any], TradeFields | None]]


class TicketPrivateStream:
    """One account's private stream (see the module docstring). ``token()``: a JWT for the upgrade request;
    ``known(market)``: our symbol of a listed market (None: not listed); ``client_id``: the venue's name of our
    client order id in its order objects; ``emit`` takes the updates; ``on_state`` the connection state."""

    def __init__(self, venue: str, token: Callable[[], str], url: str, account_id: str,
                 known: Callable[[str], str | None], translate: Translate, client_id: str,
                 emit: Callable[[BrokerUpdate], None], on_state: Callable[[SessionState, str], None], *,
                 gate: ConnectGate | None = None) -> None:
        self.venue = venue
        self.account_id = account_id
        self.known = known
        self.translate = translate
        self.client_id = client_id
        self.emit = emit
        self.stream = ManagedStream(f"{venue} private {account_id}", url, self._on_message, on_open=self._subscribe,
                                    on_state=on_state, gate=gate, stale_after_s=math.inf,
                                    headers=lambda: {"Authorization": f"Bearer {token()}"})

    async def start(self, timeout_s: float = 10.0) -> None:
        """Connect and subscribe. Raises VenueUnavailable when the stream is not up within ``timeout_s``."""
        self.stream.start()
        try:
            await self.stream.wait_connected(timeout_s)
        except (TimeoutError, asyncio.TimeoutError):
            raise VenueUnavailable(f"{self.venue}: the private stream did not open") from None

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
        fields, trade = self.translate(msg)
        order = order_from(fields, self.account_id, symbol, client_id=self.client_id)
        if trade is None:
            self.emit(OrderUpdate(order))
            return
        quote = symbol_of(market).split("/")[1]
        self.emit(FillUpdate(stream_fill(trade.trade_id, trade.price, trade.quantity, trade.fee, trade.ts,
                                         fields.get("side"), order.venue_order_id, self.account_id, symbol,
                                         order.client_order_id, quote)))
        executed, remaining = Decimal(str(trade.executed or "0")), Decimal(str(trade.remaining or "0"))
        if remaining > 0 and fields.get("ord_type") != "price":
            self.emit(OrderUpdate(replace(order, quantity=executed + remaining, filled_qty=executed,
                                          status=OrderStatus.PARTIALLY_FILLED)))
