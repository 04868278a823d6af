"""Quit, restart, and everything is as it was: every repository survives close and reopen of the file."""

from __future__ import annotations

from decimal import Decimal

from trader_app.core import Balance, Interval, MarketType, OrderStatus, Position, SignalSource
from trader_app.core.groups import AccountLink, SignalRecord, StrategyGroup, StrategyInstanceRecord
from trader_app.store import Store

from store_factories import make_account, make_bar, make_entry, make_fill, make_order

D = Decimal


def _fill_everything(store: Store) -> dict:
    expected = {
        "account": make_account(),
        "order": make_order(),
        "open_order": make_order("ta-2", status=OrderStatus.NEW, fill_ids=(), created_ms=1_700_000_100_000),
        "fill": make_fill(),
        "position": Position("acc-1", "BTC/USDT", D("0.00000001"), D("123456789.123456789"), D("1.5"), D("2"), 9),
        "balances": [Balance("acc-1", "KRW", D("100000000")), Balance("acc-1", "USDT", D("99998.7654321"), D("10.5"))],
        "entry": make_entry(),
        "watchlist": ["BTC/USDT", "005930", "AAPL"],
        "bars": [make_bar(i * 60_000, close=D(i) + D("0.000001")) for i in range(50)],
        "group": StrategyGroup("trend", MarketType.SPOT, "d", True, 5),
        "link": AccountLink("trend", "acc-1", D("0.25"), D("1"), 2),
        "signal": SignalRecord("sig-1", SignalSource.WEBHOOK, "trend", {"qty_per": "10"}, 7, False, ({"s": "FILLED"},)),
        "instance": StrategyInstanceRecord("i", "sma_cross", "trend", ("BTC/USDT",), Interval.M5, {"fast": 5}, {"n": 1}, True),
    }
    store.accounts.save(expected["account"])
    store.orders.save(expected["order"])
    store.orders.save(expected["open_order"])
    store.fills.add(expected["fill"])
    store.positions.save(expected["position"])
    for b in expected["balances"]:
        store.balances.save(b)
    store.ledger.add(expected["entry"])
    store.watchlist.set(expected["watchlist"])
    store.bars.save(expected["bars"])
    store.groups.save(expected["group"])
    store.links.add(expected["link"])
    store.signals.save(expected["signal"])
    store.strategy_instances.save(expected["instance"])
    store.kv.set("layout", {"state": "abc"})
    return expected


def _assert_everything(store: Store, e: dict) -> None:
    assert store.accounts.list() == [e["account"]]
    assert store.orders.list() == [e["open_order"], e["order"]]
    assert store.orders.list(open_only=True) == [e["open_order"], e["order"]]
    assert store.fills.list() == [e["fill"]]
    assert store.positions.list() == [e["position"]]
    assert store.balances.list() == e["balances"]
    assert store.ledger.list() == [e["entry"]]
    assert store.watchlist.get() == e["watchlist"]
    assert store.bars.load("BTC/USDT", Interval.M1) == e["bars"]
    assert store.groups.list() == [e["group"]]
    assert store.links.list() == [e["link"]]
    assert store.signals.list() == [e["signal"]]
    assert store.strategy_instances.list() == [e["instance"]]
    assert store.kv.get("layout") == {"state": "abc"}


def test_everything_survives_close_and_reopen(db_path):
    first = Store.open(db_path)
    expected = _fill_everything(first)
    _assert_everything(first, expected)
    first.close()

    second = Store.open(db_path)
    try:
        _assert_everything(second, expected)
        # and it keeps working: idempotency keys are still known after the restart
        assert second.fills.add(expected["fill"]) is False
        assert second.ledger.add(expected["entry"]) is False
    finally:
        second.close()


def test_reopen_from_the_data_directory(data_home):
    with Store.open() as store:  # TRADER_APP_HOME/trader.db
        store.watchlist.set(["AAPL"])
    assert (data_home / "trader.db").is_file()
    with Store.open(data_home) as store:  # a directory means <dir>/trader.db
        assert store.watchlist.get() == ["AAPL"]
