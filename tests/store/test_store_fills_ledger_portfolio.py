"""Fills and ledger idempotency, positions, balances, watchlist."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader_app.core import Balance, LedgerKind, Position

from store_factories import make_entry, make_fill

D = Decimal


def test_fill_round_trips_and_is_idempotent_by_account_and_trade_id(store):
    fill = make_fill()
    assert store.fills.add(fill) is True
    assert store.fills.add(make_fill(price=D("1"))) is False  # same (account, trade_id): nothing changes
    assert store.fills.list() == [fill]
    assert store.fills.add(make_fill(account_id="acc-2")) is True  # same trade id, other account
    assert len(store.fills.list()) == 2


def test_fill_list_filters_and_newest_first(store):
    store.fills.add(make_fill("t1", ts_ms=100, client_order_id="o1"))
    store.fills.add(make_fill("t2", ts_ms=300, client_order_id="o2"))
    store.fills.add(make_fill("t3", ts_ms=200, client_order_id="o1", account_id="acc-2"))
    store.fills.add(make_fill("t4", ts_ms=300, client_order_id="o1"))
    assert [f.trade_id for f in store.fills.list()] == ["t4", "t2", "t3", "t1"]
    assert [f.trade_id for f in store.fills.list(account_id="acc-1")] == ["t4", "t2", "t1"]
    assert [f.trade_id for f in store.fills.list(client_order_id="o1")] == ["t4", "t3", "t1"]
    assert [f.trade_id for f in store.fills.list(account_id="acc-1", client_order_id="o1", limit=1)] == ["t4"]


def test_ledger_round_trips_and_is_idempotent_by_entry_id(store):
    entry = make_entry()
    assert store.ledger.add(entry) is True
    assert store.ledger.add(make_entry(amount=D("-999"))) is False
    (got,) = store.ledger.list()
    assert got == entry
    assert got.cash_before + got.amount == got.cash_after


def test_ledger_list_newest_first_with_filters(store):
    store.ledger.add(make_entry("d", ts_ms=10, kind=LedgerKind.DEPOSIT))
    store.ledger.add(make_entry("b", ts_ms=20, kind=LedgerKind.BUY))
    store.ledger.add(make_entry("f", ts_ms=20, kind=LedgerKind.FEE))
    store.ledger.add(make_entry("x", ts_ms=30, account_id="acc-2", kind=LedgerKind.WITHDRAW))
    assert [(e.entry_id, e.kind) for e in store.ledger.list(account_id="acc-1")] == [
        ("f", LedgerKind.FEE),
        ("b", LedgerKind.BUY),
        ("d", LedgerKind.DEPOSIT),
    ]
    assert [e.entry_id for e in store.ledger.list(limit=2)] == ["x", "f"]


def test_position_round_trips_and_upserts(store):
    pos = Position("acc-1", "BTC/USDT", D("-0.00000001"), D("123456789.123456789"), D("-12.5"), D("1.1"), 42)
    store.positions.save(pos)
    assert store.positions.get("acc-1", "BTC/USDT") == pos
    moved = Position("acc-1", "BTC/USDT", D("0.5"), D("100"), D("3"), None, 43)
    store.positions.save(moved)
    assert store.positions.get("acc-1", "BTC/USDT") == moved
    assert store.positions.get("acc-1", "ETH/USDT") is None


def test_position_list_hides_flat_unless_asked(store):
    store.positions.save(Position("b", "ETH/USDT", D("2"), D("10")))
    store.positions.save(Position("a", "SOL/USDT", D("0"), D("0"), D("7.5")))
    store.positions.save(Position("a", "BTC/USDT", D("1"), D("5")))
    assert [(p.account_id, p.symbol) for p in store.positions.list()] == [("a", "BTC/USDT"), ("b", "ETH/USDT")]
    assert [(p.account_id, p.symbol) for p in store.positions.list(include_flat=True)] == [
        ("a", "BTC/USDT"),
        ("a", "SOL/USDT"),
        ("b", "ETH/USDT"),
    ]
    assert [p.symbol for p in store.positions.list(account_id="a", include_flat=True)] == ["BTC/USDT", "SOL/USDT"]


def test_balance_round_trips_upserts_and_filters(store):
    store.balances.save(Balance("a", "USDT", D("100000"), D("12.34567891")))
    store.balances.save(Balance("a", "KRW", D("100000000")))
    store.balances.save(Balance("b", "USD", D("5")))
    store.balances.save(Balance("a", "USDT", D("99000.5"), D("0")))
    assert store.balances.list(account_id="a") == [
        Balance("a", "KRW", D("100000000"), D("0")),
        Balance("a", "USDT", D("99000.5"), D("0")),
    ]
    assert len(store.balances.list()) == 3


def test_watchlist_keeps_order_and_replaces(store):
    assert store.watchlist.get() == []
    store.watchlist.set(["ETH/USDT", "005930", "AAPL"])
    assert store.watchlist.get() == ["ETH/USDT", "005930", "AAPL"]
    store.watchlist.set(["AAPL", "BTC/USDT"])
    assert store.watchlist.get() == ["AAPL", "BTC/USDT"]
    store.watchlist.set([])
    assert store.watchlist.get() == []


@pytest.mark.parametrize("bad", [["A", "A"], ["A", " "]])
def test_watchlist_bad_input_changes_nothing(store, bad):
    store.watchlist.set(["X"])
    with pytest.raises(ValueError):
        store.watchlist.set(bad)
    assert store.watchlist.get() == ["X"]
