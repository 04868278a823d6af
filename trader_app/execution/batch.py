"""Batch ordering and duplicate detection for signals.

- ``sort_batch``: the order a batch runs in on each account: MARKET, CANCEL_ALL_ORDER, LIMIT, then
  STOP_MARKET/STOP_LIMIT (``SignalOrderType.priority``), keeping the given order within a class
  (Python's ``sorted`` is stable).
- ``DuplicateFilter``: the executor's idempotency filter. Every signal has a key: the sender's own id
  (a webhook's ``signal_id``/``id``), else the hash of what makes two signals the same (same group, orders
  and target accounts; the token and any unknown fields ignored, ``signal_fingerprint``). A signal whose key
  is still held by an earlier one is answered with the earlier one's outcome and not executed again. Each key
  holds until its own expiry (2,000 ms for a click or a strategy; the webhook's window, 30 s by default, for
  alerts; a day for a sender's id). The executor persists the keys with the signal records and loads the
  live ones at start-up, so a resend across a restart is caught too.
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
    """Holds idempotency keys until their expiry (epoch ms).

    ``claim(key, signal_id, now_ms, expires_ms)`` returns the signal id that holds ``key`` (the signal is a
    duplicate of it) or None (``signal_id`` now holds the key until ``expires_ms``). ``check(signal, now_ms)``
    is ``claim`` with the fingerprint key and ``window_ms``. Synchronous, so a check-and-claim on the event
    loop cannot interleave with another one. Memory is bounded by ``max_entries`` (the oldest claims go
    first) and expired keys are dropped as the oldest entries are met.
    """

    def __init__(self, window_ms: int = 2000, max_entries: int = 10_000) -> None:
        self.window_ms = window_ms
        self.max_entries = max_entries
        self._seen: OrderedDict[str, tuple[int, str]] = OrderedDict()  # key -> (expires_ms, signal_id)

    def check(self, signal: Signal, now_ms: int) -> str | None:
        """The id of the original if ``signal`` duplicates one seen in the last ``window_ms``; else None."""
        return self.claim("h:" + signal_fingerprint(signal), signal.signal_id, now_ms, now_ms + self.window_ms)

    def claim(self, key: str, signal_id: str, now_ms: int, expires_ms: int) -> str | None:
        """The signal id holding ``key`` at ``now_ms``, else None after ``signal_id`` claimed it."""
        self._prune(now_ms)
        hit = self._seen.get(key)
        if hit is not None and now_ms <= hit[0]:
            return hit[1]
        self.remember(key, signal_id, expires_ms)
        return None

    def remember(self, key: str, signal_id: str, expires_ms: int) -> None:
        """Hold ``key`` for ``signal_id`` until ``expires_ms`` (loading the keys recorded before a restart)."""
        self._seen[key] = (expires_ms, signal_id)
        self._seen.move_to_end(key)
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)

    def _prune(self, now_ms: int) -> None:
        while self._seen:
            key, (expires, _) = next(iter(self._seen.items()))
            if now_ms <= expires:
                break
            self._seen.popitem(last=False)
