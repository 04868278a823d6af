"""The error answers of the KRW exchanges of the ``ticket_*`` family mapped to the contract: ``{"error": {"name",
"message"}}`` with the HTTP status. A venue gives its key-refusal names (``auth``: name -> what it means), the
HTTP statuses that refuse the key (401, and 403 where the venue blocks an account so), the names of "not ready yet,
ask again" (a 422 ``order_not_ready``) and how it says a client order id was used before (``duplicate``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

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


def ticket_error(status: int, body: Any, venue: str, *, placing: bool, auth: Mapping[str, str],
                 auth_statuses: tuple[int, ...] = (401,), not_ready: tuple[str, ...] = (),
                 duplicate: Callable[[str, str], bool] = lambda name, message: False) -> BrokerError:
    """The contract's error for an answer (see the module docstring): 5xx the venue's trouble (an order's outcome
    unknown when ``placing``), the key refused (``AuthError``), 429 (``RateLimited``), not ready
    (``VenueUnavailable``: ask again), a used client order id (``DuplicateClientOrderId``), ``order_not_found`` or
    404 (``OrderNotFound``), ``insufficient_funds*`` (``InsufficientFunds``), another 400 (``InvalidOrder``)."""
    err = body.get("error", {}) if isinstance(body, dict) else {}
    name = str(err.get("name", "")) if isinstance(err, dict) else ""
    msg = str(err.get("message", "")) if isinstance(err, dict) else str(body)[:200]
    text = f"{venue} {name or status}: {msg or f'HTTP {status}'}"
    if status >= 500:
        return OrderStateUnknown(text) if placing else VenueUnavailable(text)
    if status in auth_statuses or name in auth:
        return AuthError(f"{text} ({auth.get(name, 'the key was refused')})")
    if status == 429:
        return RateLimited(text, 1.0)
    if name in not_ready:
        return VenueUnavailable(text)
    if duplicate(name, msg):
        return DuplicateClientOrderId(text)
    if name == "order_not_found" or status == 404:
        return OrderNotFound(text)
    if name.startswith("insufficient_funds"):
        return InsufficientFunds(text)
    if status == 400:
        return InvalidOrder(text)
    return OrderRejected(text)
