"""Pre-trade risk rules (each a small class) and ``RiskBook``, which configures them per account.

Every rule follows ``RiskRule`` (``pipeline.py``): ``name`` and ``check(request, ctx)`` raising
``RiskRejected(rule, message, limit, value)`` whose message names the numbers. Money limits are
per quote currency (``{"USDT": 50000, "KRW": 50000000}``): an instrument quoted in a currency without a
limit is not limited by that rule (no FX conversion is guessed). Notional = quantity x
``ctx.reference_price`` (limit price, stop price, or ask/bid for MARKET; see ``tracking.reference_price``).

Rules:
- ``KillSwitchRule``: while the account's kill switch is tripped, refuses every order that does not
  strictly reduce a position (closing stays possible so the trader can flatten). Reset from the UI/REST.
- ``DailyLossLimit``: trips the kill switch when today's loss (UTC day) reaches the limit, then refuses.
- ``MaxOrderNotional``: quantity x reference price <= limit.
- ``MaxPositionNotional``: |position after the order| x reference price <= limit (orders that reduce the
  position always pass).
- ``MaxOpenOrders``: a resting order (not MARKET) is refused when the account already has ``limit`` open.
- ``OrdersPerSecond``: at most ``limit`` orders accepted per account in any sliding 1,000 ms window.

``RiskBook`` keeps each account's ``RiskLimits`` and kill-switch state in ``store.kv``
(``risk:limits:<account_id>``, ``risk:kill_switch:<account_id>``), builds the rule list for
``RiskPipeline(rules_for_account=book.rules_for)``, and publishes ``KillSwitchEvent`` when the switch trips
or is reset.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ...core.enums import OrderType, Side
from ...core.errors import RiskRejected, TraderError
from ...core.events import AccountSummaryEvent, KillSwitchEvent
from ...core.ids import now_ms
from ...core.money import ZERO, fmt, to_decimal
from ...core.orders import OrderRequest
from ...core.portfolio import RiskEvent
from .pipeline import RiskContext

log = logging.getLogger(__name__)

DAY_MS = 86_400_000


def order_notional(request: OrderRequest, ctx: RiskContext, rule: str) -> Decimal:
    """quantity x reference price (quote currency). Refuses (fail closed) when no price is known."""
    if ctx.reference_price <= 0:
        raise RiskRejected(rule, f"no reference price for {request.symbol} to check the order against")
    return request.quantity * ctx.reference_price


def reduces_position(request: OrderRequest, ctx: RiskContext) -> bool:
    """True if the order only shrinks the current position (never flips it or adds to it)."""
    held = ctx.position.quantity if ctx.position is not None else ZERO
    if held == 0:
        return False
    closing_side = Side.SELL if held > 0 else Side.BUY
    return request.side is closing_side and request.quantity <= abs(held)


@dataclass
class MaxOrderNotional:
    """Refuse an order whose notional exceeds ``limits[quote currency]``."""

    limits: Mapping[str, Decimal]
    name: str = "max_order_notional"

    def check(self, request: OrderRequest, ctx: RiskContext) -> None:
        limit = self.limits.get(ctx.currency)
        if limit is None:
            return
        notional = order_notional(request, ctx, self.name)
        if notional > limit:
            raise RiskRejected(self.name, f"order notional {fmt(notional, 2)} {ctx.currency} exceeds the limit "
                               f"{fmt(limit)} {ctx.currency}", limit, notional)


@dataclass
class MaxPositionNotional:
    """Refuse an order after which |position| x reference price would exceed ``limits[quote currency]``."""

    limits: Mapping[str, Decimal]
    name: str = "max_position_notional"

    def check(self, request: OrderRequest, ctx: RiskContext) -> None:
        limit = self.limits.get(ctx.currency)
        if limit is None or reduces_position(request, ctx):
            return
        held = ctx.position.quantity if ctx.position is not None else ZERO
        after = held + request.quantity * request.side.sign
        if abs(after) <= abs(held):
            return
        if ctx.reference_price <= 0:
            raise RiskRejected(self.name, f"no reference price for {request.symbol} to check the position against")
        notional = abs(after) * ctx.reference_price
        if notional > limit:
            raise RiskRejected(self.name, f"position notional after the order {fmt(notional, 2)} {ctx.currency} "
                               f"({fmt(after)} {request.symbol}) exceeds the limit {fmt(limit)} {ctx.currency}",
                               limit, notional)


@dataclass
class MaxOpenOrders:
    """Refuse a resting order (LIMIT/STOP_*) when the account already has ``limit`` open orders."""

    limit: int
    name: str = "max_open_orders"

    def check(self, request: OrderRequest, ctx: RiskContext) -> None:
        if request.order_type is OrderType.MARKET:
            return
        count = sum(1 for o in ctx.open_orders if o.account_id == ctx.account_id and o.is_open)
        if count >= self.limit:
            raise RiskRejected(self.name, f"{count} open orders; the limit is {self.limit}",
                               Decimal(self.limit), Decimal(count))


@dataclass
class OrdersPerSecond:
    """At most ``limit`` orders per sliding 1,000 ms window (an order refused here is not counted).

    One instance per account (it remembers the times of the orders it let through)."""

    limit: int
    window_ms: int = 1000
    name: str = "orders_per_second"
    _times: deque = field(default_factory=deque, repr=False)

    def check(self, request: OrderRequest, ctx: RiskContext) -> None:
        while self._times and ctx.now_ms - self._times[0] >= self.window_ms:
            self._times.popleft()
        if len(self._times) >= self.limit:
            raise RiskRejected(self.name, f"{len(self._times)} orders in the last {self.window_ms} ms; "
                               f"the limit is {self.limit}", Decimal(self.limit), Decimal(len(self._times) + 1))
        self._times.append(ctx.now_ms)


@dataclass
class KillSwitchState:
    """A tripped kill switch: why, the loss that tripped it (quote currency) and when (epoch ms)."""

    reason: str
    ts_ms: int
    loss: Decimal | None = None
    currency: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"tripped": True, "reason": self.reason, "ts_ms": self.ts_ms,
                "loss": None if self.loss is None else str(self.loss), "currency": self.currency}


@dataclass
class KillSwitchRule:
    """Refuse every order that does not strictly reduce a position while the account's switch is tripped."""

    book: "RiskBook"
    account_id: str
    name: str = "kill_switch"

    def check(self, request: OrderRequest, ctx: RiskContext) -> None:
        state = self.book.kill_switch(self.account_id)
        if state is None or reduces_position(request, ctx):
            return
        raise RiskRejected(self.name, f"kill switch tripped ({state.reason}); new orders are blocked until it is reset")


@dataclass
class DailyLossLimit:
    """Trip the kill switch when today's loss in the quote currency reaches ``limits[currency]``.

    Today's PnL comes from ``book.day_pnl(account_id, currency)`` (the portfolio's day PnL when wired);
    without it, from the equity at the first check of the UTC day (see ``RiskBook.day_loss``)."""

    book: "RiskBook"
    account_id: str
    limits: Mapping[str, Decimal]
    name: str = "daily_loss_limit"

    def check(self, request: OrderRequest, ctx: RiskContext) -> None:
        limit = self.limits.get(ctx.currency)
        if limit is None or reduces_position(request, ctx):
            return
        loss = self.book.day_loss(self.account_id, ctx.currency, ctx.equity, ctx.now_ms)
        if loss >= limit:
            self.book.trip(self.account_id, f"daily loss {fmt(loss, 2)} {ctx.currency} reached the limit "
                           f"{fmt(limit)} {ctx.currency}", loss, ctx.currency)
            raise RiskRejected(self.name, f"today's loss {fmt(loss, 2)} {ctx.currency} reached the limit "
                               f"{fmt(limit)} {ctx.currency}; kill switch tripped", limit, loss)


@dataclass(frozen=True)
class RiskLimits:
    """One account's limits; None / empty = that rule is off. Money per quote currency (Decimal)."""

    max_order_notional: dict[str, Decimal] = field(default_factory=dict)
    max_position_notional: dict[str, Decimal] = field(default_factory=dict)
    max_open_orders: int | None = None
    max_orders_per_second: int | None = None
    daily_loss_limit: dict[str, Decimal] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON-able form (money as decimal strings), the shape ``from_json`` reads."""
        money = lambda d: {k: str(v) for k, v in sorted(d.items())}  # noqa: E731
        return {"max_order_notional": money(self.max_order_notional),
                "max_position_notional": money(self.max_position_notional),
                "max_open_orders": self.max_open_orders, "max_orders_per_second": self.max_orders_per_second,
                "daily_loss_limit": money(self.daily_loss_limit)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> "RiskLimits":
        """Parse (and validate) the JSON form. Raises ``TraderError`` naming the bad field."""
        data = dict(data or {})
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise TraderError(f"unknown risk limit(s): {', '.join(sorted(unknown))}")

        def money(key: str) -> dict[str, Decimal]:
            raw = data.get(key) or {}
            if not isinstance(raw, Mapping):
                raise TraderError(f"{key} must map a currency to an amount, e.g. {{\"USDT\": \"50000\"}}")
            out = {}
            for ccy, value in raw.items():
                try:
                    amount = to_decimal(value, f"{key}.{ccy}")
                except ValueError as exc:
                    raise TraderError(str(exc)) from None
                if amount <= 0:
                    raise TraderError(f"{key}.{ccy} must be > 0, got {value!r}")
                out[str(ccy).upper()] = amount
            return out

        def count(key: str) -> int | None:
            value = data.get(key)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise TraderError(f"{key} must be an integer >= 1 or null, got {value!r}")
            return value

        return cls(money("max_order_notional"), money("max_position_notional"), count("max_open_orders"),
                   count("max_orders_per_second"), money("daily_loss_limit"))


class RiskBook:
    """Per-account risk configuration and kill-switch state (see the module docstring).

    ``store``: the Store (kv); ``bus``: publishes ``KillSwitchEvent``; ``day_pnl(account_id, currency)`` ->
    today's PnL (negative = loss) or None when unknown. Call ``await load()`` at start-up.
    """

    def __init__(self, store: Any, bus: Any = None, day_pnl: Callable[[str, str], Decimal | None] | None = None,
                 clock: Callable[[], int] = now_ms) -> None:
        self.store = store
        self.bus = bus
        self.day_pnl = day_pnl
        self.clock = clock
        self._limits: dict[str, RiskLimits] = {}
        self._rules: dict[str, list[Any]] = {}
        self._kill: dict[str, KillSwitchState] = {}
        self._base: dict[tuple[str, str, int, bool], tuple[Decimal, int]] = {}  # loss baseline, set at ms
        self._reset_ms: dict[str, int] = {}
        self._pending: set[asyncio.Task[Any]] = set()
        if bus is not None:
            bus.subscribe(AccountSummaryEvent, self._on_summary)

    async def load(self) -> None:
        """Read every account's limits and kill-switch state from ``store.kv``."""
        accounts = await self.store.run(self.store.accounts.list)
        for acc in accounts:
            raw = await self.store.run(self.store.kv.get, f"risk:limits:{acc.account_id}")
            if raw:
                try:
                    self._limits[acc.account_id] = RiskLimits.from_json(raw)
                except TraderError:
                    log.exception("stored risk limits of %s are invalid; using none", acc.account_id)
            ks = await self.store.run(self.store.kv.get, f"risk:kill_switch:{acc.account_id}")
            if ks and ks.get("reset_ms") is not None:
                self._reset_ms[acc.account_id] = int(ks["reset_ms"])
            if ks and ks.get("tripped"):
                loss = ks.get("loss")
                self._kill[acc.account_id] = KillSwitchState(str(ks.get("reason", "")), int(ks.get("ts_ms", 0)),
                                                             Decimal(loss) if loss is not None else None,
                                                             str(ks.get("currency", "")))
        self._rules.clear()

    def limits(self, account_id: str) -> RiskLimits:
        return self._limits.get(account_id, RiskLimits())

    async def set_limits(self, account_id: str, limits: RiskLimits) -> None:
        """Persist and apply new limits for the account (its rule list is rebuilt)."""
        await self.store.run(self.store.kv.set, f"risk:limits:{account_id}", limits.to_json())
        self._limits[account_id] = limits
        self._rules.pop(account_id, None)

    def rules_for(self, account_id: str) -> list[Any]:
        """The account's rules in the order they run (for ``RiskPipeline(rules_for_account=...)``)."""
        rules = self._rules.get(account_id)
        if rules is None:
            lim = self.limits(account_id)
            rules = [KillSwitchRule(self, account_id)]
            if lim.daily_loss_limit:
                rules.append(DailyLossLimit(self, account_id, lim.daily_loss_limit))
            if lim.max_order_notional:
                rules.append(MaxOrderNotional(lim.max_order_notional))
            if lim.max_position_notional:
                rules.append(MaxPositionNotional(lim.max_position_notional))
            if lim.max_open_orders:
                rules.append(MaxOpenOrders(lim.max_open_orders))
            if lim.max_orders_per_second:
                rules.append(OrdersPerSecond(lim.max_orders_per_second))
            self._rules[account_id] = rules
        return rules

    # ---- kill switch -------------------------------------------------------------------------------
    def kill_switch(self, account_id: str) -> KillSwitchState | None:
        """The tripped state, or None when orders may flow."""
        return self._kill.get(account_id)

    def trip(self, account_id: str, reason: str, loss: Decimal | None = None, currency: str = "") -> None:
        """Trip the account's kill switch (idempotent): persisted in kv, ``KillSwitchEvent`` published."""
        if account_id in self._kill:
            return
        state = KillSwitchState(reason, self.clock(), loss, currency)
        self._kill[account_id] = state
        self._persist(f"risk:kill_switch:{account_id}", state.to_json())
        self._record("kill_switch_tripped", account_id, reason, state.ts_ms)
        if self.bus is not None:
            self.bus.publish(KillSwitchEvent(account_id, True, reason, loss))

    async def reset(self, account_id: str) -> None:
        """Reset the kill switch: orders flow again and today's loss is measured afresh from this moment
        (otherwise the same loss would trip the switch again on the next order)."""
        self._kill.pop(account_id, None)
        self._reset_ms[account_id] = self.clock()
        await self.store.run(self.store.kv.set, f"risk:kill_switch:{account_id}",
                             {"tripped": False, "reset_ms": self._reset_ms[account_id]})
        self._record("kill_switch_reset", account_id, "reset", self._reset_ms[account_id])
        if self.bus is not None:
            self.bus.publish(KillSwitchEvent(account_id, False, "reset"))

    def day_loss(self, account_id: str, currency: str, equity: Decimal, ts_ms: int) -> Decimal:
        """Today's loss (>= 0, quote currency) since the start of the UTC day or the last reset that day.

        With ``day_pnl`` wired: ``base - day_pnl`` where base is 0 (day start) or the day PnL at the first check
        after a reset. Without it: the drop of ``equity`` since the first value seen this day (or after a reset).
        """
        pnl = self.day_pnl(account_id, currency) if self.day_pnl is not None else None
        measure = equity if pnl is None else pnl
        day = ts_ms // DAY_MS
        key = (account_id, currency, day, pnl is None)
        reset = self._reset_ms.get(account_id, -1)
        base = self._base.get(key)
        if base is None or base[1] < reset:
            from_day_start = pnl is not None and reset < day * DAY_MS
            base = (ZERO if from_day_start else measure, ts_ms)
            self._base[key] = base
        return max(ZERO, base[0] - measure)

    def _on_summary(self, event: AccountSummaryEvent) -> None:
        s = event.summary
        limit = self.limits(s.account_id).daily_loss_limit.get(s.currency)
        if limit is None or s.account_id in self._kill:
            return
        loss = self.day_loss(s.account_id, s.currency, s.equity, self.clock())
        if loss >= limit:
            self.trip(s.account_id, f"daily loss {fmt(loss, 2)} {s.currency} reached the limit {fmt(limit)} {s.currency}",
                      loss, s.currency)

    def trip_all(self, account_ids: Iterable[str], reason: str) -> None:
        """Trip the kill switch of every account in ``account_ids`` with ``reason`` (a store that cannot be
        written stops them all)."""
        for account_id in account_ids:
            self.trip(account_id, reason)

    def _persist(self, key: str, value: Any) -> None:
        self._write(self.store.kv.set, key, value)

    def _record(self, kind: str, account_id: str, reason: str, ts_ms: int) -> None:
        """Add the trip or reset to ``store.risk_events`` (the reports list them)."""
        self._write(self.store.risk_events.add, RiskEvent(ts_ms, account_id, kind, reason))

    def _write(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            fn(*args)  # no loop (CLI/tests): write directly
            return
        task = loop.create_task(self.store.run(fn, *args))
        self._pending.add(task)
        task.add_done_callback(self._persisted)

    def _persisted(self, task: asyncio.Task[Any]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:  # the switch holds in memory all the same
            log.error("the kill switch state could not be saved: %s", task.exception())

    async def drain(self) -> None:
        """Wait for kill-switch writes still in flight (shutdown, tests)."""
        while self._pending:
            await asyncio.gather(*tuple(self._pending), return_exceptions=True)
