"""Reconciliation: the book made equal to the venue's, without ever orphaning an order (DESIGN.md "Unknown
is a state, not a verdict"; after nautilus_trader's ``live/execution_engine.py`` reconciliation and
hummingbot's ``client_order_tracker.py`` lost-order handling).

Three entry points of the ``OrderManager`` (a mixin, so ``order_manager.py`` stays about submitting):

- ``reconcile(account_ids)``: at start-up, after every reconnect and on ``login_all``; all accounts
  concurrently. Per account (``_reconcile_account``):
  1. the journal's non-final orders are tracked again;
  2. **fills missed while down** are fetched (``broker.fills_since`` from the oldest non-final order's creation)
     and applied once (the store drops a repeated ``trade_id``);
  3. **the venue's open orders are swept**: each one is applied to its journalled order; one that carries our
     client-order-id prefix but is absent from the journal (the app died between the venue's acceptance and
     the journal's record of it cannot happen, but a journal restored from a backup can) is **adopted**:
     journalled as the venue reports it, published and logged; other orders (placed by hand on the venue)
     are counted, never touched. Venues without client order ids are matched on the venue order id
     recorded at the acknowledgement, and an order never acknowledged there on what it asked for
     (``order_match.py``: symbol, side, quantity, price and time among the venue's orders of the day);
  4. every other non-final journal order is **resolved** by asking the venue (``_resolve``);
  5. at start-up only, **positions are checked**: the venue's position in each symbol must equal the one we
     saved plus the missed fills just applied; if not, the account stops trading (``blocked``) until the
     trader accepts the venue's figure (``accept_venue_positions``).
- ``_resolve(account_id, client_order_id)``: one task per order (single flight). It queries the venue
  patiently (tenacity, jittered exponential backoff) until it knows: an answer is applied; "not found"
  becomes final only after ``not_found_answers`` answers spread over at least ``not_found_grace_s``
  seconds, since venues answer "does not exist" for a while after accepting an order. Then a never
  acknowledged order is REJECTED and an acknowledged one EXPIRED, both with a reason starting with
  ``NOT_FOUND_REASON``: such an order is *lost*, and a later report of it from the venue still applies.
  The venue unreachable meanwhile changes nothing (the order stays UNKNOWN / as it was).
- ``_watch()``: while running, every ``reconcile_interval_s`` seconds, each account's open orders and
  positions are polled even while its streams are up (a private stream can stay connected and answer pings
  while delivering nothing), and every in-flight order past its deadline (``submit_timeout_s``) is resolved.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_random_exponential

from ..core.enums import OrderStatus
from ..core.money import ZERO, fmt
from ..core.orders import NOT_FOUND_REASON, Fill, Order
from ..core.portfolio import Position
from .order_match import SKEW_MS, match_unacknowledged
from .retry import RETRYABLE, retry_read
from .update_batch import BALANCE, FILL, POSITION, Op

log = logging.getLogger(__name__)

Key = tuple[str, str]

_UNRESOLVED = (OrderStatus.PENDING_SUBMIT, OrderStatus.UNKNOWN)


class _NotFoundYet(Exception):
    """The venue does not know the order yet; ask again (inside ``_resolve``'s retrying)."""


@dataclass
class ReconcileReport:
    """What one reconciliation did, over every account it covered. Counts of orders: ``queried`` (asked
    the venue), ``swept`` (the venue's open orders applied), ``adopted`` (ours at the venue, absent from the
    journal), ``foreign`` (open at the venue, not ours: left alone), ``lost`` (declared lost after the grace
    window); ``fills``: missed fills applied; ``deferred``: accounts whose venue could not be asked (kept
    as they were); ``blocked``: account -> reason, accounts stopped on a position mismatch; ``failed``:
    account -> reason, accounts whose reconcile raised (the others were reconciled all the same)."""

    queried: int = 0
    swept: int = 0
    adopted: int = 0
    foreign: int = 0
    lost: int = 0
    fills: int = 0
    deferred: list[str] = field(default_factory=list)
    blocked: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # account -> why its reconcile raised (an expired session)

    def add(self, other: "ReconcileReport") -> None:
        for name in ("queried", "swept", "adopted", "foreign", "lost", "fills"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.deferred += other.deferred
        self.blocked.update(other.blocked)
        self.failed.update(other.failed)


@dataclass(frozen=True, slots=True)
class PositionMismatch:
    """A symbol whose venue position the journal cannot explain: ``ours`` (saved + missed fills) vs
    ``venue``, base units (shares, coins, contracts), signed."""

    symbol: str
    ours: Decimal
    venue: Decimal

    def text(self) -> str:
        return f"{self.symbol}: venue {fmt(self.venue)}, journal {fmt(self.ours)}"


class Reconciliation:
    """Reconciles the ``OrderManager``'s accounts with their venues (see the module docstring)."""

    _store: Any
    _brokers: dict
    _ready: dict
    _positions: Any
    _background: set
    _read_attempts: int
    _read_backoff: float
    _submit_timeout: float
    _clock: Callable[[], int]
    client_order_prefix: str
    not_found_answers: int
    not_found_grace_s: float
    resolve_max_s: float
    reconcile_interval_s: float | None
    _resolving: dict[Key, asyncio.Task[Order | None]]
    _in_flight: set[Key]
    _saved_positions: dict[str, list[Position]]
    derives: Callable[[str, str], bool]
    _mismatch: dict[str, list[PositionMismatch]]
    _watcher: asyncio.Task[None] | None

    _tracked: Callable[[Key], Order | None]
    _lookup: Callable[..., Any]
    _apply_order: Callable[..., Any]
    _submit: Callable[..., Any]
    _spawn: Callable[..., Any]

    # ---- public ------------------------------------------------------------------------------------
    async def reconcile(self, account_ids: list[str] | None = None, *, wait: bool = True,
                        startup: bool = False) -> ReconcileReport:
        """Reconcile ``account_ids`` (default: every attached account) concurrently; see the module
        docstring. ``wait``: also wait until every order the venue does not know yet is resolved (found, or
        declared lost after the grace window); False returns after one pass and leaves them resolving in
        the background. ``startup``: also check positions (the first reconcile after the app started).
        An account whose venue stays unavailable is listed in ``deferred`` and keeps its orders as they are."""
        accounts = [a for a in (account_ids or list(self._brokers)) if a in self._brokers]
        reports = await asyncio.gather(*(self._reconcile_account(a, wait=wait, startup=startup) for a in accounts),
                                       return_exceptions=True)
        total = ReconcileReport()
        for account_id, report in zip(accounts, reports):
            if isinstance(report, asyncio.CancelledError):
                raise report
            if isinstance(report, BaseException):  # one account's failure is that account's, never the others'
                log.error("reconcile of account %s failed: %s: %s", account_id, type(report).__name__, report)
                total.failed[account_id] = f"reconcile failed: {type(report).__name__}: {report}"
                continue
            total.add(report)
        return total

    def blocked(self, account_id: str) -> str:
        """Why trading is stopped on ``account_id`` ("" if it is not): the positions the journal cannot explain."""
        mismatches = self._mismatch.get(account_id)
        if not mismatches:
            return ""
        return ("positions differ from the venue (" + "; ".join(m.text() for m in mismatches)
                + "): accept the venue's figures to trade again")

    def position_mismatches(self, account_id: str) -> list[PositionMismatch]:
        return list(self._mismatch.get(account_id, ()))

    def accept_venue_positions(self, account_id: str) -> list[PositionMismatch]:
        """The trader accepts the venue's positions of ``account_id`` (they are what the book shows already):
        trading resumes. Returns the mismatches that were accepted (logged)."""
        accepted = self._mismatch.pop(account_id, [])
        if accepted:
            log.warning("account %s: venue positions accepted by the trader (%s)", account_id,
                        "; ".join(m.text() for m in accepted))
        return accepted

    async def settled(self) -> None:
        """Wait until every reconcile started in the background (after a reconnect, a lost answer) is done and
        every order being resolved is resolved."""
        while self._resolving or self._background:
            await asyncio.gather(*self._resolving.values(), *self._background, return_exceptions=True)

    # ---- one account -------------------------------------------------------------------------------
    async def _reconcile_account(self, account_id: str, *, wait: bool, startup: bool) -> ReconcileReport:
        report = ReconcileReport()
        broker = self._brokers.get(account_id)
        if broker is None:
            return report
        await self._ready[account_id].wait()
        journal = [o for o in await self._store.run(self._store.orders.list, account_id=account_id, open_only=True)
                   if not o.status.is_final]
        for order in journal:
            key = (account_id, order.client_order_id)
            if self._tracked(key) is None:
                self._orders[key] = order  # type: ignore[attr-defined]
        read = dict(attempts=self._read_attempts, multiplier=self._read_backoff)
        try:
            # fills before the venue's order reports: a report's filled quantity is then already explained by
            # its fills (the other way round, the fills would count a second time)
            new_fills = await self._apply_missed_fills(account_id, broker, journal, report, read)
            venue_open = await retry_read(broker.open_orders, **read)
        except RETRYABLE as exc:
            log.warning("reconcile of account %s deferred: %s", account_id, exc)
            report.deferred.append(account_id)
            return report
        seen = await self._sweep(account_id, broker, journal, venue_open, report)
        pending = []
        for order in journal:
            if order.client_order_id in seen or (account_id, order.client_order_id) in self._in_flight:
                continue
            report.queried += 1
            pending.append(self._resolve(account_id, order.client_order_id))
        if wait and pending:
            for order in await asyncio.gather(*pending, return_exceptions=True):
                if isinstance(order, Order) and order.reject_reason.startswith(NOT_FOUND_REASON):
                    report.lost += 1
        if startup or account_id in self._saved_positions:
            # the first reconcile since the account was attached (app start, a connect retry, re-enabled):
            # its saved positions are checked against the venue's
            self._check_positions(account_id, new_fills, report)
        else:
            await self._refresh_book(account_id, broker, read)
        return report

    async def _refresh_book(self, account_id: str, broker: Any, read: dict[str, Any]) -> None:
        """After a reconnect: the venue's balances, and its positions where it reports them, replace what the
        stream may have missed while it was down (a position change pushed during the drop is not resent)."""
        try:
            balances = await retry_read(broker.balances, **read)
            positions = await retry_read(broker.positions, **read) if broker.capabilities.position_updates else []
        except RETRYABLE as exc:
            log.warning("account %s: balances and positions not refreshed after the reconnect: %s", account_id, exc)
            return
        held = self._positions.of(account_id)
        venue_symbols = {p.symbol for p in positions}
        if broker.capabilities.position_updates:  # a position the venue no longer reports is flat there
            positions += [replace(p, quantity=ZERO) for key, p in held.items()
                          if p.quantity and p.symbol not in venue_symbols and not self.derives(account_id, p.symbol)]
        changed = [p for p in positions if (held.get((account_id, p.symbol)) or _FLAT).quantity != p.quantity]
        for p in changed:
            log.warning("account %s: the venue's %s position is %s after the reconnect; applied", account_id,
                        p.symbol, fmt(p.quantity))
        await asyncio.gather(*(self._submit(account_id, Op(BALANCE, b)) for b in balances),
                             *(self._submit(account_id, Op(POSITION, p)) for p in changed))

    async def _apply_missed_fills(self, account_id: str, broker: Any, journal: list[Order], report: ReconcileReport,
                                  read: dict[str, Any]) -> list[Fill]:
        """Fetch the fills since the oldest non-final journal order was created and apply those of journal
        orders (matched by client order id, else venue order id). Returns the fills that were new to us."""
        if not journal:
            return []
        since = min(o.created_ms for o in journal)
        fills = await retry_read(broker.fills_since, since, sorted({o.symbol for o in journal}), **read)
        by_cid = {o.client_order_id: o for o in journal}
        by_venue_id = {o.venue_order_id: o for o in journal if o.venue_order_id}
        new: list[Fill] = []
        for fill in fills:
            order = by_cid.get(fill.client_order_id) or by_venue_id.get(fill.venue_order_id)
            if order is None or fill.trade_id in order.fill_ids:
                continue  # not ours, or counted already
            new.append(replace(fill, client_order_id=order.client_order_id))
        await asyncio.gather(*(self._submit(account_id, Op(FILL, f)) for f in new))
        report.fills += len(new)
        if new:
            log.warning("account %s: %d fill(s) missed while disconnected applied", account_id, len(new))
        return new

    async def _sweep(self, account_id: str, broker: Any, journal: list[Order], venue_open: list[Order],
                     report: ReconcileReport) -> set[str]:
        """Apply the venue's open orders; adopt ours that the journal lacks. Returns the client order ids
        the venue reported open (matched to the journal)."""
        by_cid = {o.client_order_id: o for o in journal}
        by_venue_id = {o.venue_order_id: o for o in journal if o.venue_order_id}
        seen: set[str] = set()
        for order in venue_open:
            known = by_cid.get(order.client_order_id) or by_venue_id.get(order.venue_order_id)
            if known is not None:
                order = replace(order, client_order_id=known.client_order_id, signal_id=known.signal_id,
                                group_name=known.group_name, created_ms=known.created_ms)
                seen.add(known.client_order_id)
                report.swept += 1
                await self._apply_order(order)
                continue
            if self._tracked((account_id, order.client_order_id)) is not None:
                report.swept += 1
                await self._apply_order(order)
                continue
            if order.client_order_id.startswith(self.client_order_prefix):
                report.adopted += 1
                log.warning("account %s: order %s is open at the venue but was not in the journal: adopted",
                            account_id, order.client_order_id)
                await self._apply_order(order)
            else:
                report.foreign += 1
        if report.foreign:
            log.info("account %s: %d open order(s) at the venue were not placed by this app (left alone)",
                     account_id, report.foreign)
        return seen

    def _check_positions(self, account_id: str, new_fills: list[Fill], report: ReconcileReport) -> None:
        saved = self._saved_positions.pop(account_id, None)
        if saved is None:
            return  # a new account: nothing to explain the venue's positions with
        expected = {p.symbol: p.quantity for p in saved}
        for fill in new_fills:
            expected[fill.symbol] = expected.get(fill.symbol, ZERO) + fill.quantity * fill.side.sign
        venue = {p.symbol: p.quantity for p in self._positions.of(account_id).values()}
        mismatches = [PositionMismatch(s, expected.get(s, ZERO), venue.get(s, ZERO))
                      for s in sorted(set(expected) | set(venue)) if expected.get(s, ZERO) != venue.get(s, ZERO)]
        if mismatches:
            self._mismatch[account_id] = mismatches
            report.blocked[account_id] = self.blocked(account_id)
            log.error("account %s: trading stopped: %s", account_id, self.blocked(account_id))

    # ---- one order ---------------------------------------------------------------------------------
    def _resolve(self, account_id: str, client_order_id: str) -> "asyncio.Future[Order | None]":
        """Ask the venue about one order until it knows (single flight: one task per order). Resolves to
        the order as tracked afterwards (None if the account went away)."""
        key = (account_id, client_order_id)
        task = self._resolving.get(key)
        if task is None or task.done():
            task = asyncio.ensure_future(self._resolve_patiently(key))
            self._resolving[key] = task
            task.add_done_callback(lambda t, k=key: self._resolving.pop(k, None) if self._resolving.get(k) is t else None)
        return asyncio.shield(task)

    async def _resolve_patiently(self, key: Key) -> Order | None:
        loop = asyncio.get_running_loop()
        misses: list[float] = []
        retrying = AsyncRetrying(
            stop=stop_after_delay(self.resolve_max_s),
            wait=wait_random_exponential(multiplier=max(self.not_found_grace_s / 8, 0.005),
                                         max=max(self.not_found_grace_s, 0.01) * 2),
            retry=retry_if_exception_type((_NotFoundYet, *RETRYABLE)),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._ask_once(key, misses, loop.time())
        except RETRYABLE as exc:
            log.error("order %s still unresolved after %.0f s (%s); it stays as it is and is asked again at the "
                      "next reconcile", key[1], self.resolve_max_s, exc)
        except _NotFoundYet:
            pass
        return self._tracked(key)

    async def _ask_once(self, key: Key, misses: list[float], now: float) -> Order | None:
        broker = self._brokers.get(key[0])
        current = await self._lookup(key)
        if broker is None or current is None or current.status.is_final:
            return current
        if broker.capabilities.client_order_ids or current.venue_order_id:
            venue = await broker.query_order(key[1], venue_order_id=current.venue_order_id, symbol=current.symbol)
        else:  # never acknowledged, on a venue that cannot be asked for our id: match the venue's orders
            venue = await self._match_by_fields(key[0], broker, current)
        if venue is not None:
            if venue.client_order_id != key[1]:
                venue = replace(venue, client_order_id=key[1])
            if venue.filled_qty > current.filled_qty:  # it traded while we did not know: its fills and the
                await self._catch_up(key[0], broker, current)  # book they moved come from the venue
            return await self._apply_order(venue)
        misses.append(now)
        if len(misses) < self.not_found_answers or now - misses[0] < self.not_found_grace_s:
            raise _NotFoundYet(key[1])
        status = OrderStatus.REJECTED if current.status in _UNRESOLVED else OrderStatus.EXPIRED
        reason = (f"{NOT_FOUND_REASON} after {len(misses)} queries over {now - misses[0]:.1f} s "
                  f"(declared lost by reconciliation; a later report from the venue still applies)")
        log.warning("order %s of account %s: %s", key[1], key[0], reason)
        return await self._apply_order(current.with_status(status, self._clock(), reason=reason))

    async def _match_by_fields(self, account_id: str, broker: Any, current: Order) -> Order | None:
        """The venue's order that is ``current`` (``order_match.match_unacknowledged`` over the venue's orders
        since its journal time, ``broker.orders_since``), None while none matches (the "not found" count then
        runs as for any venue). Venue order ids already on other journal orders are never matched again."""
        venue_orders = await broker.orders_since(current.created_ms - SKEW_MS, [current.symbol])
        journal = await self._store.run(self._store.orders.list, account_id=account_id)
        taken = {o.venue_order_id for o in journal if o.venue_order_id and o.client_order_id != current.client_order_id}
        found = match_unacknowledged(current, venue_orders, taken)
        if found is not None:
            log.info("order %s of account %s matched the venue's order %s (symbol, side, quantity, price, time)",
                     current.client_order_id, account_id, found.venue_order_id)
        return found

    async def _catch_up(self, account_id: str, broker: Any, order: Order) -> None:
        """Apply the fills of ``order`` the venue has and we lack, then the venue's balances and positions
        (an order whose answer was lost moved the book without telling us). Reads are retried."""
        read = dict(attempts=self._read_attempts, multiplier=self._read_backoff)
        fills = await retry_read(broker.fills_since, order.created_ms, [order.symbol], **read)
        new = [replace(f, client_order_id=order.client_order_id) for f in fills
               if (f.client_order_id == order.client_order_id
                   or (order.venue_order_id and f.venue_order_id == order.venue_order_id))
               and f.trade_id not in order.fill_ids]
        balances = await retry_read(broker.balances, **read)
        positions = await retry_read(broker.positions, **read)
        ops = [Op(FILL, f) for f in new] + [Op(BALANCE, b) for b in balances] + [Op(POSITION, p) for p in positions]
        await asyncio.gather(*(self._submit(account_id, op) for op in ops))

    # ---- while running -----------------------------------------------------------------------------
    def _start_watch(self) -> None:
        if self.reconcile_interval_s and (self._watcher is None or self._watcher.done()):
            self._watcher = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        assert self.reconcile_interval_s
        while True:
            await asyncio.sleep(self.reconcile_interval_s)
            await self.poll_all()

    async def poll_all(self) -> dict[str, int]:
        """One periodic pass: every account polled (``_poll``), ``POLL_CONCURRENCY`` at a time; one account's
        failure is logged and never stops the others. Returns how many were ``polled``, ``deferred`` (the venue
        could not be asked: no budget, unreachable) and ``failed``."""
        limit = asyncio.Semaphore(POLL_CONCURRENCY)
        counts = {"polled": 0, "deferred": 0, "failed": 0}

        async def one(account_id: str) -> None:
            async with limit:
                try:
                    counts["polled" if await self._poll(account_id) else "deferred"] += 1
                except asyncio.CancelledError:
                    raise
                except Exception:  # noqa: BLE001 - one account's poll never stops the others
                    counts["failed"] += 1
                    log.exception("periodic reconcile of account %s failed", account_id)

        await asyncio.gather(*(one(a) for a in list(self._brokers)))
        return counts

    async def _poll(self, account_id: str) -> bool:
        """Poll one account's positions and open orders; resolve in-flight orders past their deadline. Returns
        False when the venue could not be asked (deferred to the next pass)."""
        broker = self._brokers.get(account_id)
        if broker is None or not self._ready[account_id].is_set():
            return True
        read = dict(attempts=self._read_attempts, multiplier=self._read_backoff)
        # the venue's open orders only where the journal has some, symbol by symbol (Binance spot: weight 6 a
        # symbol where the all-symbols call costs 80: a pass over 100 accounts spent the IP's minute)
        symbols = sorted({o.symbol for o in self._orders.of(account_id).values()  # type: ignore[attr-defined]
                          if not o.status.is_final})
        try:
            positions = await retry_read(broker.positions, **read) if broker.capabilities.position_updates else []
            if not symbols:
                venue_open = []
            elif len(symbols) > POLL_SYMBOLS_MAX:
                venue_open = await retry_read(broker.open_orders, **read)
            else:
                venue_open = [o for part in await asyncio.gather(
                    *(retry_read(broker.open_orders, s, **read) for s in symbols)) for o in part]
        except RETRYABLE as exc:
            log.warning("periodic reconcile of account %s deferred: %s", account_id, exc)
            return False
        held = self._positions.of(account_id)
        if broker.capabilities.position_updates:  # a position the venue no longer reports is flat there
            reported = {p.symbol for p in positions}
            positions = positions + [replace(p, quantity=ZERO) for p in held.values()
                                     if p.quantity and p.symbol not in reported and not self.derives(account_id, p.symbol)]
        changed = [p for p in positions if (held.get((account_id, p.symbol)) or _FLAT).quantity != p.quantity]
        for p in changed:
            log.warning("account %s: the venue's %s position %s differs from the streamed one; applied", account_id,
                        p.symbol, fmt(p.quantity))
        await asyncio.gather(*(self._submit(account_id, Op(POSITION, p)) for p in changed))
        open_ids = set()
        for order in venue_open:
            tracked = self._tracked((account_id, order.client_order_id))
            if tracked is not None:
                open_ids.add(order.client_order_id)
                if order.filled_qty > tracked.filled_qty:  # traded without telling the stream: its fills first,
                    await self._catch_up(account_id, broker, tracked)  # or they would never be recorded
                await self._apply_order(order)
        deadline = self._clock() - int(self._submit_timeout * 1000)
        for order in list(self._orders.of(account_id).values()):  # type: ignore[attr-defined]
            key = (account_id, order.client_order_id)
            if order.client_order_id in open_ids or key in self._in_flight or order.status.is_final:
                continue
            if order.status in _UNRESOLVED and order.updated_ms > deadline:
                continue  # still within its send deadline
            self._resolve(account_id, order.client_order_id)
        return True


_FLAT = Position("", "", ZERO, ZERO)
POLL_CONCURRENCY = 16  # accounts polled at once in a periodic pass
POLL_SYMBOLS_MAX = 8  # above this many symbols with open orders, one all-symbols call is the cheaper read
