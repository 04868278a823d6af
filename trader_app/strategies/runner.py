"""The live strategy runner: strategy instances bound to a strategy group, symbols and a bar interval.

- Each configured instance (``store.strategy_instances``: name, strategy, group, symbols, interval, params,
  state, running) gets one ``Strategy`` object per symbol. Closed ``BarEvent``s of its symbols and
  interval go, in order, through the instance's own queue: the bar joins a rolling window, the strategy's
  indicators are recomputed over the window and ``on_bar`` runs at the last bar.
- The actions become one ``Signal`` (source STRATEGY) per decision, sent with ``executor.execute`` to the
  group's linked accounts (see :mod:`trader_app.strategies.live` for the sizing). The strategy's book
  changes only when at least one account accepted the orders.
- ``on_fill`` gets the fills of the instance's orders (matched through ``OrderEvent.order.signal_id``);
  opening fills set the book's entry price. Strategies with ``schedules(venue)`` (``weekly``) run their
  jobs with APScheduler in the venue's time zone.
- State (book, strategy state fields such as the trailing-stop high, parameters) is saved after every
  decision and restored at start-up; instances that were running start again.
- An exception raised by a strategy stops that instance only: ``running`` false, the error in its state
  and in a ``StrategyStateEvent``; the app and the other instances carry on.

Construct with the app's services (``StrategyRunner(services)``: uses ``store``, ``bus``, ``executor``,
``market``, ``portfolio``), or with keyword arguments in tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..core.enums import Interval, MarketType, SignalSource
from ..core.errors import ConfigError, TraderError
from ..core.events import BarEvent, FillEvent, OrderEvent, QuoteEvent, StrategyStateEvent
from ..core.groups import StrategyInstanceRecord
from ..core.ids import new_id, now_ms
from ..execution.signal import Signal, SignalOrder
from .base import FillInfo, Strategy
from .instance import LiveInstance, SymbolSlot, outcome_accepted, outcome_summary
from .live import LiveContext
from .registry import create, strategy_class
from .scheduling import StrategyJobs

log = logging.getLogger(__name__)

ALLOCATION_TTL_S = 30.0


class StrategyRunner:
    """Runs the configured strategy instances live. ``await start()`` / ``await stop()``."""

    def __init__(self, services: Any = None, *, store: Any = None, bus: Any = None, executor: Any = None,
                 market: Any = None, portfolio: Any = None, clock: Callable[[], int] = now_ms) -> None:
        self.store = store if store is not None else getattr(services, "store", None)
        self.bus = bus if bus is not None else getattr(services, "bus", None)
        self.executor = executor if executor is not None else getattr(services, "executor", None)
        self.market = market if market is not None else getattr(services, "market", None)
        self.portfolio = portfolio if portfolio is not None else getattr(services, "portfolio", None)
        if self.store is None or self.bus is None or self.executor is None:
            raise TypeError("StrategyRunner needs a store, a bus and an executor")
        self.clock = clock
        self._instances: dict[str, LiveInstance] = {}
        self._by_series: dict[tuple[str, Interval], list[LiveInstance]] = {}
        self._tick_slots: dict[str, list[tuple[LiveInstance, SymbolSlot]]] = {}
        self._signals: dict[str, tuple[LiveInstance, str]] = {}  # signal_id -> (instance, symbol)
        self._orders: dict[str, tuple[LiveInstance, str, str]] = {}  # client_order_id -> (inst, symbol, signal)
        self._alloc_cache: dict[tuple[str, str], tuple[float, float | None]] = {}
        self._unsubscribe: list[Callable[[], None]] = []
        self._jobs = StrategyJobs()
        self.started = False

    # ---- life cycle -----------------------------------------------------------------------------------
    async def start(self) -> None:
        """Subscribe to bars, orders, fills (and quotes for strategies with ``on_tick``); start every
        stored instance whose ``running`` flag is set. Idempotent."""
        if self.started:
            return
        self.started = True
        self._unsubscribe = [
            self.bus.subscribe(BarEvent, self._on_bar_event),
            self.bus.subscribe(OrderEvent, self._on_order_event),
            self.bus.subscribe(FillEvent, self._on_fill_event),
            self.bus.subscribe(QuoteEvent, self._on_quote_event),
        ]
        for record in await self.store.run(self.store.strategy_instances.list):
            if record.running:
                try:
                    await self._start(record)
                except Exception as exc:  # noqa: BLE001 - one bad instance never stops the others
                    await self._fail_record(record, exc)

    async def stop(self) -> None:
        """Stop every instance (their ``running`` flags stay as they are, so they start again next time)."""
        for inst in list(self._instances.values()):
            await self._halt(inst)
        for unsub in self._unsubscribe:
            unsub()
        self._unsubscribe.clear()
        self._jobs.shutdown()
        self.started = False

    # ---- configuration (used by the Strategies panel and the REST API) -----------------------------
    async def add(self, name: str, strategy: str, group_name: str, symbols: Sequence[str], interval: Interval,
                  params: Mapping[str, Any] | None = None) -> StrategyInstanceRecord:
        """Configure a new instance (not started). Raises ``ConfigError`` for a taken or empty name, an
        unknown strategy, bad parameters, no symbols or an unknown strategy group."""
        name = name.strip()
        if not name:
            raise ConfigError("a strategy instance needs a name")
        if await self.store.run(self.store.strategy_instances.get, name) is not None:
            raise ConfigError(f"a strategy instance named {name!r} exists already")
        syms = tuple(dict.fromkeys(s.strip() for s in symbols if s.strip()))
        if not syms:
            raise ConfigError("a strategy instance needs at least one symbol")
        checked = create(strategy, params).p.as_dict()  # validates
        if await self.store.run(self.store.groups.get, group_name) is None:
            raise ConfigError(f"unknown strategy group {group_name!r}")
        if self.market is not None:
            for s in syms:
                self.market.instrument(s)  # UnknownSymbol
        record = StrategyInstanceRecord(name, strategy, group_name, syms, Interval(interval), checked, {}, False)
        await self.store.run(self.store.strategy_instances.save, record)
        return record

    async def update_params(self, name: str, params: Mapping[str, Any]) -> StrategyInstanceRecord:
        """Change a stopped instance's parameters (validated). Raises ``ConfigError``."""
        record = await self._record(name)
        if name in self._instances:
            raise ConfigError(f"stop {name!r} before changing its parameters")
        checked = create(record.strategy, {**record.params, **params}).p.as_dict()
        record = replace(record, params=checked)
        await self.store.run(self.store.strategy_instances.save, record)
        return record

    async def remove(self, name: str) -> None:
        """Stop and delete an instance."""
        if name in self._instances:
            await self._halt(self._instances[name])
        await self.store.run(self.store.strategy_instances.delete, name)

    async def start_instance(self, name: str) -> None:
        """Start a configured instance (persists ``running``). Raises ``ConfigError``/``TraderError``."""
        record = await self._record(name)
        if name in self._instances:
            return
        await self._start(record)

    async def stop_instance(self, name: str) -> None:
        """Stop an instance and persist ``running = False``."""
        inst = self._instances.get(name)
        if inst is not None:
            await self._halt(inst)
            await self._save(inst, running=False)
            self._publish(inst, running=False)
            return
        record = await self._record(name)
        await self.store.run(self.store.strategy_instances.save, replace(record, running=False))

    def running(self) -> list[str]:
        """Names of the running instances."""
        return sorted(self._instances)

    def state(self, name: str) -> dict[str, Any] | None:
        """The visible state of a running instance (what ``StrategyStateEvent.state`` carries)."""
        inst = self._instances.get(name)
        return inst.visible_state() if inst else None

    # ---- starting and stopping ------------------------------------------------------------------------
    async def _record(self, name: str) -> StrategyInstanceRecord:
        record = await self.store.run(self.store.strategy_instances.get, name)
        if record is None:
            raise ConfigError(f"no strategy instance named {name!r}")
        return record

    async def _start(self, record: StrategyInstanceRecord) -> None:
        group = await self.store.run(self.store.groups.get, record.group_name)
        if group is None:
            raise ConfigError(f"strategy group {record.group_name!r} does not exist")
        strategy_class(record.strategy)
        inst = LiveInstance(record, group.market_type)
        for symbol in record.symbols:
            strat = create(record.strategy, record.params)
            slot = inst.add_symbol(symbol, strat)
            for bar in await self._history(symbol, record.interval, slot.window.size):
                slot.window.add(bar)
            if len(slot.window):
                slot.bind(LiveContext(symbol, inst.market_type, slot.book, slot.last_price, None))
            strat.on_start()
            if type(strat).on_tick is not Strategy.on_tick:
                self._tick_slots.setdefault(symbol, []).append((inst, slot))
        inst.task = asyncio.ensure_future(self._worker(inst))
        self._instances[inst.name] = inst
        for symbol in record.symbols:
            self._by_series.setdefault((symbol, record.interval), []).append(inst)
        self._schedule(inst)
        await self._save(inst, running=True)
        self._publish(inst, running=True)
        log.info("strategy %s (%s) started on %s %s", inst.name, record.strategy, ",".join(record.symbols),
                 record.interval.value)

    async def _halt(self, inst: LiveInstance) -> None:
        self._instances.pop(inst.name, None)
        for key, lst in list(self._by_series.items()):
            self._by_series[key] = [i for i in lst if i is not inst]
        for sym, lst in list(self._tick_slots.items()):
            self._tick_slots[sym] = [(i, s) for i, s in lst if i is not inst]
        for job in inst.jobs:
            with contextlib.suppress(Exception):
                job.remove()
        inst.jobs.clear()
        task, inst.task = inst.task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for slot in inst.slots.values():
            with contextlib.suppress(Exception):
                slot.strategy.on_stop()

    async def _fail(self, inst: LiveInstance, exc: BaseException) -> None:
        inst.error = f"{type(exc).__name__}: {exc}"
        log.error("strategy %s stopped: %s", inst.name, inst.error, exc_info=exc)
        await self._halt(inst)
        with contextlib.suppress(Exception):
            await self._save(inst, running=False)
        self._publish(inst, running=False)

    async def _fail_record(self, record: StrategyInstanceRecord, exc: BaseException) -> None:
        error = f"{type(exc).__name__}: {exc}"
        log.error("strategy %s could not start: %s", record.name, error)
        state = {**record.state, "error": error}
        with contextlib.suppress(Exception):
            await self.store.run(self.store.strategy_instances.save, replace(record, running=False, state=state))
        self.bus.publish(StrategyStateEvent(record.name, False, error, state))

    async def _history(self, symbol: str, interval: Interval, size: int) -> list[Any]:
        try:
            if self.market is not None and hasattr(self.market, "history"):
                bars = await self.market.history(symbol, interval, limit=size + 1)
            else:
                bars = await self.store.run(self.store.bars.load, symbol, interval, None, None, size)
        except TraderError as exc:
            log.warning("no history for %s %s: %s", symbol, interval.value, exc)
            return []
        return [b for b in bars if b.closed]

    # ---- events ---------------------------------------------------------------------------------------
    def _on_bar_event(self, event: BarEvent) -> None:
        bar = event.bar
        if not bar.closed:
            return
        for inst in self._by_series.get((bar.symbol, bar.interval), ()):
            inst.queue.put_nowait(("bar", bar.symbol, bar))

    def _on_quote_event(self, event: QuoteEvent) -> None:
        if not self._tick_slots:
            return
        for inst, slot in self._tick_slots.get(event.quote.symbol, ()):
            inst.queue.put_nowait(("tick", slot.symbol, event.quote))

    def _on_order_event(self, event: OrderEvent) -> None:
        order = event.order
        if order.signal_id in self._signals and order.client_order_id not in self._orders:
            inst, symbol = self._signals[order.signal_id]
            self._orders[order.client_order_id] = (inst, symbol, order.signal_id)

    def _on_fill_event(self, event: FillEvent) -> None:
        hit = self._orders.get(event.fill.client_order_id)
        if hit is not None and hit[0].name in self._instances:
            hit[0].queue.put_nowait(("fill", hit[1], (event.fill, hit[2])))

    # ---- the instance worker ------------------------------------------------------------------------
    async def drain(self) -> None:
        """Wait until every running instance has handled everything queued so far (tests, shutdown)."""
        for inst in list(self._instances.values()):
            if inst.task is not None and not inst.task.done():
                await inst.queue.join()

    async def _worker(self, inst: LiveInstance) -> None:
        while True:
            kind, symbol, item = await inst.queue.get()
            try:
                await self._handle(inst, kind, symbol, item)
            except asyncio.CancelledError:
                inst.queue.task_done()
                raise
            except Exception as exc:  # noqa: BLE001 - a strategy error stops this instance only
                _drain_queue(inst.queue)
                inst.queue.task_done()
                await self._fail(inst, exc)
                return
            inst.queue.task_done()

    async def _handle(self, inst: LiveInstance, kind: str, symbol: str, item: Any) -> None:
        slot = inst.slots[symbol]
        if kind == "bar":
            if slot.window.add(item):
                await self._decide(inst, slot, lambda s, n: s.on_bar(n - 1))
        elif kind == "tick":
            await self._decide(inst, slot, lambda s, n: s.on_tick(item), rebind=False)
        elif kind == "fill":
            fill, signal_id = item
            if signal_id == slot.book.open_signal and fill.side.sign * slot.book.qty > 0:
                slot.book.on_opening_fill(float(fill.quantity), float(fill.price))
            slot.strategy.on_fill(FillInfo(fill.side, float(fill.quantity), float(fill.price),
                                           float(fill.commission), fill.ts_ms, -1, ""))
            await self._save(inst, running=True)
        elif kind == "job":
            await self._decide(inst, slot, lambda s, n: getattr(s, item)(), rebind=False)

    async def _decide(self, inst: LiveInstance, slot: SymbolSlot, call: Callable[[Strategy, int], None],
                      rebind: bool = True) -> None:
        """Run one decision of ``slot``'s strategy and send what it ordered (nothing before the first bar:
        there is no price to size with)."""
        if not len(slot.window):
            log.warning("strategy %s: no bar of %s yet; decision skipped", inst.name, slot.symbol)
            return
        alloc = await self._allocation(inst, slot.symbol)
        ctx = LiveContext(slot.symbol, inst.market_type, slot.book, slot.last_price, alloc)
        if rebind or slot.strategy.data is None:
            slot.bind(ctx)
        else:
            slot.strategy._ctx = ctx
        call(slot.strategy, len(slot.window))
        if ctx.orders:
            await self._send(inst, slot, ctx)
        await self._save(inst, running=True)
        self._publish(inst, running=True)

    async def _send(self, inst: LiveInstance, slot: SymbolSlot, ctx: LiveContext) -> None:
        ts = self.clock()
        signal_id = new_id("sig")
        payload = {
            "group_name": inst.record.group_name,
            "strategy": inst.name,
            "bar_time_ms": slot.window.last_time_ms,
            "orders": [_order_json(o) for o in ctx.orders],
        }
        signal = Signal(signal_id, inst.record.group_name, tuple(ctx.orders), SignalSource.STRATEGY, ts, payload)
        self._signals[signal_id] = (inst, slot.symbol)
        _trim(self._signals, 10_000)
        _trim(self._orders, 50_000)
        try:
            outcome = await self.executor.execute(signal)
        except Exception as exc:  # noqa: BLE001 - the executor's failure is not the strategy's
            inst.last_signal = {"signal_id": signal_id, "error": f"{type(exc).__name__}: {exc}"}
            log.error("strategy %s: signal %s failed: %s", inst.name, signal_id, exc)
            return
        inst.last_signal = {"signal_id": signal_id, **outcome_summary(outcome)}
        if outcome_accepted(outcome):
            was, book = slot.book, ctx.book
            if book.qty != 0 and (was.qty == 0 or (was.qty > 0) != (book.qty > 0)):
                book.open_signal, book.fill_qty, book.fill_notional = signal_id, 0.0, 0.0
            slot.book = book
        else:
            log.warning("strategy %s: signal %s accepted by no account: %s", inst.name, signal_id,
                        inst.last_signal.get("errors"))

    async def _allocation(self, inst: LiveInstance, symbol: str) -> float | None:
        """Smallest ``equity x weight (x leverage for FUTURES)`` among the group's linked accounts, in the
        symbol's quote currency (cached 30 s); None when unknown."""
        key = (inst.record.group_name, symbol)
        now = time.monotonic()
        hit = self._alloc_cache.get(key)
        if hit and now - hit[0] < ALLOCATION_TTL_S:
            return hit[1]
        value: float | None = None
        try:
            links = await self.store.run(self.store.links.list, inst.record.group_name)
            currency = self.market.instrument(symbol).quote if self.market is not None else None
            if links and currency and self.portfolio is not None:
                allocs = []
                for link in links:
                    equity = self.portfolio.equity(link.account_id, currency)
                    lev = link.leverage if inst.market_type is MarketType.FUTURES else 1
                    allocs.append(float(equity * link.weight * lev))
                value = min(allocs) if allocs and min(allocs) > 0 else None
        except Exception as exc:  # noqa: BLE001 - sizing falls back to percent-only orders
            log.warning("strategy %s: allocation of %s unknown: %s", inst.name, symbol, exc)
        self._alloc_cache[key] = (now, value)
        return value

    def _schedule(self, inst: LiveInstance) -> None:
        for symbol, slot in inst.slots.items():
            venue = ""
            if self.market is not None:
                with contextlib.suppress(Exception):
                    venue = self.market.instrument(symbol).venue
            inst.jobs += self._jobs.add(slot.strategy, venue, self._enqueue_job, inst.name, symbol)

    def _enqueue_job(self, name: str, symbol: str, method: str) -> None:
        """APScheduler job: queue the strategy's scheduled method (runs in the instance's worker)."""
        inst = self._instances.get(name)
        if inst is not None:
            inst.queue.put_nowait(("job", symbol, method))

    # ---- persistence and events -----------------------------------------------------------------------
    async def _save(self, inst: LiveInstance, running: bool) -> None:
        record = replace(inst.record, running=running, state=inst.persisted_state())
        inst.record = record
        await self.store.run(self.store.strategy_instances.save, record)

    def _publish(self, inst: LiveInstance, running: bool) -> None:
        self.bus.publish(StrategyStateEvent(inst.name, running, inst.error, inst.visible_state()))


def _order_json(o: SignalOrder) -> dict[str, Any]:
    out: dict[str, Any] = {"symbol": o.symbol, "order_type": o.order_type.value}
    if o.side is not None:
        out["side"] = o.side.value.lower()
    for key in ("qty_per", "price", "stop_price"):
        v = getattr(o, key)
        if v is not None:
            out[key] = format(v, "f")
    return out


def _drain_queue(queue: asyncio.Queue[Any]) -> None:
    while not queue.empty():
        queue.get_nowait()
        queue.task_done()


def _trim(d: dict[Any, Any], limit: int) -> None:
    while len(d) > limit:
        d.pop(next(iter(d)))
