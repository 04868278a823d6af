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
from ...core.errors import BrokerError
from ..live.ticket_errors import ticket_error

ORDER_STATUS = {"wait": OrderStatus.NEW, "watch": OrderStatus.NEW, "done": OrderStatus.FILLED,
                "cancel": OrderStatus.CANCELLED}
AUTH = {"invalid_query_payload": "the JWT's claims were refused", "jwt_verification": "the request's JWT was refused",
        "expired_jwt": "the JWT's timestamp is too old (is this computer's clock right?)",
        "NotAllowIP": "this IP is not on the API key's list", "out_of_scope": "the API key lacks the permission",
        "blocked_member_id": "the account is blocked"}


def error_for(status: int, body: Any, venue: str, *, placing: bool = False) -> BrokerError:
    """The contract's error for an answer: HTTP ``status`` and the decoded ``body`` (``live/ticket_errors.py`` with
    Bithumb's names); ``placing``: the answer to a new order (a 5xx then leaves its outcome unknown)."""
    return ticket_error(status, body, venue, placing=placing, auth=AUTH, auth_statuses=(401, 403),
                        not_ready=("order_not_ready",))
