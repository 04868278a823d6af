"""The update side of the ``OrderManager``: per account, a task reads ``broker.updates()`` (after loading the
account's instruments, balances and positions at attach); one processor persists then publishes everything.

Every change to the order book goes through the processor: the brokers' updates (order, fill, balance,
position, ledger) and the manager's own order reports (``place_order``/``cancel`` acknowledgements,
reconciles, refusals: ``_apply_order``). The processor takes everything that arrived during a turn of the
event loop, of every account, and persists it in ONE store job (``update_batch.persist_batch``: the same
merge rules as one at a time, one executemany per table), then tracks and publishes it in arrival order.
So a venue acknowledgement costs one share of one commit, not five or seven commits, and there is a single
writer of the in-memory book (no interleaving between the submit path and the update stream).
Every update is persisted (committed) before it is published.

A mixin (``OrderUpdates``) so that ``order_manager.py`` stays about submitting and tracking; it uses the
manager's state (``_store``, ``_bus``, ``_brokers``, ``_ready``, ``_tasks``, caches, ``_tracked``/``_track``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from ..brokers.base import (
    BalanceUpdate,
    Broker,
    BrokerUpdate,
    ConnectionUpdate,
    FillUpdate,
    LedgerUpdate,
    OrderUpdate,
    PositionUpdate,
)
from ..core.enums import SessionState
from ..core.events import BalanceEvent, FillEvent, LedgerEvent, OrderEvent, PositionEvent
from ..core.orders import Order
from .retry import retry_read
from .tracking import merge_order
from .update_batch import BALANCE, FILL, LEDGER, ORDER, POSITION, Op, Outcome, persist_batch

log = logging.getLogger(__name__)

Key = tuple[str, str]


class _Item:
    """One entry of the processor's inbox: an op of ``account_id`` (``from_broker``: an update of the
    account's stream, else an ``_apply_order`` call), or a barrier (``op`` None). ``future`` resolves when it
    is persisted and published (to the order as tracked afterwards; None for other ops and barriers)."""

    __slots__ = ("account_id", "op", "future", "from_broker")

    def __init__(self, account_id: str, op: Op | None, future: asyncio.Future[Any], from_broker: bool = False) -> None:
        self.account_id = account_id
        self.op = op
        self.future = future
        self.from_broker = from_broker


def _op_of(update: BrokerUpdate) -> Op | None:
    if isinstance(update, OrderUpdate):
        return Op(ORDER, update.order)
    if isinstance(update, FillUpdate):
        return Op(FILL, update.fill)
    if isinstance(update, BalanceUpdate):
        return Op(BALANCE, update.balance)
    if isinstance(update, PositionUpdate):
        return Op(POSITION, update.position)
    if isinstance(update, LedgerUpdate):
        return Op(LEDGER, update.entry)
    return None


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
    _inbox: list[_Item]
    _pending_keys: dict[tuple[str, str], int]
    _inbox_wake: asyncio.Event | None
    _processor: asyncio.Task[None] | None
    _connection: dict
    _saved_positions: dict
    _derive_positions: frozenset[str]
    derives: Callable[[str, str], bool]
    on_connection: Any
    _spawn: Callable[..., None]
    reconcile: Callable[..., Any]

    _tracked: Callable[[Key], Order | None]
    _track: Callable[[Order], None]

    async def flush(self, account_id: str | None = None) -> None:
        """Wait until the updates the account's broker has emitted so far are persisted and published
        (``Broker.drain_updates``). Gives up after ``settle_timeout_s`` (logged)."""
        for aid in [account_id] if account_id else list(self._brokers):
            await self._settle(aid)

    async def _settle(self, account_id: str) -> None:
        broker = self._brokers.get(account_id)
        if broker is None or account_id not in self._tasks:
            return
        try:
            async with asyncio.timeout(self._settle_timeout):
                await self._ready[account_id].wait()
                await broker.drain_updates()  # the account's task has taken every update emitted so far ...
                await self._submit(account_id, None)  # ... and the processor has persisted and published them
        except TimeoutError:
            log.warning("updates of account %s not settled within %.1f s", account_id, self._settle_timeout)

    # ---- the processor -------------------------------------------------------------------------------
    def _submit(self, account_id: str, op: Op | None, from_broker: bool = False) -> asyncio.Future[Any]:
        """Put an op (or a barrier, ``op`` None) in the processor's inbox; returns its future."""
        future = asyncio.get_running_loop().create_future()
        self._inbox.append(_Item(account_id, op, future, from_broker))
        key = _order_key(op)
        if key is not None:
            self._pending_keys[key] = self._pending_keys.get(key, 0) + 1
        if self._processor is None or self._processor.done():
            self._inbox_wake = asyncio.Event()
            self._processor = asyncio.ensure_future(self._process())
        assert self._inbox_wake is not None
        self._inbox_wake.set()
        return future

    async def _apply_order(self, reported: Order) -> Order:
        """Merge a venue report of one order into the book (persisted, then published if it changed).
        Returns the order as tracked afterwards. Database errors propagate.

        A report that changes nothing of a tracked order with no change of it pending (e.g. the venue's
        acknowledgement after its own order update was recorded) returns at once: nothing to store."""
        key = (reported.account_id, reported.client_order_id)
        current = self._tracked(key)
        if current is not None and key not in self._pending_keys:
            merged, changed = merge_order(current, reported)
            if not changed:
                return merged
        return await self._submit(reported.account_id, Op(ORDER, reported))

    async def _process(self) -> None:
        wake = self._inbox_wake
        assert wake is not None
        try:
            while True:
                await wake.wait()
                wake.clear()
                items, self._inbox = self._inbox, []
                if items:
                    try:
                        await self._process_batch(items)
                    finally:
                        self._done_with(items)
        finally:
            for item in self._inbox:  # closing: nobody will process these any more
                item.future.cancel()

    async def _process_batch(self, items: list[_Item]) -> None:
        # updates of an account detached meanwhile are dropped with its account (as its stream was)
        work = [i for i in items if i.op is not None and (not i.from_broker or i.account_id in self._brokers)]
        try:
            outcomes = await self._persist(work)
        except asyncio.CancelledError:
            for item in items:
                item.future.cancel()
            raise
        except Exception as exc:  # noqa: BLE001
            if len(work) > 1:  # isolate the failing item: each one again on its own
                log.warning("a batch of %d order-book updates failed (%s); retrying them one by one", len(work), exc)
                for item in items:
                    await self._process_batch([item])
                return
            for item in work:
                if item.from_broker:
                    log.error("update %s of account %s failed", item.op.kind, item.account_id, exc_info=exc)
                _settle_future(item.future, exc)
            for item in items:
                _settle_future(item.future, None)
            return
        for item, outcome in zip(work, outcomes):
            self._publish(outcome)
            _settle_future(item.future, outcome.order)
        for item in items:  # barriers and dropped updates
            _settle_future(item.future, None)

    def _done_with(self, items: list[_Item]) -> None:
        """Items left the processor (done, failed or dropped): their orders have no pending change any more."""
        for item in items:
            key = _order_key(item.op)
            if key is not None:
                left = self._pending_keys.get(key, 0) - 1
                if left > 0:
                    self._pending_keys[key] = left
                else:
                    self._pending_keys.pop(key, None)

    async def _persist(self, work: list[_Item]) -> list[Outcome]:
        if not work:
            return []
        ops = [i.op for i in work]
        current: dict[Key, Order | None] = {}
        for op in ops:
            if op.kind in (ORDER, FILL):
                key = (op.item.account_id, op.item.client_order_id)
                if key not in current:
                    current[key] = self._tracked(key)
        return await self._store.run(persist_batch, self._store, ops, current, self.derives)

    def _publish(self, outcome: Outcome) -> None:
        kind, value = outcome.op.kind, outcome.op.item
        if kind == ORDER:
            if outcome.changed:
                self._track(outcome.order)
                self._bus.publish(OrderEvent(outcome.order))
        elif kind == FILL:
            if outcome.stored:
                self._bus.publish(FillEvent(value))
            if outcome.position is not None:
                self._positions[(outcome.position.account_id, outcome.position.symbol)] = outcome.position
                self._bus.publish(PositionEvent(outcome.position))
            if outcome.changed:
                self._track(outcome.order)
                self._bus.publish(OrderEvent(outcome.order))
        elif kind == BALANCE:
            self._balances[(value.account_id, value.currency)] = value
            self._bus.publish(BalanceEvent(value))
        elif kind == POSITION:
            self._positions[(value.account_id, value.symbol)] = value
            self._bus.publish(PositionEvent(value))
        elif kind == LEDGER and outcome.stored:
            self._bus.publish(LedgerEvent(value))

    # ---- per account ---------------------------------------------------------------------------------
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
                if isinstance(update, ConnectionUpdate):
                    self._on_connection_update(account_id, update)
                    continue
                op = _op_of(update)
                if op is None:
                    log.warning("unknown broker update %r", update)
                    continue
                self._submit(account_id, op, from_broker=True).add_done_callback(_quiet)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001
            log.exception("update stream of account %s ended with an error", account_id)

    def _on_connection_update(self, account_id: str, update: ConnectionUpdate) -> None:
        """Record the adapter's connection state (orders are refused unless CONNECTED), tell the account
        service, and reconcile the account when it is back after a drop."""
        before = self._connection.get(account_id, SessionState.CONNECTED)
        self._connection[account_id] = update.state
        if update.state is not SessionState.CONNECTED:
            log.warning("account %s: %s%s", account_id, update.state.value.lower(),
                        f" ({update.reason})" if update.reason else "")
        if self.on_connection is not None:
            try:
                self.on_connection(account_id, update)
            except Exception:  # noqa: BLE001 - a listener never stops the stream
                log.exception("connection listener of account %s failed", account_id)
        if update.state is SessionState.CONNECTED and before is not SessionState.CONNECTED:
            log.info("account %s reconnected: reconciling", account_id)
            self._spawn(self.reconcile([account_id], wait=False))

    async def _load_instruments(self, account_id: str, broker: Broker) -> None:
        insts = await retry_read(broker.instruments, attempts=self._read_attempts, multiplier=self._read_backoff)
        self._instruments[account_id] = {i.symbol: i for i in insts}

    async def _load_state(self, account_id: str, broker: Broker) -> None:
        """Load the venue's balances and positions into the book (saved, published); for a venue that reports
        no positions (they are derived from its fills) the journal's saved positions are the book. The positions
        saved before are kept aside for the start-up position check (``reconcile.py``) when the account has any."""
        saved = await self._store.run(self._store.positions.list, account_id, include_flat=True)
        if saved:
            self._saved_positions[account_id] = saved
        opts = dict(attempts=self._read_attempts, multiplier=self._read_backoff)
        balances = await retry_read(broker.balances, **opts)
        if broker.capabilities.position_updates:
            positions = await retry_read(broker.positions, **opts)
            if broker.capabilities.spot_positions_derived:  # a unified account: its spot holdings from the journal
                reported = {p.symbol for p in positions}
                positions += [p for p in saved if p.quantity and p.symbol not in reported
                              and self.derives(account_id, p.symbol)]
        else:  # positions derived from fills (a spot venue reports none): the journal's are the book
            positions = [p for p in saved if p.quantity]
        ops = [Op(BALANCE, b) for b in balances] + [Op(POSITION, p) for p in positions]
        await asyncio.gather(*(self._submit(account_id, op) for op in ops))


def _order_key(op: Op | None) -> tuple[str, str] | None:
    """The (account_id, client_order_id) an ORDER or FILL op changes; None for other ops and barriers."""
    if op is None or op.kind not in (ORDER, FILL):
        return None
    return (op.item.account_id, op.item.client_order_id)


def _settle_future(future: asyncio.Future[Any], outcome: Any) -> None:
    """Resolve ``future`` with ``outcome`` (an exception is set as such) unless it is already done."""
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _quiet(future: asyncio.Future[Any]) -> None:
    """Done-callback of a broker update's future: its failure was logged by the processor."""
    if not future.cancelled():
        future.exception()
