"""Accounts and the order journal."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from trader_app.core import AccountMode, Balance, OrderStatus, OrderType, Position, Side, TimeInForce
from trader_app.core.groups import AccountLink, StrategyGroup
from trader_app.core.enums import MarketType

from store_factories import make_account, make_entry, make_fill, make_order


def test_account_round_trips_every_field(store):
    acc = make_account(mode=AccountMode.TESTNET, base_currency="KRW", enabled=False)
    store.accounts.save(acc)
    assert store.accounts.get("acc-1") == acc
    assert store.accounts.get("nope") is None


def test_account_save_is_an_upsert_and_list_keeps_creation_order(store):
    store.accounts.save(make_account("b", name="B"))
    store.accounts.save(make_account("a", name="A"))
    store.accounts.save(make_account("b", name="B renamed", settings={}))
    assert [(a.account_id, a.name, a.settings) for a in store.accounts.list()] == [
        ("b", "B renamed", {}),
        ("a", "A", {"commission_rate": "0.001", "slippage_rate": "0.0005"}),
    ]


def test_account_delete_removes_its_records_only(store):
    for acc_id in ("a", "b"):
        store.accounts.save(make_account(acc_id))
        store.orders.save(make_order("o", account_id=acc_id))
        store.fills.add(make_fill("t", account_id=acc_id))
        store.positions.save(Position(acc_id, "BTC/USDT", Decimal(1), Decimal(2)))
        store.balances.save(Balance(acc_id, "USDT", Decimal(5)))
        store.ledger.add(make_entry(f"l-{acc_id}", account_id=acc_id))
    store.groups.save(StrategyGroup("g", MarketType.SPOT))
    store.links.add(AccountLink("g", "a", Decimal("0.5")))
    store.links.add(AccountLink("g", "b", Decimal("0.5")))

    assert store.accounts.delete("a") is True
    assert store.accounts.delete("a") is False
    assert [a.account_id for a in store.accounts.list()] == ["b"]
    assert [o.account_id for o in store.orders.list()] == ["b"]
    assert [f.account_id for f in store.fills.list()] == ["b"]
    assert [p.account_id for p in store.positions.list()] == ["b"]
    assert [b.account_id for b in store.balances.list()] == ["b"]
    assert [e.account_id for e in store.ledger.list()] == ["b"]
    assert [link.account_id for link in store.links.list()] == ["b"]


def test_order_round_trips_every_field_exactly(store):
    order = make_order()
    store.orders.save(order)
    got = store.orders.get("acc-1", "ta-1")
    assert got == order
    assert got.quantity.as_tuple() == Decimal("0.00000001").as_tuple()
    assert got.price == Decimal("123456789.123456789")
    assert store.orders.find("ta-1") == order


def test_order_with_none_prices_and_defaults_round_trips(store):
    order = make_order(
        order_type=OrderType.MARKET,
        price=None,
        stop_price=None,
        avg_fill_price=None,
        status=OrderStatus.PENDING_SUBMIT,
        time_in_force=TimeInForce.GTC,
        signal_id=None,
        group_name=None,
        fill_ids=(),
        filled_qty=Decimal(0),
        reduce_only=False,
        triggered=False,
        venue_order_id="",
    )
    store.orders.save(order)
    assert store.orders.get("acc-1", "ta-1") == order


def test_order_save_upserts_by_account_and_client_order_id(store):
    store.orders.save(make_order(status=OrderStatus.NEW, fill_ids=()))
    store.orders.save(make_order("ta-1", account_id="acc-2", status=OrderStatus.NEW))
    filled = make_order(status=OrderStatus.FILLED, filled_qty=Decimal("0.00000001"), fill_ids=("t-1", "t-2", "t-3"))
    store.orders.save(filled)
    assert len(store.orders.list()) == 2
    assert store.orders.get("acc-1", "ta-1") == filled
    assert store.orders.get("acc-2", "ta-1").status is OrderStatus.NEW
    assert store.orders.get("acc-1", "missing") is None
    assert store.orders.find("missing") is None


def _journal(store):
    rows = [
        ("o1", "a", OrderStatus.FILLED, "g1", "s1", 1000),
        ("o2", "a", OrderStatus.NEW, "g1", "s1", 2000),
        ("o3", "b", OrderStatus.PENDING_SUBMIT, "g2", "s2", 3000),
        ("o4", "b", OrderStatus.CANCELLED, None, None, 4000),
        ("o5", "a", OrderStatus.PARTIALLY_FILLED, "g2", "s2", 5000),
        ("o6", "a", OrderStatus.REJECTED, "g1", None, 5000),  # same time as o5, saved later
    ]
    for cid, acc, status, group, sig, ts in rows:
        store.orders.save(make_order(cid, account_id=acc, status=status, group_name=group, signal_id=sig, created_ms=ts))


def _ids(orders):
    return [o.client_order_id for o in orders]


def test_order_list_newest_first_and_filters(store):
    _journal(store)
    assert _ids(store.orders.list()) == ["o6", "o5", "o4", "o3", "o2", "o1"]
    assert _ids(store.orders.list(open_only=True)) == ["o5", "o3", "o2"]
    assert _ids(store.orders.list(account_id="a")) == ["o6", "o5", "o2", "o1"]
    assert _ids(store.orders.list(account_id="a", open_only=True)) == ["o5", "o2"]
    assert _ids(store.orders.list(status=OrderStatus.CANCELLED)) == ["o4"]
    assert _ids(store.orders.list(status="FILLED")) == ["o1"]
    assert _ids(store.orders.list(group_name="g1")) == ["o6", "o2", "o1"]
    assert _ids(store.orders.list(group_name="g2", account_id="b")) == ["o3"]
    assert _ids(store.orders.list(signal_id="s2")) == ["o5", "o3"]
    assert _ids(store.orders.list(limit=2)) == ["o6", "o5"]
    assert _ids(store.orders.list(account_id="zzz")) == []


def test_order_list_rejects_an_unknown_status(store):
    with pytest.raises(ValueError):
        store.orders.list(status="HALF_DONE")


def test_side_and_enums_stored_as_their_values(store):
    from sqlalchemy import text

    store.orders.save(make_order(side=Side.SELL))
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT side, order_type, status, time_in_force, fill_ids FROM orders")).one()
    assert tuple(row) == ("SELL", "STOP_LIMIT", "PARTIALLY_FILLED", "IOC", '["t-1","t-2"]')


def test_order_with_replace_then_save_keeps_created_time(store):
    order = make_order(status=OrderStatus.NEW, fill_ids=())
    store.orders.save(order)
    store.orders.save(order.with_status(OrderStatus.CANCELLED, 1_700_000_009_000))
    got = store.orders.get("acc-1", "ta-1")
    assert (got.status, got.created_ms, got.updated_ms) == (OrderStatus.CANCELLED, 1_700_000_000_123, 1_700_000_009_000)
    assert got == replace(order, status=OrderStatus.CANCELLED, updated_ms=1_700_000_009_000)
