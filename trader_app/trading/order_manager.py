"""``OrderManager``: the one path of every order (DESIGN.md "The one path of an order").

validate -> instrument -> round to tick/lot -> minimums -> risk -> JOURNAL (PENDING_SUBMIT, saved, OrderEvent)
-> ``broker.place_order`` (never retried) -> track the venue's reports (order state machine, fills by trade
id) -> persist (store worker thread) -> publish on the bus.

The journal writes of one turn of the event loop (a fan-out's orders start together) go to the store as one
job and one commit; each order is sent only after that commit. One consumer task per attached account reads
``broker.updates()``; one processor (``order_updates.py``) persists every change of the book (the brokers'
updates and the manager's own order reports) in one store job per loop turn, and publishes it only after
the commit. Reads from the venue (instruments, balances, positions, query_order) are retried with jittered
backoff on ``VenueUnavailable``/``RateLimited`` (``retry.py``). Everything runs on the event loop thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..brokers.base import Broker
from ..core.bus import EventBus
from ..core.enums import OrderStatus, Side
from ..core.errors import AuthError, InvalidOrder, OrderRejected, RateLimited, TraderError, UnknownSymbol, VenueUnavailable
from ..core.events import OrderEvent, QuoteEvent
from ..core.ids import now_ms
from ..core.instrument import Instrument
from ..core.market_data import Quote
from ..core.money import ZERO
from ..core.orders import Order, OrderRequest
from ..core.portfolio import Balance, Position
from .order_updates import OrderUpdates
from .retry import RETRYABLE, retry_read
from .risk.pipeline import RiskContext, RiskPipeline
from .tracking import ByAccount, check_min_notional, reference_price, round_request

log = logging.getLogger(__name__)

Key = tuple[str, str]
_RECENT_FINAL = 5000


class OrderManager(OrderUpdates):
    """Submits, tracks and reconciles orders of every attached account.

    ``store``: the ``Store`` (repositories called through ``store.run``); ``bus``: the ``EventBus``;
    ``risk``: pre-trade checks (None = none); ``clock``: epoch ms UTC; ``submit_timeout_s``: how long
    ``place_order`` may take before the order is left PENDING_SUBMIT and reconciled; ``read_attempts`` /
    ``read_backoff_s``: retry policy of venue reads; ``equity``: ``(account_id, currency) -> Decimal`` for
    the risk context (default: the cash total of that currency); ``settle_timeout_s``: how long ``submit``,
    ``cancel`` and ``flush`` wait for the broker's own updates to be recorded (brokers with ``drain_updates``).

    ``submit``/``cancel``/``cancel_all`` return once the venue's immediate consequences (fills, ledger rows,
    balances, positions) are persisted and published, so callers see a consistent book.
    """

    def __init__(
        self,
        store: Any,
        bus: EventBus,
        risk: RiskPipeline | None = None,
        clock: Callable[[], int] = now_ms,
        *,
        submit_timeout_s: float = 10.0,
        read_attempts: int = 4,
        read_backoff_s: float = 0.1,
        equity: Callable[[str, str], Decimal] | None = None,
        settle_timeout_s: float = 5.0,
    ) -> None:
        self._store = store
        self._bus = bus
        self.risk = risk
        self._clock = clock
        self._submit_timeout = submit_timeout_s
        self._read_attempts = read_attempts
        self._read_backoff = read_backoff_s
        self._equity = equity
        self._settle_timeout = settle_timeout_s
        self._brokers: dict[str, Broker] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._ready: dict[str, asyncio.Event] = {}
        self._instruments: dict[str, dict[str, Instrument]] = {}
        self._orders: ByAccount[Order] = ByAccount()  # the open ones
        self._final: OrderedDict[Key, Order] = OrderedDict()
        self._positions: ByAccount[Position] = ByAccount()
        self._balances: dict[Key, Balance] = {}
        self._quotes: dict[str, Quote] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._journal_batch: list[tuple[Order, asyncio.Future[bool]]] | None = None
        self._inbox: list[Any] = []  # the update processor's (order_updates.py)
        self._pending_keys: dict[Key, int] = {}
        self._inbox_wake: asyncio.Event | None = None
        self._processor: asyncio.Task[None] | None = None
        self._unsub = bus.subscribe(QuoteEvent, self._on_quote)

    # ---- accounts ----------------------------------------------------------------------------------
    def attach(self, account_id: str, broker: Broker) -> None:
        """Start tracking ``broker`` (already connected): load its instruments, balances and positions (saved
        and published), then consume ``broker.updates()``. Raises ``TraderError`` if already attached."""
        if account_id in self._brokers:
            raise TraderError(f"account {account_id} is already attached")
        if broker.account_id != account_id:
            raise TraderError(f"broker of account {broker.account_id} attached as {account_id}")
        self._brokers[account_id] = broker
        ready = self._ready[account_id] = asyncio.Event()
        self._tasks[account_id] = asyncio.ensure_future(self._run(account_id, broker, ready))

    async def detach(self, account_id: str) -> None:
        """Stop consuming the account's updates and forget its in-memory state (the store keeps it)."""
        task = self._tasks.pop(account_id, None)
        self._brokers.pop(account_id, None)
        self._ready.pop(account_id, None)
        self._instruments.pop(account_id, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for store in (self._orders, self._final, self._positions, self._balances):
            for key in [k for k in store if k[0] == account_id]:
                del store[key]

    async def close(self) -> None:
        """Detach every account and stop background reconciles."""
        for account_id in list(self._brokers):
            await self.detach(account_id)
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if self._processor is not None:
            self._processor.cancel()
            await asyncio.gather(self._processor, return_exceptions=True)
        self._unsub()

    def broker(self, account_id: str) -> Broker:
        """The attached broker of ``account_id``. Raises ``TraderError`` if not attached."""
        try:
            return self._brokers[account_id]
        except KeyError:
            raise TraderError(f"account {account_id} is not connected") from None

    def account_ids(self) -> list[str]:
        return sorted(self._brokers)

    async def ready(self, account_id: str) -> None:
        """Wait until the account's start-up load (instruments, balances, positions) has finished."""
        self.broker(account_id)
        await self._ready[account_id].wait()

    def set_equity_source(self, equity: Callable[[str, str], Decimal] | None) -> None:
        """Use ``equity(account_id, currency)`` for ``RiskContext.equity`` (e.g. ``PortfolioService.equity``)."""
        self._equity = equity

    def instrument(self, account_id: str, symbol: str) -> Instrument:
        """The instrument of ``symbol`` on the account's venue (cached at attach). Raises ``UnknownSymbol``."""
        inst = self._instruments.get(account_id, {}).get(symbol)
        if inst is None:
            raise UnknownSymbol(symbol, getattr(self._brokers.get(account_id), "venue", ""))
        return inst

    def instruments(self, account_id: str) -> list[Instrument]:
        return [v for _, v in sorted(self._instruments.get(account_id, {}).items())]

    # ---- queries -----------------------------------------------------------------------------------
    def open_orders(self, account_id: str | None = None) -> list[Order]:
        """In-memory open orders (PENDING_SUBMIT, NEW, PARTIALLY_FILLED), oldest first."""
        orders = self._orders.values() if account_id is None else self._orders.of(account_id).values()
        return sorted((o for o in orders if o.is_open), key=lambda o: (o.created_ms, o.client_order_id))

    def order(self, account_id: str, client_order_id: str) -> Order | None:
        """The tracked order (open, or recently final), None if not in memory."""
        key = (account_id, client_order_id)
        return self._orders.get(key) or self._final.get(key)

    def position(self, account_id: str, symbol: str) -> Position | None:
        return self._positions.get((account_id, symbol))

    def positions(self, account_id: str) -> list[Position]:
        """The account's non-flat positions as its venue last reported them, sorted by symbol."""
        held = self._positions.of(account_id)
        return [p for _, p in sorted(held.items()) if p.quantity != 0]

    def balance(self, account_id: str, currency: str) -> Balance | None:
        return self._balances.get((account_id, currency))

    def last_quote(self, symbol: str) -> Quote | None:
        return self._quotes.get(symbol)

    # ---- submit ------------------------------------------------------------------------------------
    async def submit(self, request: OrderRequest) -> Order:
        """Send one order through the whole path and return it as tracked.

        Raises before the journal (nothing changes): ``InvalidOrder`` (bad request, rounds to 0, below
        minimums, duplicate client order id), ``UnknownSymbol``, ``TraderError`` (account not connected),
        ``RiskRejected``. After the journal: a venue refusal returns the order REJECTED with ``reject_reason``;
        a timeout or ``VenueUnavailable`` returns it PENDING_SUBMIT and reconciles it in the background.
        """
        request.validate()
        account_id = request.account_id
        broker = self.broker(account_id)
        await self._ready[account_id].wait()
        inst = await self._instrument_for(account_id, request.symbol)
        request = round_request(request, inst)
        ref = reference_price(request, self._quotes.get(request.symbol))
        check_min_notional(request, inst, ref)
        if self.risk is not None:
            self.risk.check(request, self._risk_context(request, inst, ref))
        key = (account_id, request.client_order_id)
        if key in self._orders or key in self._final:
            raise InvalidOrder(f"duplicate client order id {request.client_order_id}")
        order = Order.from_request(request, self._clock())
        self._orders[key] = order  # claims the id while the journal is written
        try:
            created = await self._journal(order)
        except BaseException:
            self._orders.pop(key, None)
            raise
        if not created:
            self._orders.pop(key, None)
            raise InvalidOrder(f"duplicate client order id {request.client_order_id}")
        self._bus.publish(OrderEvent(order))
        try:
            async with asyncio.timeout(self._submit_timeout):  # no extra task per order (unlike wait_for)
                ack = await broker.place_order(request)
        except OrderRejected as exc:
            return await self._refuse(key, exc.reason)
        except (RateLimited, AuthError) as exc:  # the venue refused to take it: nothing was placed
            return await self._refuse(key, str(exc))
        except (asyncio.TimeoutError, VenueUnavailable) as exc:
            log.warning("order %s not acknowledged (%s); reconciling by client order id", request.client_order_id, exc)
            self._spawn(self._reconcile_one(account_id, request.client_order_id))
            return self._tracked(key) or order
        except Exception:  # noqa: BLE001 - unknown outcome: never resend, reconcile instead
            log.exception("place_order of %s failed; reconciling by client order id", request.client_order_id)
            self._spawn(self._reconcile_one(account_id, request.client_order_id))
            return self._tracked(key) or order
        await self._settle(account_id)  # the venue's own reports (fills, balances, positions) go first
        return await self._apply_order(ack)

    def _journal(self, order: Order) -> asyncio.Future[bool]:
        """Journal ``order`` with every other order journalled during this turn of the loop (a fan-out's
        orders all start in one turn): ONE store job, ``orders.insert_new_many``. The future resolves once
        that job is COMMITTED: True if journalled, False if the client order id was already in the journal;
        the job's exception if it failed (then nothing of the batch was journalled)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        if self._journal_batch is None:
            self._journal_batch = []
            loop.call_soon(self._write_journal)
        self._journal_batch.append((order, future))
        return future

    def _write_journal(self) -> None:
        batch, self._journal_batch = self._journal_batch or [], None
        job = asyncio.ensure_future(self._store.run(self._store.orders.insert_new_many, [o for o, _ in batch]))

        def answer(done: asyncio.Future[list[bool]]) -> None:
            error = None if done.cancelled() else done.exception()
            for i, (_, future) in enumerate(batch):
                if future.done():
                    continue
                if done.cancelled():
                    future.cancel()
                elif error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(done.result()[i])

        job.add_done_callback(answer)

    async def _refuse(self, key: Key, reason: str) -> Order:
        current = self._tracked(key)
        assert current is not None
        if current.status.is_final:
            return current
        return await self._apply_order(current.with_status(OrderStatus.REJECTED, self._clock(), reason=reason))

    async def _instrument_for(self, account_id: str, symbol: str) -> Instrument:
        try:
            return self.instrument(account_id, symbol)
        except UnknownSymbol:
            await self._load_instruments(account_id, self._brokers[account_id])
            return self.instrument(account_id, symbol)

    def _risk_context(self, request: OrderRequest, inst: Instrument, ref: Decimal) -> RiskContext:
        account_id = request.account_id
        if self._equity is not None:
            equity = self._equity(account_id, inst.quote)
        else:
            bal = self._balances.get((account_id, inst.quote))
            equity = bal.total if bal else ZERO
        return RiskContext(
            account_id=account_id,
            instrument=inst,
            reference_price=ref,
            position=self._positions.get((account_id, request.symbol)),
            open_orders=self.open_orders(account_id),
            equity=equity,
            now_ms=self._clock(),
        )

    # ---- cancel ------------------------------------------------------------------------------------
    async def cancel(self, account_id: str, client_order_id: str) -> Order:
        """Cancel one order at the venue and track the result. Raises ``OrderNotFound`` if the venue does
        not know it, ``TraderError`` if the account is not connected. Never retried."""
        order = await self.broker(account_id).cancel_order(client_order_id)
        await self._settle(account_id)
        return await self._apply_order(order)

    async def cancel_all(self, account_id: str, symbol: str | None = None, side: Side | None = None) -> list[Order]:
        """Cancel the account's open orders (optionally of ``symbol`` and/or ``side``); returns them as tracked."""
        cancelled = await self.broker(account_id).cancel_all(symbol, side)
        await self._settle(account_id)
        return [await self._apply_order(o) for o in cancelled]

    # ---- reconcile ---------------------------------------------------------------------------------
    async def reconcile(self) -> int:
        """Query every journalled non-final order of every attached account by its client order id and apply
        the venue's answer (an order the venue never received becomes REJECTED; an open one it no longer
        knows, EXPIRED). Returns the number of orders queried. Reads are retried; an account whose venue
        stays unavailable keeps its orders as they are."""
        await asyncio.gather(*self._background, return_exceptions=True)  # reconciles already under way
        count = 0
        for account_id in list(self._brokers):
            await self.ready(account_id)
            journal = await self._store.run(self._store.orders.list, account_id=account_id, open_only=True)
            for order in journal:
                if order.status.is_final:
                    continue
                key = (account_id, order.client_order_id)
                if self._tracked(key) is None:
                    self._orders[key] = order
                if await self._reconcile_one(account_id, order.client_order_id):
                    count += 1
        return count

    async def _reconcile_one(self, account_id: str, client_order_id: str) -> bool:
        broker = self._brokers.get(account_id)
        if broker is None:
            return False
        try:
            venue = await retry_read(broker.query_order, client_order_id, attempts=self._read_attempts,
                                     multiplier=self._read_backoff)
        except RETRYABLE as exc:
            log.warning("reconcile of %s deferred: %s", client_order_id, exc)
            return False
        key = (account_id, client_order_id)
        current = await self._lookup(key)
        if venue is not None:
            await self._apply_order(venue)
        elif current is not None and not current.status.is_final:
            if current.status is OrderStatus.PENDING_SUBMIT:
                new = current.with_status(OrderStatus.REJECTED, self._clock(), reason="not received by the venue (reconciled)")
            else:
                new = current.with_status(OrderStatus.EXPIRED, self._clock(), reason="no longer known to the venue (reconciled)")
            await self._apply_order(new)
        return True

    # ---- in-memory tracking ------------------------------------------------------------------------
    def _tracked(self, key: Key) -> Order | None:
        return self._orders.get(key) or self._final.get(key)

    async def _lookup(self, key: Key) -> Order | None:
        order = self._tracked(key)
        if order is None:
            order = await self._store.run(self._store.orders.get, key[0], key[1])
        return order

    def _track(self, order: Order) -> None:
        key = (order.account_id, order.client_order_id)
        if order.is_open:
            self._orders[key] = order
            return
        self._orders.pop(key, None)
        self._final[key] = order
        self._final.move_to_end(key)
        while len(self._final) > _RECENT_FINAL:
            self._final.popitem(last=False)

    def _on_quote(self, event: QuoteEvent) -> None:
        self._quotes[event.quote.symbol] = event.quote

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
