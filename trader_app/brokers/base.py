"""The broker contract. Every venue adapter (paper, binance, bybit, upbit, kis, matchtrader) implements it.

One ``Broker`` instance serves one account (``account_id``); venues with many accounts get one instance
each. All methods are coroutines run on the app's single asyncio loop:

- **Never block the loop.** Network I/O is async (httpx/websockets); anything CPU- or disk-heavy goes
  through ``asyncio.to_thread``. Methods are not thread-safe and must only be called on the loop thread.
- **connect()/close()** are idempotent. ``connect`` authenticates and loads instruments; it raises
  ``AuthError`` for bad credentials and ``VenueUnavailable`` when the venue cannot be reached.
- **place_order(request)** sends exactly once with the caller's ``request.client_order_id`` (already
  journalled by the trading layer). It returns the venue's acknowledgement as an ``Order`` (status NEW, or
  FILLED/PARTIALLY_FILLED when the venue fills at once; fills also arrive on ``updates()``). It raises
  ``InvalidOrder``/``InsufficientFunds`` (subclasses of ``OrderRejected``) when the venue refuses,
  ``RateLimited(retry_after)``, ``AuthError`` or ``VenueUnavailable``. It is **never retried** by the adapter:
  after a timeout the caller reconciles with ``query_order(client_order_id)``.
- **cancel_order / cancel_all** return the orders as they are after cancelling; cancelling a final order
  raises ``OrderNotFound`` for an unknown id and returns the order unchanged if it is already final.
- **Reads** (instruments, balances, positions, open_orders, query_order, bar_history) may be retried by
  the caller (tenacity) on ``VenueUnavailable``/``RateLimited``.
- **updates()** is an async iterator of ``BrokerUpdate`` (order status changes, fills, balance, position and
  ledger changes) for this account; it survives reconnects (the adapter resubscribes and reconciles) and
  ends only after ``close()``. A fill is reported with a ``trade_id`` unique for the account, so consumers
  can drop repeats.
- **quotes(symbols)** is an async iterator of ``Quote`` for the symbols; it also survives reconnects.
- **capabilities** declares what the venue supports instead of failing at run time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol, Union, runtime_checkable

from ..core.enums import Interval, OrderType, Side, TimeInForce
from ..core.instrument import Instrument
from ..core.market_data import Bar, Quote
from ..core.orders import Fill, Order, OrderRequest
from ..core.portfolio import Balance, LedgerEntry, Position


@dataclass(frozen=True, slots=True)
class BrokerCapabilities:
    """What an adapter supports. The executor checks these before building orders."""

    order_types: frozenset[OrderType] = frozenset(OrderType)
    time_in_force: frozenset[TimeInForce] = frozenset(TimeInForce)
    reduce_only: bool = False
    short_selling: bool = False
    quote_stream: bool = True
    order_stream: bool = True
    bar_history: bool = True
    intervals: tuple[Interval, ...] = tuple(Interval)


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    order: Order


@dataclass(frozen=True, slots=True)
class FillUpdate:
    fill: Fill


@dataclass(frozen=True, slots=True)
class BalanceUpdate:
    balance: Balance


@dataclass(frozen=True, slots=True)
class PositionUpdate:
    position: Position


@dataclass(frozen=True, slots=True)
class LedgerUpdate:
    entry: LedgerEntry


BrokerUpdate = Union[OrderUpdate, FillUpdate, BalanceUpdate, PositionUpdate, LedgerUpdate]


@runtime_checkable
class Broker(Protocol):
    """The adapter contract (see the module docstring for the rules every method follows)."""

    venue: str
    account_id: str
    capabilities: BrokerCapabilities

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def instruments(self) -> list[Instrument]: ...

    async def balances(self) -> list[Balance]: ...

    async def positions(self) -> list[Position]: ...

    async def open_orders(self, symbol: str | None = None) -> list[Order]: ...

    async def place_order(self, request: OrderRequest) -> Order: ...

    async def cancel_order(self, client_order_id: str) -> Order: ...

    async def cancel_all(self, symbol: str | None = None, side: Side | None = None) -> list[Order]: ...

    async def query_order(self, client_order_id: str) -> Order | None: ...

    async def bar_history(self, symbol: str, interval: Interval, start_ms: int, end_ms: int) -> list[Bar]: ...

    def quotes(self, symbols: list[str]) -> AsyncIterator[Quote]: ...

    def updates(self) -> AsyncIterator[BrokerUpdate]: ...


async def queued_updates(queue: asyncio.Queue, end: object) -> AsyncIterator[BrokerUpdate]:
    """The ``updates()`` stream of an adapter that queues its updates: yields the items of ``queue`` in
    order until it takes ``end`` (the adapter puts it on close). Each item is marked done (``task_done``)
    only when the consumer asks for the next one, so ``await queue.join()`` waits until the consumer has
    finished every update emitted so far (``drain_updates``). One consumer at a time."""
    while True:
        item = await queue.get()
        try:
            if item is end:
                return
            yield item
        finally:
            queue.task_done()


@dataclass
class BrokerRegistry:
    """Maps a broker name ("paper", ...) to a factory ``(account, **deps) -> Broker``."""

    factories: dict[str, object] = field(default_factory=dict)

    def register(self, name: str, factory: object) -> None:
        self.factories[name] = factory

    def names(self) -> list[str]:
        return sorted(self.factories)
