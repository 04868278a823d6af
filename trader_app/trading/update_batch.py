"""Persisting a batch of order-book changes in ONE store job (run on the store's worker thread).

The ``OrderManager`` collects, per turn of the event loop, every venue report of every account (order,
fill, balance, position and ledger updates, and the acknowledgements of ``place_order``/``cancel``) and
hands them here as ``Op`` s, in arrival order. ``persist_batch`` applies the same rules the manager applies
one update at a time (DESIGN.md "The one path of an order"):

- a fill is stored once per (account, trade id) (``fills.add_many``); a repeated one changes nothing. A new
  fill of a tracked, non-final order that does not overfill it advances the order (``Order.with_fill``);
- an order report is merged into the tracked order (``merge_order``: stale or identical reports change
  nothing); an order not given in ``current`` is read from the journal;
- balances and positions are saved as reported; a ledger entry is stored once per entry id;
- for positions ``derive`` says are derived (venues that report only fills), each new fill also moves the position
  (``core/position_math.apply_fill`` on the saved one, less a commission paid in the base asset), saved with
  the batch;

then writes every changed order, balance and position (one executemany each) and returns one ``Outcome``
per op, in order, for the manager to track and publish. Pure apart from the store calls: it reads and
mutates nothing of the manager, so it is safe on the worker thread.
"""

from __future__ import annotations

from collections.abc import Callable

import logging
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from ..core.orders import Fill, Order, is_lost
from ..core.position_math import apply_fill, base_commission, flat, pay_in_base
from ..core.portfolio import Balance, LedgerEntry, Position
from .tracking import merge_order

log = logging.getLogger(__name__)

Key = tuple[str, str]

ORDER, FILL, BALANCE, POSITION, LEDGER = "order", "fill", "balance", "position", "ledger"


@dataclass(frozen=True, slots=True)
class Op:
    """One change to persist: ``kind`` is ORDER (``item`` an ``Order`` as reported), FILL (a ``Fill``),
    BALANCE, POSITION or LEDGER (a ``Balance``, ``Position``, ``LedgerEntry``)."""

    kind: str
    item: Any


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one op did. ``order``: the order as tracked afterwards (ORDER: the merged order, also when
    unchanged; FILL: the advanced order, or None if the fill did not change an order); ``changed``: the order
    was saved (publish an ``OrderEvent``); ``stored``: FILL/LEDGER: new (publish it), False for a repeat;
    BALANCE/POSITION: always True; ``position``: the derived position a new fill moved (publish it)."""

    op: Op
    order: Order | None = None
    changed: bool = False
    stored: bool = True
    position: Position | None = None  # FILL of an account in ``derive``: the position it moved to


def persist_batch(store: Any, ops: list[Op], current: dict[Key, Order | None],
                  derive: Callable[[str, str], bool] = lambda _account, _symbol: False) -> list[Outcome]:
    """Apply ``ops`` in order (see the module docstring) and write the results. ``current``: the tracked
    order of each key the ops name, as the manager knows it (None = not tracked: read from the journal);
    ``derive(account_id, symbol)``: whether that position is derived from the fills (the venue reports none).
    Runs inside one store job, so everything is committed together or not at all. Database errors
    propagate (nothing of the batch is stored)."""
    fills = [op.item for op in ops if op.kind == FILL]
    entries = [op.item for op in ops if op.kind == LEDGER]
    fill_new = iter(store.fills.add_many(fills)) if fills else iter(())
    entry_new = iter(store.ledger.add_many(entries)) if entries else iter(())
    orders: dict[Key, Order | None] = {k: v for k, v in current.items() if v is not None}

    def tracked(key: Key) -> Order | None:
        if key not in orders:  # not tracked by the manager: the journal's version (None if unknown), read once
            orders[key] = store.orders.get(key[0], key[1])
        return orders[key]

    saved: list[Order] = []
    balances: list[Balance] = []
    positions: list[Position] = []
    derived: dict[Key, Position] = {}
    out: list[Outcome] = []
    for op in ops:
        if op.kind == ORDER:
            reported: Order = op.item
            key = (reported.account_id, reported.client_order_id)
            merged, changed = merge_order(tracked(key), reported)
            if changed:
                orders[key] = merged
                saved.append(merged)
            out.append(Outcome(op, merged, changed))
        elif op.kind == FILL:
            fill: Fill = op.item
            if not next(fill_new):
                out.append(Outcome(op, stored=False))  # a repeated report of a known trade id
                continue
            advanced = _advance(tracked((fill.account_id, fill.client_order_id)), fill)
            if advanced is not None:
                orders[(fill.account_id, fill.client_order_id)] = advanced
                saved.append(advanced)
            moved = None
            if derive(fill.account_id, fill.symbol):
                key = (fill.account_id, fill.symbol)
                held = derived.get(key) or store.positions.get(*key) or flat(*key)
                moved, _ = apply_fill(held, fill.side, fill.quantity, fill.price, fill.ts_ms)
                moved = pay_in_base(moved, base_commission(fill.symbol, fill.commission, fill.commission_asset))
                derived[key] = moved
            out.append(Outcome(op, advanced, advanced is not None, position=moved))
        elif op.kind == BALANCE:
            balances.append(op.item)
            out.append(Outcome(op))
        elif op.kind == POSITION:
            positions.append(op.item)
            out.append(Outcome(op))
        elif op.kind == LEDGER:
            entry: LedgerEntry = op.item
            out.append(Outcome(op, stored=next(entry_new)))
        else:
            raise ValueError(f"unknown op kind {op.kind!r}")
    if saved:
        store.orders.save_many(saved)
    if balances:
        store.balances.save_many(balances)
    positions += derived.values()
    if positions:
        store.positions.save_many(positions)
    return out


def _advance(order: Order | None, fill: Fill) -> Order | None:
    """The order with ``fill`` applied, or None when the fill does not move it (unknown or final order, fill
    already counted, or it would overfill: the venue's own order report decides then)."""
    if order is None or fill.trade_id in order.fill_ids or (order.status.is_final and not is_lost(order)):
        return None
    if order.filled_qty + fill.quantity > order.quantity:
        if order.quote_amount is not None and _spent(order) + fill.quantity * fill.price <= order.quote_amount:
            # bought by amount: the quantity was an estimate, the amount is the bound
            return replace(order, quantity=order.filled_qty + fill.quantity).with_fill(fill)
        log.warning("fill %s exceeds order %s; order left to the venue's report", fill.trade_id, fill.client_order_id)
        return None
    return order.with_fill(fill)


def _spent(order: Order) -> Decimal:
    """What an order's fills cost so far (quote currency)."""
    return order.filled_qty * order.avg_fill_price if order.avg_fill_price is not None else Decimal(0)
