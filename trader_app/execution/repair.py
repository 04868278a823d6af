"""Repairing signal records after a stop (issue 10: "signal records stay PENDING forever").

The executor saves a signal's record twice: with every result PENDING before the fan-out, and with each
account's outcome after it. A process that dies in between leaves PENDING results (or TIMEOUT, or order
statuses that have moved on since) that contradict the orders journal. At start-up ``repair_signal_records``
rewrites each such result from the journal:

- a result naming a client order id takes that order's current status, venue order id and reason;
- a PENDING/TIMEOUT result without one is matched to an order of the same signal, account and symbol not
  claimed by another result (the order was journalled but the answer never recorded);
- one with no such order becomes ERROR "interrupted: the app stopped before this order was journalled;
  nothing was sent" (the journal is written before any send, so no order means nothing left the app).

Runs on the store's worker thread (``store.run``); pure apart from the store calls.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..core.enums import OrderStatus
from ..core.orders import Order
from .outcome import ERROR, PENDING, SKIPPED, TIMEOUT

INTERRUPTED = "interrupted: the app stopped before this order was journalled; nothing was sent"

_OPEN_STATUSES = frozenset(s.value for s in OrderStatus if s.is_open)
_UNFINISHED = frozenset({PENDING, TIMEOUT}) | _OPEN_STATUSES


def repair_signal_records(store: Any, since_ms: int) -> int:
    """Repair every non-duplicate signal received since ``since_ms`` whose results are unfinished (see the
    module docstring). Returns the number of records rewritten."""
    changed = 0
    for record in store.signals.since(since_ms):
        if record.duplicate or not any(r.get("status") in _UNFINISHED for r in record.results):
            continue
        orders = store.orders.list(signal_id=record.signal_id)
        results = repair_results(record.results, orders)
        if results != record.results:
            store.signals.save(replace(record, results=results))
            changed += 1
    return changed


def repair_results(results: tuple[dict[str, Any], ...], orders: list[Order]) -> tuple[dict[str, Any], ...]:
    """``results`` with every unfinished one rewritten from ``orders`` (the signal's journalled orders)."""
    by_cid = {o.client_order_id: o for o in orders}
    claimed = {r.get("client_order_id") for r in results if r.get("client_order_id")}
    out = []
    for result in results:
        status = result.get("status")
        if status not in _UNFINISHED:
            out.append(result)
            continue
        order = by_cid.get(result.get("client_order_id") or "")
        if order is None and status in (PENDING, TIMEOUT):
            order = next((o for o in sorted(orders, key=lambda o: o.created_ms)
                          if o.client_order_id not in claimed and o.account_id == result.get("account_id")
                          and (not result.get("symbol") or o.symbol == result.get("symbol"))), None)
            if order is not None:
                claimed.add(order.client_order_id)
        out.append(_from_order(result, order))
    return tuple(out)


def _from_order(result: dict[str, Any], order: Order | None) -> dict[str, Any]:
    fixed = dict(result)
    if order is None:
        if result.get("status") in (PENDING, TIMEOUT):
            fixed.update(status=ERROR, error=INTERRUPTED)
        return fixed
    fixed.update(status=order.status.value, client_order_id=order.client_order_id, side=order.side.value,
                 quantity=format(order.quantity, "f"))
    if order.venue_order_id:
        fixed["venue_order_id"] = order.venue_order_id
    if order.reject_reason:
        fixed["error"] = order.reject_reason
    elif fixed.get("error") and result.get("status") in (PENDING, TIMEOUT, SKIPPED):
        fixed.pop("error")
    return fixed
