"""Upbit's answers mapped to the contract (docs.upbit.com "API 주요 에러 코드 목록", "주문 상태").

Errors: ``{"error": {"name": "<code>", "message": "<text>"}}``. 401 ``jwt_verification``, ``invalid_query_payload``,
``expired_access_key``, ``nonce_used``, ``no_authorization_i_p``, ``out_of_scope`` refuse the key (``AuthError``);
400 ``insufficient_funds_bid|ask`` (``InsufficientFunds``), ``under_min_total_bid|ask``, ``validation_error``,
``invalid_price_*``, ``create_bid|ask_error`` (``InvalidOrder``); 404 ``order_not_found`` (``OrderNotFound``); an
``identifier`` already used (the venue refuses a reused one, even after an error) is a ``DuplicateClientOrderId``
(its error name is not published: recognised by "identifier" in the name or message, unverified). 429 and 418
are the network's (a pause, a block of the IP); 5xx the venue's trouble.

States (REST): ``wait`` (resting), ``watch`` (a reserved order waiting for its trigger), ``done``, ``cancel``; the
private stream adds ``trade`` (one fill) and ``prevented`` (self-match prevention). A market buy by amount
(``ord_type=price``) may end ``cancel`` with a tiny remainder of the amount returned: with a filled volume it is
FILLED.
"""

from __future__ import annotations

from typing import Any

from ...core.enums import OrderStatus
from ...core.errors import BrokerError
from ..live.ticket_errors import ticket_error

AUTH = {"jwt_verification": "the request's JWT was refused", "invalid_query_payload": "the JWT's claims were refused",
        "expired_access_key": "the API key has expired", "nonce_used": "a nonce was used twice",
        "no_authorization_i_p": "this IP is not on the API key's list",
        "out_of_scope": "the API key lacks the permission", "invalid_access_key": "the API key is invalid"}
ORDER_STATUS = {"wait": OrderStatus.NEW, "watch": OrderStatus.NEW, "done": OrderStatus.FILLED,
                "cancel": OrderStatus.CANCELLED}


def _duplicate(name: str, message: str) -> bool:
    return "identifier" in name or "identifier" in message.lower()


def error_for(status: int, body: Any, venue: str, *, placing: bool = False) -> BrokerError:
    """The contract's error for an answer: HTTP ``status`` and the decoded ``body`` (``live/ticket_errors.py``
    with Upbit's names). ``placing``: the answer to a new order (a 5xx then leaves its outcome unknown)."""
    return ticket_error(status, body, venue, placing=placing, auth=AUTH, duplicate=_duplicate)
