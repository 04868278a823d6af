"""Binance's raw values mapped to ours, one table each (every raw value is tested).

Order status (spot enums.md "Order status"; USD-M "Order Status" adds NEW_INSURANCE / NEW_ADL for liquidation
orders): https://developers.binance.com/docs/binance-spot-api-docs/enums. Order types: ours -> spot
(``STOP_LOSS``, ``STOP_LOSS_LIMIT``) and futures (``STOP_MARKET``, ``STOP``). Error codes (spot
errors.md, https://developers.binance.com/docs/binance-spot-api-docs/errors; USD-M error codes
https://developers.binance.com/docs/derivatives/usds-margined-futures/error-code) -> the contract's errors.
"""

from __future__ import annotations

from typing import Any

from ...core.enums import OrderStatus, OrderType
from ...core.errors import (
    AuthError,
    BrokerError,
    DuplicateClientOrderId,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    OrderStateUnknown,
    RateLimited,
    SessionExpired,
    UnknownSymbol,
    VenueUnavailable,
)
from .urls import SPOT

ORDER_STATUS: dict[str, OrderStatus] = {
    "NEW": OrderStatus.NEW,
    "PENDING_NEW": OrderStatus.NEW,  # accepted, not yet working (order lists)
    "PARTIALLY_FILLED": OrderStatus.PARTIALLY_FILLED,
    "FILLED": OrderStatus.FILLED,
    "CANCELED": OrderStatus.CANCELLED,
    "PENDING_CANCEL": OrderStatus.NEW,  # documented as unused: still working until CANCELED arrives
    "REJECTED": OrderStatus.REJECTED,
    "EXPIRED": OrderStatus.EXPIRED,
    "EXPIRED_IN_MATCH": OrderStatus.EXPIRED,  # expired by self-trade prevention
    "NEW_INSURANCE": OrderStatus.NEW,  # futures liquidation with the insurance fund
    "NEW_ADL": OrderStatus.NEW,  # futures auto-deleverage
}

ORDER_TYPE: dict[str, dict[OrderType, str]] = {
    SPOT: {OrderType.MARKET: "MARKET", OrderType.LIMIT: "LIMIT", OrderType.STOP_MARKET: "STOP_LOSS",
           OrderType.STOP_LIMIT: "STOP_LOSS_LIMIT"},
    "futures": {OrderType.MARKET: "MARKET", OrderType.LIMIT: "LIMIT", OrderType.STOP_MARKET: "STOP_MARKET",
                OrderType.STOP_LIMIT: "STOP"},
}
#: Binance's type names back to ours (both markets; TAKE_PROFIT* and LIMIT_MAKER orders made elsewhere are
#: shown as the nearest of ours)
ORDER_TYPE_BACK: dict[str, OrderType] = {
    "MARKET": OrderType.MARKET, "LIMIT": OrderType.LIMIT, "LIMIT_MAKER": OrderType.LIMIT,
    "STOP_LOSS": OrderType.STOP_MARKET, "STOP_MARKET": OrderType.STOP_MARKET, "TAKE_PROFIT": OrderType.STOP_MARKET,
    "TAKE_PROFIT_MARKET": OrderType.STOP_MARKET, "TRAILING_STOP_MARKET": OrderType.STOP_MARKET,
    "STOP_LOSS_LIMIT": OrderType.STOP_LIMIT, "STOP": OrderType.STOP_LIMIT, "TAKE_PROFIT_LIMIT": OrderType.STOP_LIMIT,
    "TAKE_PROFIT": OrderType.STOP_MARKET,
}

TIMESTAMP_REJECTED = -1021
LISTEN_KEY_INVALID = -1125
NO_SUCH_ORDER = -2013
UNKNOWN_ORDER_CANCEL = -2011

_AUTH = {-1022: "the request's signature was refused", -2014: "the API key's format is invalid",
         -2015: "the API key, its IP allow-list or its permissions refused the request",
         -2008: "the API key does not exist", -1002: "the request needs an API key"}
_INVALID = {-1013, -1100, -1101, -1102, -1103, -1104, -1105, -1106, -1111, -1112, -1114, -1115, -1116, -1117,
            -1118, -1120, -1121, -1130, -2022, -4003, -4014, -4015, -4024, -4061, -4131, -4164, -1116}
_UNKNOWN_STATE = {-1006, -1007}


def order_status(raw: str) -> OrderStatus:
    """Our status of Binance's ``raw`` order status. Raises ValueError for one not in the table."""
    try:
        return ORDER_STATUS[raw]
    except KeyError:
        raise ValueError(f"unknown Binance order status {raw!r}") from None


def error_for(status: int, body: Any, venue: str, *, placing: bool = False, symbol: str = "") -> BrokerError:
    """The contract's error for a Binance error answer (HTTP ``status``, ``body`` = ``{"code", "msg"}``).
    ``placing``: the answer to a new order (-1006/-1007 then mean "status unknown", -2010 is a refusal);
    the text is the venue's own message with its code (it never contains a key)."""
    code = body.get("code") if isinstance(body, dict) else None
    msg = str(body.get("msg", "")) if isinstance(body, dict) else str(body)[:200]
    text = f"{venue} {code}: {msg}" if code is not None else f"{venue} HTTP {status}: {msg}"
    if code in _AUTH:
        return AuthError(f"{venue}: {_AUTH[code]} ({code})")
    if code == LISTEN_KEY_INVALID:
        return SessionExpired(text)
    if code == -1003:
        return RateLimited(text, 60.0)
    if code in _UNKNOWN_STATE:
        return OrderStateUnknown(text) if placing else VenueUnavailable(text)
    if code in (-2010, -2019, -2018, -2027, -2028) or (code == -4116):
        low = msg.lower()
        if code == -4116 or "duplicate" in low:
            return DuplicateClientOrderId(text)
        if code in (-2019, -2018, -2027, -2028) or "insufficient" in low:
            return InsufficientFunds(text)
        return InvalidOrder(text)
    if code == -1121 and symbol:
        return UnknownSymbol(symbol, venue)
    if code in (NO_SUCH_ORDER, UNKNOWN_ORDER_CANCEL):
        return OrderNotFound(text)
    if code in _INVALID or (placing and status == 400):
        return InvalidOrder(text)
    if status in (401, 403):
        return AuthError(f"{venue}: refused with HTTP {status} ({msg})")
    return VenueUnavailable(text)
