"""Bithumb's answers mapped to the contract (apidocs.bithumb.com "API 주요 에러 코드", v2.1.5 and current).

Errors: ``{"error": {"name", "message"}}`` with the HTTP status (``name`` may be a number). 401
``invalid_query_payload``, ``jwt_verification``, ``expired_jwt``, ``NotAllowIP``, ``out_of_scope`` and 403
``blocked_member_id`` refuse the key (``AuthError``); 400 ``invalid_parameter``, ``invalid_price*``,
``under_price_limit_*``, ``cross_trading`` (self-trade) (``InvalidOrder``), insufficient balance
(``insufficient_funds*``, a third-party report: ``InsufficientFunds``); 404 ``order_not_found``
(``OrderNotFound``); 422 ``order_not_ready`` (the order is still being accepted: ask again later,
``VenueUnavailable``); 429 the category's limit (``RateLimited``); 5xx the venue's trouble (an order's outcome
unknown). Order states (REST): ``wait``, ``watch``, ``done``, ``cancel`` as Upbit's.
"""

from __future__ import annotations

from typing import Any

from ...core.enums import OrderStatus
from ...core.errors import (
    AuthError,
    BrokerError,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    OrderRejected,
    OrderStateUnknown,
    RateLimited,
    VenueUnavailable,
)

ORDER_STATUS = {"wait": OrderStatus.NEW, "watch": OrderStatus.NEW, "done": OrderStatus.FILLED,
                "cancel": OrderStatus.CANCELLED}
_AUTH = {"invalid_query_payload": "the JWT's claims were refused", "jwt_verification": "the request's JWT was refused",
         "expired_jwt": "the JWT's timestamp is too old (is this computer's clock right?)",
         "NotAllowIP": "this IP is not on the API key's list", "out_of_scope": "the API key lacks the permission",
         "blocked_member_id": "the account is blocked"}


def error_for(status: int, body: Any, venue: str, *, placing: bool = False) -> BrokerError:
    """The contract's error for an answer: HTTP ``status`` and the decoded ``body``; ``placing``: the answer to a
    new order (a 5xx then leaves its outcome unknown)."""
    err = body.get("error", {}) if isinstance(body, dict) else {}
    name = str(err.get("name", "")) if isinstance(err, dict) else ""
    msg = str(err.get("message", "")) if isinstance(err, dict) else str(body)[:200]
    text = f"{venue} {name or status}: {msg or f'HTTP {status}'}"
    if status >= 500:
        return OrderStateUnknown(text) if placing else VenueUnavailable(text)
    if status in (401, 403) or name in _AUTH:
        return AuthError(f"{text} ({_AUTH.get(name, 'the key was refused')})")
    if status == 429:
        return RateLimited(text, 1.0)
    if status == 422 or name == "order_not_ready":
        return VenueUnavailable(text)
    if name == "order_not_found" or status == 404:
        return OrderNotFound(text)
    if name.startswith("insufficient_funds"):
        return InsufficientFunds(text)
    if status == 400:
        return InvalidOrder(text)
    return OrderRejected(text)
