"""A signal's record follows its orders (issue 21, defect 7).

A signal's stored results are written when it fans out; its orders live on: an answer lost on the way (UNKNOWN)
later FILLED, a resting order CANCELLED, an order journalled before a crash declared lost (REJECTED) by
reconciliation. ``SignalFollower`` listens to ``OrderEvent`` and rewrites the result of each order of a signal
(matched by client order id) to the order's status, venue order id and reason, so the Signals panel, the REST API
and a resend's answer say what the journal says. Updates of one loop turn are written in one store job; a signal
still fanning out is followed once its own record is saved (``release``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from ..core.bus import EventBus
from ..core.events import OrderEvent, SignalEvent
from ..core.orders import Order

log = logging.getLogger(__name__)


def follow_results(results: tuple[dict[str, Any], ...], orders: Iterable[Order]) -> tuple[dict[str, Any], ...]:
    """``results`` with each one naming a client order id of ``orders`` set to that order's status, venue order
    id and reason: a reason the order no longer has ("outcome unknown: ..." once it FILLED) is dropped."""
    by_cid = {o.client_order_id: o for o in orders}
    out = []
    for result in results:
        order = by_cid.get(result.get("client_order_id") or "")
        if order is None:
            out.append(result)
            continue
        fixed = dict(result, status=order.status.value)
        if order.venue_order_id:
            fixed["venue_order_id"] = order.venue_order_id
        if order.reject_reason:
            fixed["error"] = order.reject_reason
        else:
            fixed.pop("error", None)
        out.append(fixed)
    return tuple(out)


def follow_records(store: Any, orders: dict[str, dict[str, Order]]) -> list[Any]:
    """Store thread: rewrite the records of ``orders`` (``{signal_id: {client_order_id: Order}}``); returns the
    records that changed (saved)."""
    changed = []
    for signal_id, by_cid in orders.items():
        record = store.signals.get(signal_id)
        if record is None or record.duplicate:
            continue
        results = follow_results(record.results, by_cid.values())
        if results != record.results:
            record = replace(record, results=results)
            store.signals.save(record)
            changed.append(record)
    return changed


class SignalFollower:
    """Keeps signal records in step with their orders. ``running(signal_id)``: whether the signal is still
    fanning out (its record is then saved by the executor; updates wait for ``release``)."""

    def __init__(self, store: Any, bus: EventBus, running: Callable[[str], bool]) -> None:
        self.store = store
        self.bus = bus
        self.running = running
        self._pending: dict[str, dict[str, Order]] = {}
        self._scheduled = False
        self._tasks: set[asyncio.Future[Any]] = set()
        self._unsub = bus.subscribe(OrderEvent, self._on_order)

    def close(self) -> None:
        self._unsub()

    def _on_order(self, event: OrderEvent) -> None:
        order = event.order
        if not order.signal_id:
            return
        self._pending.setdefault(order.signal_id, {})[order.client_order_id] = order
        if not self._scheduled and not self.running(order.signal_id):
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def release(self, signal_id: str) -> None:
        """The signal's own record is saved: apply what its orders did meanwhile."""
        if signal_id in self._pending and not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        ready = {sid: by_cid for sid, by_cid in self._pending.items() if not self.running(sid)}
        for sid in ready:
            del self._pending[sid]
        if ready:
            task = asyncio.ensure_future(self._write(ready))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _write(self, orders: dict[str, dict[str, Order]]) -> None:
        try:
            changed = await self.store.run(follow_records, self.store, orders)
        except Exception:  # noqa: BLE001 - the orders stand; a record left behind is repaired at the next start
            log.exception("signal records not updated from %d signal(s)' orders", len(orders))
            return
        for record in changed:
            self.bus.publish(SignalEvent(record.signal_id, record.source, record.group_name, dict(record.payload),
                                         record.ts_ms, record.results))

    async def drain(self) -> None:
        """Wait for the writes under way (tests, shutdown)."""
        while self._tasks or self._scheduled:
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await asyncio.sleep(0)
