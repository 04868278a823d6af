"""The signal: what a webhook, a strategy, the order ticket or the REST API asks the executor to do.

Field names follow the public webhook contract (TradingView alert JSON):
``group_name, symbol, order_type, side, qty_per, price, stop_price``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any

from ..core.enums import Side, SignalSource


class SignalOrderType(str, Enum):
    """Order types a signal may carry: the four order types plus CANCEL_ALL_ORDER."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP_MARKET = "STOP_MARKET"
    STOP_LIMIT = "STOP_LIMIT"
    CANCEL_ALL_ORDER = "CANCEL_ALL_ORDER"

    @property
    def priority(self) -> int:
        """Batch order per account: MARKET, CANCEL_ALL_ORDER, LIMIT, then STOP_MARKET/STOP_LIMIT."""
        return _PRIORITY[self]


_PRIORITY = {
    SignalOrderType.MARKET: 0,
    SignalOrderType.CANCEL_ALL_ORDER: 1,
    SignalOrderType.LIMIT: 2,
    SignalOrderType.STOP_MARKET: 3,
    SignalOrderType.STOP_LIMIT: 3,
}


@dataclass(frozen=True, slots=True)
class SignalOrder:
    """One order of a signal.

    qty_per: positive = percent of the group's allocated capital on each account (equity x weight x
    leverage) for SPOT/FUTURES groups, converted to quantity at the current price and rounded down to the
    lot size; for STOCK groups the number of shares. Negative = close that percent of the current position
    (-100 closes it all). ``None`` for CANCEL_ALL_ORDER. ``side`` is optional only for CANCEL_ALL_ORDER
    (None = both sides).
    """

    symbol: str
    order_type: SignalOrderType
    side: Side | None
    qty_per: Decimal | None = None
    price: Decimal | None = None
    stop_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Signal:
    """A signal for one strategy group: one or more orders (a batch), applied to every linked account
    (or only ``account_ids`` when given, e.g. a manual order for one account).

    ``idempotency_key``: what makes a resend the same signal (a webhook sets it from the sender's
    ``signal_id``/``id``, else the payload hash); None = the executor's fingerprint of group, accounts and
    orders. ``idempotency_window_ms``: how long the key holds (None = the executor's default, 2 s)."""

    signal_id: str
    group_name: str
    orders: tuple[SignalOrder, ...]
    source: SignalSource
    ts_ms: int
    payload: dict[str, Any] = field(default_factory=dict)
    account_ids: tuple[str, ...] | None = None
    idempotency_key: str | None = None
    idempotency_window_ms: int | None = None
