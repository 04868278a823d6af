"""Upbit's names on the shared order wire (``live/ticket_orders.py``): ``ord_type`` and ``identifier`` (our client
order id, never reused, even after an error) in ``POST /v1/orders`` (docs.upbit.com "주문하기") and the order
objects; and its private stream's ``myOrder`` fields (docs.upbit.com "내 주문 및 체결 (MyOrder)") under the REST
names: ``ask_bid``, ``order_type``, ``order_timestamp``; a ``trade`` event's ``trade_uuid``, ``price`` and
``volume`` are the fill's."""

from __future__ import annotations

from typing import Any

from ..live.ticket_orders import Keys
from ..live.ticket_private import TradeFields

KEYS = Keys(order_type="ord_type", client_id="identifier")


def translate(e: dict[str, Any]) -> tuple[dict[str, Any], TradeFields | None]:
    """A ``myOrder`` event as ``(REST-named fields, the fill of a trade event or None)``."""
    fields = {"uuid": e.get("uuid"), "identifier": e.get("identifier"), "side": str(e.get("ask_bid", "")).lower(),
              "ord_type": e.get("order_type"), "price": e.get("price"), "avg_price": e.get("avg_price"),
              "state": e.get("state"), "volume": e.get("volume"), "remaining_volume": e.get("remaining_volume"),
              "executed_volume": e.get("executed_volume"), "executed_funds": e.get("executed_funds"),
              "time_in_force": e.get("time_in_force"), "created_at": e.get("order_timestamp"),
              "timestamp": e.get("timestamp")}
    if e.get("state") != "trade":
        return fields, None
    return fields, TradeFields(e.get("trade_uuid"), e.get("price"), e.get("volume"), e.get("trade_fee"),
                               e.get("trade_timestamp") or e.get("timestamp"), e.get("executed_volume"),
                               e.get("remaining_volume"))
