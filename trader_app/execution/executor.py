"""The executor: one signal, every linked account, at once (issue 3, DESIGN.md "The one path of an order").

``execute(signal)``:

1. Idempotency (synchronous, so concurrent retries cannot both pass): a signal whose idempotency key is held
   by an earlier signal (``batch.DuplicateFilter``: the sender's id, else the payload's fingerprint, within
   its window; the keys survive a restart, ``load_idempotency``) is recorded with ``duplicate=True``, not
   executed, and answered with the earlier signal's outcome as it stands.
2. Resolve the accounts: the group's links (or ``signal.account_ids``; an account given explicitly but not
   linked is sized with weight 1, leverage 1 and no position cap).
3. Record the signal (``store.signals``, every result PENDING) and publish a ``SignalEvent``.
4. Fan out: one task per account, all started at once (``asyncio.wait`` over the tasks: one account's
   failure or slowness never cancels or delays another). Each account runs the batch in priority order
   (``sort_batch``); each order is sized (``sizing.py``) and goes through ``OrderManager.submit`` (risk
   check, journal, then the venue). An account still running after ``per_account_timeout_s`` is reported
   TIMEOUT for its order in flight (which finishes and is recorded later; never cancelled mid-send) and
   SKIPPED for the rest of its batch.
5. Record every account's outcome and publish the ``SignalEvent`` again.

``execute(signal, wait_s=2.0)`` returns at the deadline with unfinished accounts reported ``PENDING``;
the work finishes in the background and the record is updated when it does (the webhook uses this so that
TradingView, which gives up after 3 s, gets an answer within 2.5 s).

Result statuses: an order status (NEW, FILLED, PARTIALLY_FILLED, REJECTED, PENDING_SUBMIT, ...) for orders
that reached the journal; REJECTED with ``error`` for orders refused before it (sizing, risk, unknown symbol,
account not connected; nothing was journalled or sent); CANCELLED for CANCEL_ALL_ORDER (``cancelled`` = how
many); PENDING (deadline), TIMEOUT, SKIPPED; ERROR for an unexpected failure (logged).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from ..core.bus import EventBus
from ..core.enums import MarketType, OrderType, Side, SignalSource
from ..core.errors import TraderError, UnknownSymbol
from ..core.events import SignalEvent
from ..core.groups import AccountLink, SignalRecord, StrategyGroup
from ..core.ids import new_client_order_id, new_id, now_ms
from ..core.money import ONE, ZERO, fmt
from ..core.orders import OrderRequest
from .batch import DuplicateFilter, signal_fingerprint, sort_batch
from ..trading.groups import UnknownGroup
from .follow import SignalFollower
from .outcome import (
    CANCELLED,
    ERROR,
    PENDING,
    REJECTED,
    SKIPPED,
    TIMEOUT,
    AccountResult,
    SignalOutcome,
    _Run,
    result_from_json,
)
from .repair import repair_signal_records

__all__ = ["AccountResult", "Executor", "SignalOutcome", "UnknownGroup", "new_signal", "PENDING", "TIMEOUT", "SKIPPED",
           "REJECTED", "CANCELLED", "ERROR"]
from .signal import Signal, SignalOrder, SignalOrderType
from .sizing import SizingError, close_order, open_amount, open_quantity, sizing_price

log = logging.getLogger(__name__)

class Executor:
    """Fans signals out over linked accounts (see the module docstring).

    ``store``: the Store; ``bus``: the EventBus; ``order_manager``: the ``OrderManager``; ``portfolio``:
    the ``PortfolioService`` (equity per currency, positions); ``market``: anything with
    ``last_quote(symbol)`` (and optionally ``instruments()``), e.g. ``MarketService``; None = the order
    manager's last quotes (a live venue's symbol nobody watches is subscribed and its first price awaited for
    up to ``quote_wait_s``). ``per_account_timeout_s``: see step 4. ``max_concurrency``: accounts sent at the
    same time (None = all; 1 = sequential, for comparison). ``dedupe_window_ms``: duplicate window (negative
    = off). ``groups``: a ``GroupService`` whose cached groups and links are used instead of store reads
    (so a signal never waits behind queued store writes before its orders start).
    """

    def __init__(self, store: Any, bus: EventBus, order_manager: Any, portfolio: Any, market: Any = None,
                 per_account_timeout_s: float = 10.0, *, max_concurrency: int | None = None,
                 dedupe_window_ms: int = 2000, clock: Callable[[], int] = now_ms, groups: Any = None) -> None:
        self.groups = groups
        self.store = store
        self.bus = bus
        self.om = order_manager
        self.portfolio = portfolio
        self.market = market
        self.per_account_timeout_s = per_account_timeout_s
        self.quote_wait_s = 3.0  # how long an order waits for the first price of a symbol nobody watched
        self.clock = clock
        self.dedupe = DuplicateFilter(dedupe_window_ms)
        self._limit = asyncio.Semaphore(max_concurrency) if max_concurrency else None
        self._background: set[asyncio.Future[Any]] = set()
        self._group_symbols: dict[str, dict[str, set[str]]] = {}
        self._runs: dict[str, _Run] = {}  # signals still fanning out, by id (a duplicate reads their results)
        # a signal's record follows its orders after the fan-out (UNKNOWN -> FILLED, NEW -> CANCELLED, lost)
        self.follower = SignalFollower(store, bus, lambda signal_id: signal_id in self._runs)

    # ---- public ------------------------------------------------------------------------------------
    async def execute(self, signal: Signal, *, wait_s: float | None = None) -> SignalOutcome:
        """Execute ``signal`` on its accounts; see the module docstring. Raises ``UnknownGroup`` for an
        unknown group (nothing recorded). With ``wait_s``, returns by then (unfinished accounts PENDING)."""
        now = self.clock()
        key, expires = self._idempotency(signal, now)
        original = self.dedupe.claim(key, signal.signal_id, now, expires) if key else None
        if original is not None:
            return await self._record_duplicate(signal, original)
        group, links = await self._group(signal.group_name)
        links = await self._links(signal, group, links)
        return await self._start(_Run(signal, group, links, sort_batch(signal.orders)), wait_s)

    async def close_all(self, *, group_name: str | None = None, symbol: str | None = None,
                        account_ids: tuple[str, ...] | None = None, wait_s: float | None = None,
                        source: SignalSource = SignalSource.MANUAL) -> SignalOutcome:
        """Flatten positions: on each target account (the group's linked accounts, else ``account_ids``, else
        every connected account), for each non-flat position (only ``symbol`` when given): cancel the open
        orders of that symbol, then close 100 percent at MARKET. Recorded as one signal. Raises
        ``UnknownGroup`` for an unknown group."""
        group, links = await self._group(group_name or "")
        if group is not None:
            targets = [lk.account_id for lk in links]
        else:
            targets = list(account_ids) if account_ids is not None else self.om.account_ids()
        plans: dict[str, list[SignalOrder]] = {}
        for acc in targets:
            held = sorted({p.symbol for p in self.portfolio.positions(acc) if p.quantity != 0
                           and (symbol is None or p.symbol == symbol)})
            plans[acc] = [o for s in held for o in (SignalOrder(s, SignalOrderType.CANCEL_ALL_ORDER, None),
                                                   SignalOrder(s, SignalOrderType.MARKET, None, Decimal(-100)))]
        orders = tuple(dict.fromkeys(o for plan in plans.values() for o in plan))
        payload = {"action": "close_all", "group_name": group_name, "symbol": symbol,
                   "account_ids": list(account_ids) if account_ids is not None else None}
        signal = new_signal(group_name or "", orders, source, payload, account_ids=tuple(targets))
        links = [AccountLink(signal.group_name, a, ONE, ONE, 0) for a in targets]
        return await self._start(_Run(signal, group, links, list(orders), plans=plans), wait_s)

    def _idempotency(self, signal: Signal, now: int) -> tuple[str | None, int]:
        """The signal's idempotency key and until when it holds (epoch ms); (None, 0) when duplicates are
        off (``dedupe_window_ms`` < 0 and no key of the sender's)."""
        if signal.idempotency_key:
            window = signal.idempotency_window_ms
            return signal.idempotency_key, now + (self.dedupe.window_ms if window is None else window)
        if self.dedupe.window_ms < 0:
            return None, 0
        return "h:" + signal_fingerprint(signal), now + self.dedupe.window_ms

    async def load_idempotency(self) -> int:
        """Load the idempotency keys of recorded signals that still hold (a resend after a restart is then a
        duplicate). Returns how many were loaded. Call once at start-up, before signals arrive."""
        now = self.clock()
        keys = await self.store.run(self.store.signals.live_keys, now)
        for key, expires, signal_id in keys:
            self.dedupe.remember(key, signal_id, expires)
        return len(keys)

    async def repair_signals(self, since_ms: int | None = None) -> int:
        """Repair the records of signals interrupted by a stop (PENDING/TIMEOUT results, orders not final in
        the record) from the orders journal (``repair.py``). ``since_ms``: only signals received from then on
        (default: the last 7 days). Returns how many records changed."""
        since = self.clock() - 7 * 86_400_000 if since_ms is None else since_ms
        return await self.store.run(repair_signal_records, self.store, since)

    async def submit_order(self, request: OrderRequest, source: SignalSource = SignalSource.MANUAL) -> SignalOutcome:
        """One order with an explicit quantity for one account (the order ticket), through the same path as
        every signal: recorded as a signal of ``source`` (the order in its payload), the order's
        ``signal_id`` set, risk-checked, journalled, sent, each outcome recorded and published. The idempotency
        key is the order's client order id, so two clicks are two orders. Returns the outcome: one result with
        the order's status, or REJECTED with the reason when it was refused before the journal."""
        kind = SignalOrderType(request.order_type.value)
        order = SignalOrder(request.symbol, kind, request.side, None, request.price, request.stop_price)
        payload = {"account_id": request.account_id, "symbol": request.symbol, "side": request.side.value,
                   "order_type": kind.value, "quantity": fmt(request.quantity),
                   "time_in_force": request.time_in_force.value}
        for name, value in (("price", request.price), ("stop_price", request.stop_price)):
            if value is not None:
                payload[name] = fmt(value)
        signal = new_signal(request.group_name or "", (order,), source, payload, account_ids=(request.account_id,))
        signal = replace(signal, idempotency_key=f"order:{request.account_id}:{request.client_order_id}")
        link = AccountLink(signal.group_name, request.account_id, ONE, ONE, 0)
        run = _Run(signal, None, [link], [order], fixed=replace(request, signal_id=signal.signal_id))
        now = self.clock()
        key, expires = self._idempotency(signal, now)
        original = self.dedupe.claim(key, signal.signal_id, now, expires) if key else None
        if original is not None:
            return await self._record_duplicate(signal, original)
        return await self._start(run, None)

    async def _start(self, run: _Run, wait_s: float | None) -> SignalOutcome:
        signal = run.signal
        pending = run.snapshot()
        pending_json = _as_json(pending)
        self._runs[signal.signal_id] = run
        run.record_task = asyncio.ensure_future(self.store.run(self.store.signals.save,
                                                               self._record(signal, pending_json)))
        self._publish(signal, pending_json)
        task = asyncio.ensure_future(self._fan_out(run))
        self._keep(task)
        if wait_s is None:
            return await asyncio.shield(task)
        done, _ = await asyncio.wait({task}, timeout=wait_s)
        if task in done:
            return task.result()
        return SignalOutcome(signal.signal_id, run.snapshot(), done=False)

    def resolve_symbol(self, symbol: str, account_id: str | None = None) -> str | None:
        """The instrument symbol ``symbol`` names on the account's venue (any attached account when None):
        itself, or for a TradingView ticker without the slash ("BTCUSDT") the matching "BTC/USDT".
        None when no venue knows it."""
        accounts = [account_id] if account_id else self.om.account_ids()
        compact = symbol.replace("/", "")
        for acc in accounts:
            try:
                return self.om.instrument(acc, symbol).symbol
            except (UnknownSymbol, TraderError):
                pass
            for inst in self.om.instruments(acc):
                if inst.symbol.replace("/", "") == compact:
                    return inst.symbol
        if self.market is not None and hasattr(self.market, "instruments"):
            for inst in self.market.instruments():
                if inst.symbol == symbol or inst.symbol.replace("/", "") == compact:
                    return inst.symbol
        return None

    def tradable_symbols(self) -> list[str]:
        """Every symbol some attached account's venue lists, sorted (what a signal may name)."""
        out: set[str] = set()
        for acc in self.om.account_ids():
            out.update(i.symbol for i in self.om.instruments(acc))
        return sorted(out)

    async def drain(self) -> None:
        """Wait until every signal still finishing in the background is done and recorded."""
        while self._background:
            await asyncio.gather(*tuple(self._background), return_exceptions=True)
        await self.follower.drain()

    # ---- fan-out -----------------------------------------------------------------------------------
    async def _fan_out(self, run: _Run) -> SignalOutcome:
        tasks = {link.account_id: asyncio.ensure_future(self._run_account(run, link)) for link in run.links}
        if tasks:
            _, late = await asyncio.wait(tasks.values(), timeout=self.per_account_timeout_s)
        else:
            late = set()
        for account_id, task in tasks.items():
            if task in late:
                run.abandoned.add(account_id)
        results = run.snapshot(TIMEOUT)
        await self._save(run, results)
        if not late:
            self._runs.pop(run.signal.signal_id, None)
            self.follower.release(run.signal.signal_id)
        if late:
            self._keep(asyncio.ensure_future(self._finish_late(run, late)))
        return SignalOutcome(run.signal.signal_id, results)

    async def _finish_late(self, run: _Run, late: set[asyncio.Future[Any]]) -> None:
        await asyncio.wait(late)
        await self._save(run, run.snapshot(TIMEOUT))
        self._runs.pop(run.signal.signal_id, None)
        self.follower.release(run.signal.signal_id)

    async def _run_account(self, run: _Run, link: AccountLink) -> None:
        done = run.results.setdefault(link.account_id, [])
        plan = run.plan_for(link.account_id)
        for i, order in enumerate(plan):
            if link.account_id in run.abandoned:
                done.extend(AccountResult(link.account_id, o.order_type.value, SKIPPED, symbol=o.symbol,
                                          side=o.side.value if o.side else "",
                                          error="skipped: the account timed out earlier in the batch")
                            for o in plan[i:])
                return
            if i and done[-1].client_order_id:
                # A batch order after one that reached the venue is sized from the state that order left
                # (its fill's position and cash): let the account's pending broker updates land first.
                await self.om.flush(link.account_id)
            if self._limit is not None:
                async with self._limit:
                    result = await self._run_order(run, link, order)
            else:
                result = await self._run_order(run, link, order)
            done.append(result)

    async def _run_order(self, run: _Run, link: AccountLink, order: SignalOrder) -> AccountResult:
        acc = link.account_id
        kind = order.order_type.value
        symbol = order.symbol
        side = order.side.value if order.side else ""
        request: OrderRequest | None = None  # the fields of the result come from it once it exists
        try:
            resolved = self.resolve_symbol(order.symbol, acc)
            if resolved is None:
                raise UnknownSymbol(order.symbol)
            symbol = resolved
            if order.order_type is SignalOrderType.CANCEL_ALL_ORDER:
                cancelled = await self.om.cancel_all(acc, symbol, order.side)
                return AccountResult(acc, kind, CANCELLED, symbol=symbol, side=side, cancelled=len(cancelled))
            await self.om.ensure_instrument(acc, symbol)  # a symbol listed since the account connected
            if run.fixed is None and order.qty_per is not None and order.qty_per > 0:
                await self._await_quote(symbol, acc)
            request = run.fixed if run.fixed is not None else self._request(run, link, order, symbol)
            if run.group is not None and run.group.market_type is MarketType.FUTURES and not request.reduce_only:
                await self._ensure_leverage(acc, symbol, link.leverage)
            placed = await self.om.submit(request)
        except (TraderError, ValueError) as exc:
            return AccountResult(acc, kind, REJECTED, error=str(exc), **_request_fields(request, symbol, side))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - one account's failure never stops the others
            log.exception("signal %s on account %s failed", run.signal.signal_id, acc)
            return AccountResult(acc, kind, ERROR, error=f"{type(exc).__name__}: {exc}",
                                 client_order_id=request.client_order_id if request is not None else "",
                                 **_request_fields(request, symbol, side))
        if run.group is not None:
            self._group_symbols.get(run.group.group_name, {}).setdefault(acc, set()).add(symbol)
        return AccountResult(acc, kind, placed.status.value, client_order_id=request.client_order_id,
                             venue_order_id=placed.venue_order_id, error=placed.reject_reason, symbol=symbol,
                             side=request.side.value, quantity=placed.quantity, price=placed.price)

    async def _ensure_leverage(self, account_id: str, symbol: str, leverage: Decimal) -> None:
        """Before a FUTURES order that may open exposure: the venue's leverage for ``symbol`` must be the
        link's, since the order was sized with it. A venue that declares the ``leverage`` capability (e.g.
        Binance USD-M ``POST /fapi/v1/leverage``) is set when it differs, once per change; one without it
        (paper) is left alone. Raises ``TraderError`` (the order is not sent) for a fractional leverage or a
        venue that sets another value; the venue's own refusal propagates the same way."""
        broker = self.om.broker(account_id)
        if not broker.capabilities.leverage:
            return
        if leverage != leverage.to_integral_value() or leverage < 1:
            raise TraderError(f"leverage {leverage} cannot be set on this venue: whole numbers from 1 only")
        want = int(leverage)
        if broker.leverage.get(symbol) == want:
            return
        got = await broker.set_leverage(symbol, want)
        if got != want:
            raise TraderError(f"the venue set {symbol}'s leverage to {got}, not {want}; order not sent")
        log.info("account %s: %s leverage set to %dx (the group link's)", account_id, symbol, want)

    def _request(self, run: _Run, link: AccountLink, order: SignalOrder, symbol: str) -> OrderRequest:
        acc = link.account_id
        inst = self.om.instrument(acc, symbol)
        qty_per = order.qty_per
        assert qty_per is not None
        reduce_only = False
        if qty_per < 0:
            position = self.om.position(acc, symbol)
            side, qty = close_order(qty_per, position.quantity if position else Decimal(0), inst)
            reduce_only = self.om.broker(acc).capabilities.reduce_only
        else:
            side = order.side
            assert side is not None
            market_type = run.group.market_type if run.group is not None else inst.market_type
            self._check_max_positions(run, link, symbol)
            price = ZERO  # STOCK: qty_per is a number of shares, no price needed
            if market_type is not MarketType.STOCK:
                price = sizing_price(OrderType(order.order_type.value), side, order.price, order.stop_price,
                                     self._quote(symbol, acc))
            equity = self.portfolio.equity(acc, inst.quote)
            qty = open_quantity(qty_per, market_type, inst, equity=equity, weight=link.weight, leverage=link.leverage,
                                price=price)
            if (side is Side.BUY and order.order_type.value == OrderType.MARKET.value
                    and market_type is MarketType.SPOT and self.om.broker(acc).capabilities.market_buy_by_quote):
                # the venue buys at market by the amount to spend only: the amount is the order, qty its estimate
                amount = open_amount(qty_per, inst, equity=equity, weight=link.weight, leverage=link.leverage)
                return OrderRequest(account_id=acc, symbol=symbol, side=side, order_type=OrderType.MARKET,
                                    quantity=qty, client_order_id=new_client_order_id(), quote_amount=amount,
                                    signal_id=run.signal.signal_id, group_name=run.signal.group_name or None)
        return OrderRequest(account_id=acc, symbol=symbol, side=side, order_type=OrderType(order.order_type.value),
                            quantity=qty, client_order_id=new_client_order_id(), price=order.price,
                            stop_price=order.stop_price, reduce_only=reduce_only, signal_id=run.signal.signal_id,
                            group_name=run.signal.group_name or None)

    def _check_max_positions(self, run: _Run, link: AccountLink, symbol: str) -> None:
        """Refuse a position in a new symbol when the group already holds ``max_positions`` on the account.
        0 = no cap. Only symbols this group traded on the account count (cached from the journal)."""
        cap = link.max_positions
        if cap <= 0 or run.group is None:
            return
        # the venue's positions as the order manager tracks them, indexed by account (the portfolio's list
        # scans and sorts every account's positions: O(accounts) per order, O(accounts^2) per fan-out)
        positions = getattr(self.om, "positions", None) or self.portfolio.positions
        held = {p.symbol for p in positions(link.account_id) if p.quantity != 0}
        if symbol in held or len(held) < cap:
            return
        ours = self._group_symbols.get(run.group.group_name, {}).get(link.account_id, set())
        count = len((held & ours) - {symbol})
        if count >= cap:
            names = ", ".join(sorted(held & ours))
            raise SizingError(f"max_positions {cap} reached for group {run.group.group_name!r} ({names})")

    async def _await_quote(self, symbol: str, account_id: str) -> None:
        """A symbol nobody watches has no quote on a live venue yet: have its feed subscribe it and wait a
        moment for the first price (``MarketService.wait_quote``) instead of refusing the order at once."""
        if self.om.quote_for(account_id, symbol) is not None or self.market is None:
            return
        wait = getattr(self.market, "wait_quote", None)
        if wait is not None:
            await wait(symbol, self.om.price_venue(self.om.broker(account_id).venue), self.quote_wait_s)

    def _quote(self, symbol: str, account_id: str):
        """The quote the account's order is sized with: its price venue's (``OrderManager.quote_for``), else
        the market service's latest of that same venue; never another venue's."""
        quote = self.om.quote_for(account_id, symbol)
        if quote is None and self.market is not None:
            quote = self.market.last_quote(symbol, self.om.price_venue(self.om.broker(account_id).venue))
        return quote

    async def _group(self, name: str) -> tuple[StrategyGroup | None, list[AccountLink]]:
        """The group and its links (None, [] for no group). Raises ``UnknownGroup``."""
        if not name:
            return None, []
        if self.groups is not None:
            group = await self.groups.get_group(name)
            links = await self.groups.links(name) if group is not None else []
        else:
            group = await self.store.run(self.store.groups.get, name)
            links = await self.store.run(self.store.links.list, group_name=name) if group is not None else []
        if group is None:
            raise UnknownGroup(name)
        return group, links

    async def _links(self, signal: Signal, group: StrategyGroup | None, links: list[AccountLink]) -> list[AccountLink]:
        if group is not None and group.group_name not in self._group_symbols:
            self._group_symbols[group.group_name] = await self.store.run(_group_symbols, self.store,
                                                                         group.group_name)
        if signal.account_ids is None:
            return links
        by_id = {lk.account_id: lk for lk in links}
        return [by_id.get(a) or AccountLink(signal.group_name, a, ONE, ONE, 0) for a in signal.account_ids]

    # ---- records -----------------------------------------------------------------------------------
    def _record(self, signal: Signal, results: tuple[dict[str, Any], ...], duplicate: bool = False) -> SignalRecord:
        key, expires = (None, None) if duplicate else self._idempotency(signal, signal.ts_ms)
        return SignalRecord(signal_id=signal.signal_id, source=signal.source, group_name=signal.group_name,
                            payload=dict(signal.payload), ts_ms=signal.ts_ms, duplicate=duplicate,
                            results=results, idempotency_key=key, idempotency_expires_ms=expires if key else None)

    async def _save(self, run: _Run, results: list[AccountResult]) -> None:
        as_json = _as_json(results)
        if run.record_task is not None:
            await asyncio.gather(run.record_task, return_exceptions=True)
        try:
            await self.store.run(self.store.signals.save, self._record(run.signal, as_json))
        except Exception:  # noqa: BLE001 - the orders stand; the record is best effort but logged
            log.exception("could not record signal %s", run.signal.signal_id)
        self._publish(run.signal, as_json)

    async def _record_duplicate(self, signal: Signal, original: str) -> SignalOutcome:
        """Record ``signal`` as a duplicate of ``original`` (nothing executed) and answer with the original's
        results as they stand (live while it still fans out, else as recorded)."""
        run = self._runs.get(original)
        if run is not None:
            results = run.snapshot()
        else:
            record = await self.store.run(self.store.signals.get, original)
            results = [result_from_json(r) for r in (record.results if record is not None else ())]
        log.info("signal %s is a resend of %s: answered with its outcome, nothing executed", signal.signal_id,
                 original)
        await self.store.run(self.store.signals.save, self._record(signal, (), duplicate=True))
        self.bus.publish(SignalEvent(signal.signal_id, signal.source, signal.group_name, dict(signal.payload),
                                     signal.ts_ms, (), duplicate=True))
        return SignalOutcome(signal.signal_id, results, duplicate=True, duplicate_of=original)

    def _publish(self, signal: Signal, results: tuple[dict[str, Any], ...]) -> None:
        self.bus.publish(SignalEvent(signal.signal_id, signal.source, signal.group_name, dict(signal.payload),
                                     signal.ts_ms, results))

    def _keep(self, task: asyncio.Future[Any]) -> None:
        self._background.add(task)
        task.add_done_callback(self._background.discard)


def _request_fields(request: OrderRequest | None, symbol: str, side: str) -> dict[str, Any]:
    """The result fields of a refused order: its side, quantity and price once the request was built."""
    if request is None:
        return {"symbol": symbol, "side": side}
    return {"symbol": symbol, "side": request.side.value, "quantity": request.quantity, "price": request.price}


def _as_json(results: list[AccountResult]) -> tuple[dict[str, Any], ...]:
    """The results as JSON objects, built once for both the record and the event."""
    return tuple(r.to_json() for r in results)


def _group_symbols(store: Any, group_name: str) -> dict[str, set[str]]:
    """Worker-thread query: account -> symbols this group has ordered on it (for ``max_positions``)."""
    out: dict[str, set[str]] = {}
    for order in store.orders.list(group_name=group_name):
        out.setdefault(order.account_id, set()).add(order.symbol)
    return out


def new_signal(group_name: str, orders: tuple[SignalOrder, ...] | list[SignalOrder], source: SignalSource,
               payload: dict[str, Any] | None = None, account_ids: tuple[str, ...] | None = None,
               ts_ms: int | None = None) -> Signal:
    """A ``Signal`` with a fresh id (``sig-<16 hex>``) and the current time."""
    return Signal(signal_id=new_id("sig"), group_name=group_name, orders=tuple(orders), source=source,
                  ts_ms=now_ms() if ts_ms is None else ts_ms, payload=dict(payload or {}),
                  account_ids=account_ids)
