"""``OrderManager``: the one path of every order (DESIGN.md "The one path of an order").

validate -> instrument -> round to tick/lot -> minimums -> risk -> JOURNAL (PENDING_SUBMIT, saved, OrderEvent)
-> ``broker.place_order`` (never retried) -> track the venue's reports (order state machine, fills by trade
id) -> persist (store worker thread) -> publish on the bus. A send whose outcome is unknown (timeout, lost
connection, the venue's own "status unknown", a duplicate client order id) leaves the order UNKNOWN and
resolves it by asking the venue (``reconcile.py``), never by sending again.

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

from ..brokers.base import Broker, ConnectionUpdate, check_capabilities
from ..core.bus import EventBus
from ..core.enums import MarketType, OrderStatus, SessionState, Side
from ..core.errors import (
    AuthError,
    DuplicateClientOrderId,
    InvalidOrder,
    OrderRejected,
    OrderStateUnknown,
    RateLimited,
    StoreUnavailable,
    TraderError,
    UnknownSymbol,
    VenueUnavailable,
)
from ..core.events import OrderEvent, QuoteEvent
from ..core.ids import now_ms
from ..core.instrument import Instrument
from ..core.market_data import Quote
from ..core.money import ZERO
from ..core.orders import Order, OrderRequest
from ..core.portfolio import Balance, Position
from .order_updates import OrderUpdates
from .reconcile import PositionMismatch, Reconciliation, ReconcileReport
from .risk.pipeline import RiskContext, RiskPipeline
from .tracking import ByAccount, check_min_notional, reference_price, round_request

log = logging.getLogger(__name__)

Key = tuple[str, str]
_RECENT_FINAL = 5000

__all__ = ["OrderManager", "PositionMismatch", "ReconcileReport"]


class OrderManager(OrderUpdates, Reconciliation):
    """Submits, tracks and reconciles orders of every attached account.

    ``store``: the ``Store`` (repositories called through ``store.run``); ``bus``: the ``EventBus``;
    ``risk``: pre-trade checks (None = none); ``clock``: epoch ms UTC; ``submit_timeout_s``: how long
    ``place_order`` may take before the order is left PENDING_SUBMIT and reconciled; ``read_attempts`` /
    ``read_backoff_s``: retry policy of venue reads; ``equity``: ``(account_id, currency) -> Decimal`` for
    the risk context (default: the cash total of that currency); ``settle_timeout_s``: how long ``submit``,
    ``cancel`` and ``flush`` wait for the broker's own updates to be recorded (``drain_updates``).
    Reconciliation (``reconcile.py``): ``not_found_answers`` "not found" answers over at least
    ``not_found_grace_s`` seconds declare an order lost; ``resolve_max_s``: how long one order is asked about
    before it is left for the next reconcile; ``reconcile_interval_s``: the periodic poll of open orders and
    positions while running (None = off); ``client_order_prefix``: the prefix of our client order ids (orders
    at the venue carrying it are ours). ``on_connection(account_id, ConnectionUpdate)``: called with every
    connection change an adapter reports.

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
        not_found_answers: int = 3,
        not_found_grace_s: float = 10.0,
        resolve_max_s: float = 3600.0,
        reconcile_interval_s: float | None = 30.0,
        client_order_prefix: str = "ta-",
        on_connection: Callable[[str, ConnectionUpdate], None] | None = None,
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
        self._quotes: dict[str, Quote] = {}  # the newest quote of a symbol from any venue
        # venue -> the venue whose quotes price it (the paper venue trades on the market it is fed: demo or
        # Binance); the app wires ``MarketService.price_venue``
        self.price_venue: Callable[[str], str] = lambda venue: venue
        self._venue_quotes: dict[tuple[str, str], Quote] = {}  # by (venue, symbol)
        self._background: set[asyncio.Task[Any]] = set()
        self._journal_batch: list[tuple[Order, asyncio.Future[bool]]] | None = None
        #: called with the reason when the journal cannot be written (the app trips every kill switch)
        self.on_store_failure: Callable[[str], None] | None = None
        self._inbox: list[Any] = []  # the update processor's (order_updates.py)
        self._pending_keys: dict[Key, int] = {}
        self._inbox_wake: asyncio.Event | None = None
        self._processor: asyncio.Task[None] | None = None
        self.not_found_answers = not_found_answers
        self.not_found_grace_s = not_found_grace_s
        self.resolve_max_s = resolve_max_s
        self.reconcile_interval_s = reconcile_interval_s
        self.client_order_prefix = client_order_prefix
        self.on_connection = on_connection
        self._resolving: dict[Key, asyncio.Task[Order | None]] = {}
        self._in_flight: set[Key] = set()
        self._saved_positions: dict[str, list[Position]] = {}
        self._mismatch: dict[str, list[PositionMismatch]] = {}
        self._watcher: asyncio.Task[None] | None = None
        self._connection: dict[str, SessionState] = {}
        self._derive_positions: frozenset[str] = frozenset()  # accounts whose positions all come from fills
        self._derive_spot: frozenset[str] = frozenset()  # accounts whose SPOT positions come from fills
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
        if not broker.capabilities.position_updates:  # positions derived from fills (update_batch.py)
            self._derive_positions = self._derive_positions | {account_id}
        elif broker.capabilities.spot_positions_derived:  # spot derived, derivatives as the venue reports them
            self._derive_spot = self._derive_spot | {account_id}
        self._connection[account_id] = SessionState.CONNECTED
        ready = self._ready[account_id] = asyncio.Event()
        self._tasks[account_id] = asyncio.ensure_future(self._run(account_id, broker, ready))
        self._start_watch()

    async def detach(self, account_id: str) -> None:
        """Stop consuming the account's updates and forget its in-memory state (the store keeps it)."""
        task = self._tasks.pop(account_id, None)
        self._brokers.pop(account_id, None)
        self._ready.pop(account_id, None)
        self._instruments.pop(account_id, None)
        self._connection.pop(account_id, None)
        self._saved_positions.pop(account_id, None)
        self._derive_positions = self._derive_positions - {account_id}
        self._derive_spot = self._derive_spot - {account_id}
        for key in [k for k in self._resolving if k[0] == account_id]:
            self._resolving.pop(key).cancel()
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
        stopping = list(self._background) + list(self._resolving.values())
        if self._watcher is not None:
            stopping.append(self._watcher)
        for task in stopping:
            task.cancel()
        await asyncio.gather(*stopping, return_exceptions=True)
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

    def last_quote(self, symbol: str, venue: str | None = None) -> Quote | None:
        """The newest quote of ``symbol`` on ``venue`` (None: from any venue)."""
        return self._quotes.get(symbol) if venue is None else self._venue_quotes.get((venue, symbol))

    def derives(self, account_id: str, symbol: str) -> bool:
        """Whether the position of ``symbol`` on ``account_id`` is derived from fills (the venue reports none for
        it: a spot venue, or a unified account's spot instruments)."""
        if account_id in self._derive_positions:
            return True
        if account_id not in self._derive_spot:
            return False
        inst = self._instruments.get(account_id, {}).get(symbol)
        return inst is not None and inst.market_type is MarketType.SPOT

    def _held(self, account_id: str, symbol: str, inst: Instrument, caps: Any) -> Decimal:
        """What the account holds of ``symbol`` for the short-selling check: its position, or where positions
        are derived from fills (spot) the free balance of the base coin when that is more: coins bought before
        the app or deposited are the trader's to sell."""
        held = self._positions.get((account_id, symbol))
        qty = held.quantity if held else Decimal(0)
        if self.derives(account_id, symbol):
            bal = self._balances.get((account_id, inst.base))
            if bal is not None and bal.free > qty:
                qty = bal.free
        return qty

    def quote_for(self, account_id: str, symbol: str) -> Quote | None:
        """The quote an order of ``account_id`` is priced (sized, risk-checked) with: its venue's price venue's
        (``price_venue``: a paper account's is the market the paper venue trades on), or None. Never another
        venue's price for the same symbol: the demo's 65,359 sized a Binance order 53 % over."""
        broker = self._brokers.get(account_id)
        if broker is None:
            return None
        return self._venue_quotes.get((self.price_venue(broker.venue), symbol))

    # ---- submit ------------------------------------------------------------------------------------
    async def submit(self, request: OrderRequest) -> Order:
        """Send one order through the whole path and return it as tracked.

        Raises before the journal (nothing changes): ``InvalidOrder`` (bad request, rounds to 0, below
        minimums, duplicate client order id; ``UnsupportedOrder`` for what the venue's capabilities exclude),
        ``UnknownSymbol``, ``TraderError`` (account not connected, reconnecting, or stopped on a position
        mismatch), ``RiskRejected``. After the journal: a venue refusal returns the order REJECTED with
        ``reject_reason``; an unknown outcome (timeout, ``VenueUnavailable``, ``OrderStateUnknown``,
        ``DuplicateClientOrderId``) returns it UNKNOWN and resolves it in the background by asking the venue.
        """
        request.validate()
        account_id = request.account_id
        broker = self.broker(account_id)
        await self._ready[account_id].wait()
        self._check_tradable(account_id)
        inst = await self._instrument_for(account_id, request.symbol)
        check_capabilities(broker.venue, broker.capabilities, request, self._held(account_id, request.symbol, inst,
                                                                                  broker.capabilities))
        request = round_request(request, inst)
        ref = reference_price(request, self.quote_for(account_id, request.symbol))
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
        except StoreUnavailable as exc:  # fail closed: no journal, no send, and no more orders anywhere
            self._orders.pop(key, None)
            reason = f"the order journal cannot be written ({exc}); trading stopped"
            log.error("order %s not sent: %s", request.client_order_id, reason)
            if self.on_store_failure is not None:
                self.on_store_failure(reason)
            raise
        except BaseException:
            self._orders.pop(key, None)
            raise
        if not created:
            self._orders.pop(key, None)
            raise InvalidOrder(f"duplicate client order id {request.client_order_id}")
        self._bus.publish(OrderEvent(order))
        self._in_flight.add(key)
        try:
            async with asyncio.timeout(self._submit_timeout):  # no extra task per order (unlike wait_for)
                ack = await broker.place_order(request)
        except OrderRejected as exc:
            return await self._refuse(key, exc.reason)
        except (RateLimited, AuthError) as exc:  # the venue refused to take it: nothing was placed
            return await self._refuse(key, str(exc))
        except (asyncio.TimeoutError, VenueUnavailable, OrderStateUnknown, DuplicateClientOrderId) as exc:
            why = str(exc) or type(exc).__name__
            log.warning("order %s: outcome unknown (%s); asking the venue", request.client_order_id, why)
            return await self._unknown(key, why)
        except Exception as exc:  # noqa: BLE001 - unknown outcome: never resend, ask the venue instead
            log.exception("place_order of %s failed; asking the venue", request.client_order_id)
            return await self._unknown(key, f"{type(exc).__name__}: {exc}")
        finally:
            self._in_flight.discard(key)
        await self._settle(account_id)  # the venue's own reports (fills, balances, positions) go first
        return await self._apply_order(ack)

    async def _unknown(self, key: Key, why: str) -> Order:
        """The send of ``key`` has an unknown outcome: record UNKNOWN (unless the venue's own report already
        moved it on) and resolve it in the background. Returns the order as tracked."""
        current = self._tracked(key)
        assert current is not None
        if current.status is OrderStatus.PENDING_SUBMIT:
            current = await self._apply_order(current.with_status(OrderStatus.UNKNOWN, self._clock(),
                                                                  reason=f"outcome unknown: {why}"))
        self._spawn(self._resolve(key[0], key[1]))
        return current

    def _check_tradable(self, account_id: str) -> None:
        """Refuse (``TraderError``, before the journal) while the account's connection is not up or its
        positions await the trader's acceptance."""
        state = self._connection.get(account_id, SessionState.CONNECTED)
        if state is not SessionState.CONNECTED:
            raise TraderError(f"account {account_id} is {state.value.lower()}: orders wait until it is connected")
        blocked = self.blocked(account_id)
        if blocked:
            raise TraderError(f"trading stopped on account {account_id}: {blocked}")

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

    async def ensure_instrument(self, account_id: str, symbol: str) -> Instrument:
        """The account's instrument of ``symbol``, asking the venue again when the cache lacks it (a symbol
        listed after the account connected: an imported or replayed file, a new listing). Raises
        UnknownSymbol, TraderError (not connected)."""
        self.broker(account_id)
        return await self._instrument_for(account_id, symbol)

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
        known = self.order(account_id, client_order_id)
        order = await self.broker(account_id).cancel_order(client_order_id, symbol=known.symbol if known else "",
                                                           venue_order_id=known.venue_order_id if known else "")
        await self._settle(account_id)
        return await self._apply_order(order)

    async def cancel_all(self, account_id: str, symbol: str | None = None, side: Side | None = None) -> list[Order]:
        """Cancel the account's open orders (optionally of ``symbol`` and/or ``side``); returns them as tracked."""
        cancelled = await self.broker(account_id).cancel_all(symbol, side)
        await self._settle(account_id)
        return [await self._apply_order(o) for o in cancelled]

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
        quote = event.quote
        self._quotes[quote.symbol] = quote
        self._venue_quotes[(quote.venue, quote.symbol)] = quote

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
