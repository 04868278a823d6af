"""Batch ordering and duplicate detection for signals.

- ``sort_batch``: the order a batch runs in on each account: MARKET, CANCEL_ALL_ORDER, LIMIT, then
  STOP_MARKET/STOP_LIMIT (``SignalOrderType.priority``), keeping the given order within a class
  (Python's ``sorted`` is stable).
- ``DuplicateFilter``: TradingView retries an alert it believes failed; an identical signal (same group,
  orders and target accounts; the token and any unknown fields ignored) seen again within the window
  (2,000 ms by default) is flagged as a duplicate of the first and not executed twice.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterable

from .signal import Signal, SignalOrder


def sort_batch(orders: Iterable[SignalOrder]) -> list[SignalOrder]:
    """The orders sorted by ``order_type.priority`` (stable: equal classes keep the given order)."""
    return sorted(orders, key=lambda o: o.order_type.priority)


def signal_fingerprint(signal: Signal) -> str:
    """A SHA-256 hex digest of what makes two signals the same: group, target accounts and the orders
    (symbol, order type, side, qty_per, price, stop price; numbers compared by value, so "1.0" == "1")."""

    def num(value: object) -> str | None:
        return None if value is None else format(value.normalize(), "f")  # type: ignore[attr-defined]

    body = {
        "group": signal.group_name,
        "accounts": sorted(signal.account_ids) if signal.account_ids is not None else None,
        "orders": [
            [o.symbol, o.order_type.value, o.side.value if o.side else None, num(o.qty_per), num(o.price),
             num(o.stop_price)]
            for o in signal.orders
        ],
    }
    return hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest()


class DuplicateFilter:
    """Remembers recent signal fingerprints for ``window_ms`` milliseconds.

    ``check(signal, now_ms)`` returns the signal id of an identical signal seen within the window (the
    signal is a duplicate) or None (the signal is recorded as the first of its kind). Synchronous, so a
    check-and-record on the event loop cannot interleave with another one. Memory is bounded by pruning
    entries older than the window on every call and by ``max_entries``.
    """

    def __init__(self, window_ms: int = 2000, max_entries: int = 10_000) -> None:
        self.window_ms = window_ms
        self.max_entries = max_entries
        self._seen: OrderedDict[str, tuple[int, str]] = OrderedDict()

    def check(self, signal: Signal, now_ms: int) -> str | None:
        """The id of the original if ``signal`` duplicates one seen in the last ``window_ms``; else None."""
        self._prune(now_ms)
        key = signal_fingerprint(signal)
        hit = self._seen.get(key)
        if hit is not None and now_ms - hit[0] <= self.window_ms:
            return hit[1]
        self._seen[key] = (now_ms, signal.signal_id)
        self._seen.move_to_end(key)
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)
        return None

    def _prune(self, now_ms: int) -> None:
        while self._seen:
            key, (ts, _) = next(iter(self._seen.items()))
            if now_ms - ts <= self.window_ms:
                break
            self._seen.popitem(last=False)
