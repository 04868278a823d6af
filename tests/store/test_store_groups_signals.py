"""Strategy groups, links, signals, strategy instances and the key/value table."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader_app.core import DuplicateLink, Interval, MarketType, SignalSource, TraderError
from trader_app.core.groups import AccountLink, SignalRecord, StrategyGroup, StrategyInstanceRecord

D = Decimal


def test_group_round_trips_upserts_lists_by_name(store):
    g = StrategyGroup("trend", MarketType.FUTURES, "BTC trend", enabled=False, created_ms=1_700_000_000_000)
    store.groups.save(g)
    store.groups.save(StrategyGroup("alpha", MarketType.SPOT))
    assert store.groups.get("trend") == g
    store.groups.save(StrategyGroup("trend", MarketType.STOCK, "changed"))
    assert store.groups.get("trend") == StrategyGroup("trend", MarketType.STOCK, "changed")
    assert [x.group_name for x in store.groups.list()] == ["alpha", "trend"]
    assert store.groups.get("missing") is None
    with pytest.raises(ValueError):
        store.groups.save(StrategyGroup(" ", MarketType.SPOT))


def test_link_round_trip_update_remove(store):
    store.groups.save(StrategyGroup("g", MarketType.FUTURES))
    link = AccountLink("g", "a", D("0.33333333"), D("2.5"), 3)
    store.links.add(link)
    assert store.links.list() == [link]
    store.links.update(AccountLink("g", "a", D("1"), D("1"), 1))
    assert store.links.list() == [AccountLink("g", "a", D("1"), D("1"), 1)]
    assert store.links.remove("g", "a") is True
    assert store.links.remove("g", "a") is False
    assert store.links.list() == []
    with pytest.raises(TraderError):
        store.links.update(link)


def test_duplicate_link_raises_and_changes_nothing(store):
    store.groups.save(StrategyGroup("g", MarketType.SPOT))
    first = AccountLink("g", "a", D("0.5"))
    store.links.add(first)
    with pytest.raises(DuplicateLink) as info:
        store.links.add(AccountLink("g", "a", D("0.9"), D("3"), 5))
    assert isinstance(info.value, TraderError)
    assert (info.value.group_name, info.value.account_id) == ("g", "a")
    assert store.links.list() == [first]


def test_link_to_unknown_group_is_refused(store):
    with pytest.raises(TraderError, match="unknown strategy group"):
        store.links.add(AccountLink("nope", "a", D("0.5")))
    assert store.links.list() == []


def test_link_filters(store):
    for g in ("g1", "g2"):
        store.groups.save(StrategyGroup(g, MarketType.SPOT))
    store.links.add(AccountLink("g2", "a", D("0.1")))
    store.links.add(AccountLink("g1", "b", D("0.2")))
    store.links.add(AccountLink("g1", "a", D("0.3")))
    assert [(x.group_name, x.account_id) for x in store.links.list()] == [("g1", "a"), ("g1", "b"), ("g2", "a")]
    assert [x.account_id for x in store.links.list(group_name="g1")] == ["a", "b"]
    assert [x.group_name for x in store.links.list(account_id="a")] == ["g1", "g2"]


def test_group_delete_cascades_links(store):
    for g in ("g1", "g2"):
        store.groups.save(StrategyGroup(g, MarketType.SPOT))
    store.links.add(AccountLink("g1", "a", D("0.5")))
    store.links.add(AccountLink("g1", "b", D("0.5")))
    store.links.add(AccountLink("g2", "a", D("0.5")))
    assert store.groups.delete("g1") is True
    assert store.groups.delete("g1") is False
    assert [(x.group_name, x.account_id) for x in store.links.list()] == [("g2", "a")]
    store.groups.save(StrategyGroup("g1", MarketType.SPOT))
    store.links.add(AccountLink("g1", "a", D("0.5")))  # no stale link blocks re-linking


def test_signal_round_trip_upsert_and_list(store):
    rec = SignalRecord(
        "sig-1",
        SignalSource.WEBHOOK,
        "g",
        {"group_name": "g", "symbol": "BTC/USDT", "qty_per": 10, "price": "130000.5", "orders": [{"side": "buy"}]},
        1_000,
        duplicate=False,
        results=({"account_id": "a", "status": "FILLED", "client_order_id": "ta-1"},),
    )
    store.signals.save(rec)
    assert store.signals.get("sig-1") == rec
    done = SignalRecord("sig-1", SignalSource.WEBHOOK, "g", rec.payload, 1_000, True, rec.results * 2)
    store.signals.save(done)
    assert store.signals.get("sig-1") == done
    store.signals.save(SignalRecord("sig-2", SignalSource.MANUAL, "h", {}, 3_000))
    store.signals.save(SignalRecord("sig-3", SignalSource.STRATEGY, "g", {}, 2_000))
    assert [s.signal_id for s in store.signals.list()] == ["sig-2", "sig-3", "sig-1"]
    assert [s.signal_id for s in store.signals.list(group_name="g")] == ["sig-3", "sig-1"]
    assert [s.signal_id for s in store.signals.list(limit=1)] == ["sig-2"]
    assert store.signals.get("nope") is None


def test_signal_payload_decimals_become_exact_strings(store):
    store.signals.save(SignalRecord("s", SignalSource.MANUAL, "g", {"qty_per": D("0.00000001")}, 1))
    assert store.signals.get("s").payload == {"qty_per": "1E-8"}


def test_strategy_instance_round_trip_and_delete(store):
    rec = StrategyInstanceRecord(
        "btc-rsi", "rsi_macd", "trend", ("BTC/USDT", "ETH/USDT"), Interval.M15,
        {"rsi_period": 14, "threshold": "30.5"}, {"last_signal_ms": 1_700_000_000_000, "position": "long"}, True,
    )
    store.strategy_instances.save(rec)
    assert store.strategy_instances.get("btc-rsi") == rec
    stopped = StrategyInstanceRecord("btc-rsi", "rsi_macd", "trend", ("BTC/USDT",), Interval.H1)
    store.strategy_instances.save(stopped)
    store.strategy_instances.save(StrategyInstanceRecord("a-first", "sma_cross", "g", (), Interval.D1))
    assert store.strategy_instances.list() == [
        StrategyInstanceRecord("a-first", "sma_cross", "g", (), Interval.D1),
        stopped,
    ]
    assert store.strategy_instances.delete("btc-rsi") is True
    assert store.strategy_instances.delete("btc-rsi") is False
    assert store.strategy_instances.get("btc-rsi") is None


def test_kv_get_set_delete(store):
    assert store.kv.get("layout") is None
    assert store.kv.get("layout", {"x": 1}) == {"x": 1}
    store.kv.set("layout", {"docks": ["chart", "ticket"], "width": 1440})
    store.kv.set("flag", None)
    assert store.kv.get("layout") == {"docks": ["chart", "ticket"], "width": 1440}
    assert store.kv.get("flag", "default") is None
    store.kv.set("layout", [1, 2])
    assert store.kv.get("layout") == [1, 2]
    assert store.kv.delete("layout") is True
    assert store.kv.delete("layout") is False
    with pytest.raises(TypeError):
        store.kv.set("bad", {"x": object()})
    assert store.kv.get("bad", "absent") == "absent"
