"""The update side of the ``OrderManager``: one consumer task per account reads ``broker.updates()``, loads the
account's instruments, balances and positions at attach, and persists then publishes every update.

A mixin (``OrderUpdates``) so that ``order_manager.py`` stays about submitting and tracking; it uses the
manager's state (``_store``, ``_bus``, ``_brokers``, ``_ready``, ``_tasks``, caches) and ``_apply_order``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

from ..brokers.base import BalanceUpdate, Broker, BrokerUpdate, FillUpdate, LedgerUpdate, OrderUpdate, PositionUpdate
from ..core.events import BalanceEvent, FillEvent, LedgerEvent, PositionEvent
from .retry import retry_read

log = logging.getLogger(__name__)


def _save_all(save: Callable[[Any], Any], items: Iterable[Any]) -> None:
    """Worker-thread helper: ``save(item)`` for each item."""
    for item in items:
        save(item)


class OrderUpdates:
    """Consumes broker updates for the ``OrderManager`` (see the module docstring)."""

    _store: Any
    _bus: Any
    _brokers: dict
    _ready: dict
    _tasks: dict
    _instruments: dict
    _positions: dict
    _balances: dict
    _settle_timeout: float
    _read_attempts: int
    _read_backoff: float

    async def flush(self, account_id: str | None = None) -> None:
        """Wait until the updates the account's broker has emitted so far are persisted and published (when
        the broker offers ``drain_updates()``, as the paper broker does; otherwise returns at once).
        Gives up after ``settle_timeout_s`` (logged)."""
        for aid in [account_id] if account_id else list(self._brokers):
            await self._settle(aid)

    async def _settle(self, account_id: str) -> None:
        broker = self._brokers.get(account_id)
        drain = getattr(broker, "drain_updates", None)
        if drain is None or account_id not in self._tasks:
            return
        try:
            await asyncio.wait_for(self._drain(account_id, drain), self._settle_timeout)
        except asyncio.TimeoutError:
            log.warning("updates of account %s not settled within %.1f s", account_id, self._settle_timeout)

    async def _drain(self, account_id: str, drain: Callable[[], Any]) -> None:
        await self._ready[account_id].wait()
        await drain()

    async def _run(self, account_id: str, broker: Broker, ready: asyncio.Event) -> None:
        try:
            await self._load_instruments(account_id, broker)
            await self._load_state(account_id, broker)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - keep consuming updates; submit reloads instruments on demand
            log.exception("start-up load of account %s failed", account_id)
        finally:
            ready.set()
        try:
            async for update in broker.updates():
                try:
                    await self._handle(update)
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001 - one bad update must not stop the stream
                    log.exception("update %r of account %s failed", type(update).__name__, account_id)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001
            log.exception("update stream of account %s ended with an error", account_id)

    async def _load_instruments(self, account_id: str, broker: Broker) -> None:
        insts = await retry_read(broker.instruments, attempts=self._read_attempts, multiplier=self._read_backoff)
        self._instruments[account_id] = {i.symbol: i for i in insts}

    async def _load_state(self, account_id: str, broker: Broker) -> None:
        opts = dict(attempts=self._read_attempts, multiplier=self._read_backoff)
        balances = await retry_read(broker.balances, **opts)
        positions = await retry_read(broker.positions, **opts)
        for b in balances:
            self._balances[(account_id, b.currency)] = b
        for p in positions:
            self._positions[(account_id, p.symbol)] = p
        await self._store.run(_save_all, self._store.balances.save, balances)
        await self._store.run(_save_all, self._store.positions.save, positions)
        for b in balances:
            self._bus.publish(BalanceEvent(b))
        for p in positions:
            self._bus.publish(PositionEvent(p))

    async def _handle(self, update: BrokerUpdate) -> None:
        if isinstance(update, OrderUpdate):
            await self._apply_order(update.order)
        elif isinstance(update, FillUpdate):
            await self._apply_fill(update)
        elif isinstance(update, BalanceUpdate):
            b = update.balance
            self._balances[(b.account_id, b.currency)] = b
            await self._store.run(self._store.balances.save, b)
            self._bus.publish(BalanceEvent(b))
        elif isinstance(update, PositionUpdate):
            p = update.position
            self._positions[(p.account_id, p.symbol)] = p
            await self._store.run(self._store.positions.save, p)
            self._bus.publish(PositionEvent(p))
        elif isinstance(update, LedgerUpdate):
            if await self._store.run(self._store.ledger.add, update.entry):
                self._bus.publish(LedgerEvent(update.entry))
        else:
            log.warning("unknown broker update %r", update)

    async def _apply_fill(self, update: FillUpdate) -> None:
        fill = update.fill
        if not await self._store.run(self._store.fills.add, fill):
            return  # a repeated report of a known trade id changes nothing
        self._bus.publish(FillEvent(fill))
        key = (fill.account_id, fill.client_order_id)
        current = await self._lookup(key)
        if current is None or fill.trade_id in current.fill_ids or current.status.is_final:
            return
        if current.filled_qty + fill.quantity > current.quantity:
            log.warning("fill %s exceeds order %s; order left to the venue's report", fill.trade_id, fill.client_order_id)
            return
        await self._apply_order(current.with_fill(fill))

