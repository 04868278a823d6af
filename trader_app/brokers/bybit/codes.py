"""Bybit's codes and enums (https://bybit-exchange.github.io/docs/v5/error, .../v5/enum).

Every answer is ``{"retCode", "retMsg", "result", "retExtInfo", "time"}``; ``retCode`` 0 is success. Mapped
here: 10002 the timestamp outside the window (the clock is measured again and the request sent once more: the
venue refused it before anything happened); 10003/10004/10005/10010 the key (``AuthError``); 10006 too many
visits (``RateLimited``); 110001 order not found; 110007/110004/110012 insufficient balance; 110072 a duplicate
``orderLinkId``; 10001 and the 1100xx order checks (``InvalidOrder``). HTTP 403 "access too frequent" is the IP
limit (stop for 10 minutes: a ban); 429 system protection; 5xx and 10016 the venue's own trouble.
"""

from __future__ import annotations

from typing import Any

from ...core.enums import Interval, OrderStatus, OrderType
from ...core.errors import (
    AuthError,
    BrokerError,
    DuplicateClientOrderId,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    OrderRejected,
    OrderStateUnknown,
    RateLimited,
    VenueUnavailable,
)

ORDER_STATUS: dict[str, OrderStatus] = {
    "New": OrderStatus.NEW, "PartiallyFilled": OrderStatus.PARTIALLY_FILLED, "Untriggered": OrderStatus.NEW,
    "Triggered": OrderStatus.NEW, "Filled": OrderStatus.FILLED, "Cancelled": OrderStatus.CANCELLED,
    "PartiallyFilledCanceled": OrderStatus.CANCELLED, "Deactivated": OrderStatus.CANCELLED,
    "Rejected": OrderStatus.REJECTED,
}
INTERVAL: dict[Interval, str] = {Interval.M1: "1", Interval.M5: "5", Interval.M15: "15", Interval.H1: "60",
                                 Interval.D1: "D"}
INTERVAL_BACK = {v: k for k, v in INTERVAL.items()}

TIMESTAMP_REJECTED = 10002
TOO_MANY_VISITS = 10006
NOT_FOUND = 110001
DUPLICATE_LINK_ID = 110072
_AUTH = {10003: "the API key is invalid", 10004: "the request's signature was refused",
         10005: "the API key lacks the permission", 10007: "the user is not authenticated",
         10010: "this IP is not on the API key's list", 33004: "the API key has expired"}
_FUNDS = {110004, 110007, 110012, 110045, 170131}
_UNAVAILABLE = {10016, 10019, 10000}


def order_status(raw: str) -> OrderStatus:
    """Our status of Bybit's ``orderStatus``; an unknown one reads NEW (open) until the venue says more."""
    return ORDER_STATUS.get(raw, OrderStatus.NEW)


def order_type(raw: str, stop: bool) -> OrderType:
    """Our order type of Bybit's ``orderType`` (Market/Limit) and whether it waits for a trigger price."""
    if raw == "Market":
        return OrderType.STOP_MARKET if stop else OrderType.MARKET
    return OrderType.STOP_LIMIT if stop else OrderType.LIMIT


def error_for(status: int, body: Any, venue: str, *, placing: bool = False) -> BrokerError:
    """The contract's error for an answer: HTTP ``status`` and the decoded ``body`` (``retCode``/``retMsg``).
    ``placing``: the answer to a new order (a 5xx then means its outcome is unknown)."""
    code = body.get("retCode") if isinstance(body, dict) else None
    msg = body.get("retMsg", "") if isinstance(body, dict) else str(body)[:200]
    text = f"{venue} {code if code is not None else status}: {msg or f'HTTP {status}'}"
    if status >= 500 or code in _UNAVAILABLE:
        return OrderStateUnknown(text) if placing else VenueUnavailable(text)
    if status == 401 or code in _AUTH:
        return AuthError(f"{text} ({_AUTH.get(code, 'the key was refused')})")
    if code == TOO_MANY_VISITS or status == 429:
        return RateLimited(text, 1.0)
    if code == NOT_FOUND:
        return OrderNotFound(text)
    if code == DUPLICATE_LINK_ID:
        return DuplicateClientOrderId(text)
    if code in _FUNDS:
        return InsufficientFunds(text)
    if code == 10001 or (isinstance(code, int) and 110000 <= code < 200000):
        return InvalidOrder(text)
    return OrderRejected(text) if placing else VenueUnavailable(text)
