"""The batch writes (``*_many``): same results as the one-row methods, in order, atomically."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from trader_app.core import Balance, OrderStatus, Position

from store_factories import make_entry, make_fill, make_order

D = Decimal


def test_orders_insert_new_many_journals_only_new_ids_first_one_wins(store):
    store.orders.save(make_order("ta-old"))
    new = [make_order("ta-a"), make_order("ta-old", symbol="ETH/USDT"), make_order("ta-b"),
           make_order("ta-a", symbol="SOL/USDT"), make_order("ta-a", account_id="acc-2")]
    assert store.orders.insert_new_many(new) == [True, False, True, False, True]
    assert store.orders.get("acc-1", "ta-a") == new[0]
    assert store.orders.get("acc-1", "ta-old").symbol == "BTC/USDT"  # unchanged
    assert store.orders.get("acc-2", "ta-a") == new[4]
    assert store.orders.insert_new_many([]) == []


def test_orders_save_many_upserts_in_order_last_version_wins_and_keeps_row_order(store):
    first = make_order("ta-1", created_ms=5)
    store.orders.save(first)
    second = make_order("ta-2", created_ms=5)
    filled = replace(first, status=OrderStatus.FILLED, filled_qty=first.quantity, updated_ms=9)
    store.orders.save_many([replace(first, updated_ms=7), second, filled])
    assert store.orders.get("acc-1", "ta-1") == filled
    assert [o.client_order_id for o in store.orders.list()] == ["ta-2", "ta-1"]  # same created_ms: insertion order


def test_fills_and_ledger_add_many_are_idempotent_like_add(store):
    store.fills.add(make_fill("t0"))
    assert store.fills.add_many([make_fill("t1"), make_fill("t0", price=D("1")), make_fill("t1", price=D("2")),
                                 make_fill("t1", account_id="acc-2")]) == [True, False, False, True]
    assert {(f.account_id, f.trade_id, f.price) for f in store.fills.list()} == {
        ("acc-1", "t0", make_fill().price), ("acc-1", "t1", make_fill().price), ("acc-2", "t1", make_fill().price)}
    store.ledger.add(make_entry(entry_id="e0"))
    assert store.ledger.add_many([make_entry(entry_id="e0"), make_entry(entry_id="e1"),
                                  make_entry(entry_id="e1", amount=D("-5"))]) == [False, True, False]
    assert sorted(e.entry_id for e in store.ledger.list()) == ["e0", "e1"]


def test_balances_and_positions_save_many_upsert(store):
    store.balances.save_many([Balance("a1", "USDT", D("10")), Balance("a1", "KRW", D("5")),
                              Balance("a1", "USDT", D("12.5"), D("1"))])
    assert store.balances.list() == [Balance("a1", "KRW", D("5")), Balance("a1", "USDT", D("12.5"), D("1"))]
    store.positions.save_many([Position("a1", "BTC/USDT", D("0.5"), D("30000")),
                               Position("a1", "BTC/USDT", D("0"), D("0"), realized_pnl=D("12"))])
    assert store.positions.list(include_flat=True) == [Position("a1", "BTC/USDT", D("0"), D("0"), realized_pnl=D("12"))]


def test_a_bad_row_in_a_many_call_writes_nothing(store):
    with pytest.raises(Exception):
        store.balances.save_many([Balance("a1", "USDT", D("1")), Balance("a1", "KRW", 1.5)])  # a float is not money
    assert store.balances.list() == []
    with pytest.raises(Exception):
        store.fills.add_many([make_fill("t1"), make_fill("t2", price=2.5)])
    assert store.fills.list() == []
