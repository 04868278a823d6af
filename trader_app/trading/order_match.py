"""Finding our order among the venue's when the venue keeps no client order id (KRX brokers, FX/CFD platforms):
an order whose answer was lost has no venue order id recorded, and the venue cannot be asked for ours. Its
outcome is resolved by matching the venue's orders of the day on what we sent (the contract's
``orders_since``), before anything is ever re-sent (DESIGN.md, "Unknown is a state, not a verdict").
"""

from __future__ import annotations

from collections.abc import Iterable

from ..core.enums import OrderType
from ..core.orders import Order

SKEW_MS = 5_000
"""How far the venue's clock may run behind ours when it stamps an order (ms)."""
WINDOW_MS = 120_000
"""How long after our journal time the venue may stamp the order it took (ms): the send waited for budget and
a connection, then the venue queued it."""

_MARKET = (OrderType.MARKET, OrderType.STOP_MARKET)


def matches(ours: Order, theirs: Order, *, skew_ms: int = SKEW_MS, window_ms: int = WINDOW_MS) -> bool:
    """True when the venue's order ``theirs`` is what ``ours`` asked for: same symbol, side and quantity, the same
    kind (market or priced) and limit price, stamped from ``skew_ms`` before our journal time to ``window_ms``
    after it."""
    if (theirs.symbol, theirs.side) != (ours.symbol, ours.side) or theirs.quantity != ours.quantity:
        return False
    if (ours.order_type in _MARKET) != (theirs.order_type in _MARKET):
        return False
    if ours.order_type not in _MARKET and theirs.price != ours.price:
        return False
    return ours.created_ms - skew_ms <= theirs.created_ms <= ours.created_ms + window_ms


def match_unacknowledged(ours: Order, venue_orders: Iterable[Order], taken: Iterable[str], *,
                         skew_ms: int = SKEW_MS, window_ms: int = WINDOW_MS) -> Order | None:
    """The venue's order that is ``ours`` (never acknowledged: no venue order id), or None when none matches.
    ``taken``: venue order ids already recorded on other journal orders (never matched twice). Of several
    candidates (the same order sent twice by hand), the one stamped nearest our journal time."""
    used = set(taken)
    candidates = [o for o in venue_orders if o.venue_order_id and o.venue_order_id not in used
                  and matches(ours, o, skew_ms=skew_ms, window_ms=window_ms)]
    if not candidates:
        return None
    return min(candidates, key=lambda o: (abs(o.created_ms - ours.created_ms), o.venue_order_id))
