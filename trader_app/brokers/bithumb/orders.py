"""Bithumb's names on the shared order wire (``live/ticket_orders.py``): ``order_type`` and ``client_order_id``
(1 to 36 of letters, digits, ``-``, ``_``) in ``POST /v2/orders``; the single-order answer of ``GET /v1/order`` in the
v1 shape (``uuid``, ``ord_type``; apidocs.bithumb.com "개별 주문 조회"), the ``/v2`` answers and lists naming the
venue's id ``order_id``. The private stream v2's ``myOrder`` (apidocs.bithumb.com "MyOrder v2", the v1 -> v2 renames
of the migration guide): ``order_id``, ``client_order_id``, ``side`` buy/sell, ``order_type``, ``state``,
``order_price``, ``order_quantity``, ``remaining_quantity``, ``executed_quantity``, ``executed_amount``,
``paid_fee``, ``order_timestamp``; a ``trade`` event's ``trade_id``, ``trade_price``, ``trade_quantity``,
``trade_timestamp`` (no fee per trade: the fill's commission is 0 and the cash follows ``myAsset``)."""

from __future__ import annotations

from typing import Any

from ..live.ticket_orders import Keys
from ..live.ticket_private import TradeFields

KEYS = Keys(order_type="order_type", client_id="client_order_id")


def translate(e: dict[str, Any]) -> tuple[dict[str, Any], TradeFields | None]:
    """A v2 ``myOrder`` event as ``(REST-named fields, the fill of a trade event or None)``."""
    fields = {"uuid": e.get("order_id"), "client_order_id": e.get("client_order_id"),
              "side": {"buy": "bid", "sell": "ask"}.get(str(e.get("side")), e.get("side")),
              "ord_type": e.get("order_type"), "price": e.get("order_price"), "state": e.get("state"),
              "volume": e.get("order_quantity"), "remaining_volume": e.get("remaining_quantity"),
              "executed_volume": e.get("executed_quantity"), "executed_funds": e.get("executed_amount"),
              "time_in_force": e.get("time_in_force"), "created_at": e.get("order_timestamp"),
              "timestamp": e.get("timestamp")}
    if e.get("state") != "trade":
        return fields, None
    return fields, TradeFields(e.get("trade_id"), e.get("trade_price"), e.get("trade_quantity"), None,
                               e.get("trade_timestamp") or e.get("timestamp"), e.get("executed_quantity"),
                               e.get("remaining_quantity"))
