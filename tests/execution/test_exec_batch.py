"""Batch priority (stable within a class) and the 2-second duplicate filter."""

from decimal import Decimal as D

from trader_app.core.enums import Side, SignalSource
from trader_app.execution.batch import DuplicateFilter, signal_fingerprint, sort_batch
from trader_app.execution.signal import Signal, SignalOrder, SignalOrderType as T


def o(t, price=None, tag="BTC/USDT"):
    return SignalOrder(symbol=tag, order_type=t, side=Side.BUY, qty_per=D("1"), price=price)


def test_sort_batch_priority_is_stable_within_a_class():
    given = [o(T.STOP_LIMIT, D("1")), o(T.LIMIT, D("3")), o(T.MARKET), o(T.STOP_MARKET), o(T.LIMIT, D("1")),
             o(T.CANCEL_ALL_ORDER), o(T.LIMIT, D("2")), o(T.MARKET, tag="ETH/USDT")]
    got = sort_batch(given)
    assert [(x.order_type, x.price, x.symbol) for x in got] == [
        (T.MARKET, None, "BTC/USDT"), (T.MARKET, None, "ETH/USDT"), (T.CANCEL_ALL_ORDER, None, "BTC/USDT"),
        (T.LIMIT, D("3"), "BTC/USDT"), (T.LIMIT, D("1"), "BTC/USDT"), (T.LIMIT, D("2"), "BTC/USDT"),
        (T.STOP_LIMIT, D("1"), "BTC/USDT"), (T.STOP_MARKET, None, "BTC/USDT"),
    ]


def sig(sid, orders, group="g", accounts=None):
    return Signal(signal_id=sid, group_name=group, orders=tuple(orders), source=SignalSource.WEBHOOK, ts_ms=0,
                  account_ids=accounts)


def test_fingerprint_compares_numbers_by_value_and_ignores_ids():
    a = sig("s1", [SignalOrder("BTC/USDT", T.LIMIT, Side.BUY, D("10"), D("30000"))])
    b = sig("s2", [SignalOrder("BTC/USDT", T.LIMIT, Side.BUY, D("10.0"), D("3E+4"))])
    c = sig("s3", [SignalOrder("BTC/USDT", T.LIMIT, Side.SELL, D("10"), D("30000"))])
    assert signal_fingerprint(a) == signal_fingerprint(b)
    assert signal_fingerprint(a) != signal_fingerprint(c)
    assert signal_fingerprint(a) != signal_fingerprint(sig("s4", a.orders, group="h"))
    assert signal_fingerprint(a) != signal_fingerprint(sig("s5", a.orders, accounts=("acc",)))


def test_duplicate_within_window_then_fresh_after_it():
    f = DuplicateFilter(window_ms=2000)
    orders = [o(T.MARKET)]
    assert f.check(sig("s1", orders), 10_000) is None
    assert f.check(sig("s2", orders), 11_999) == "s1"
    assert f.check(sig("s3", orders), 12_000) == "s1"
    assert f.check(sig("s4", orders), 12_001) is None  # window passed: executes again, becomes the original
    assert f.check(sig("s5", orders), 13_000) == "s4"
    assert f.check(sig("s6", [o(T.LIMIT, D("1"))]), 13_000) is None


def test_duplicate_filter_memory_is_bounded():
    f = DuplicateFilter(window_ms=2000, max_entries=3)
    for i in range(10):
        f.check(sig(f"s{i}", [o(T.LIMIT, D(i + 1))]), 1000)
    assert len(f._seen) == 3
    f.check(sig("late", [o(T.MARKET)]), 5000)
    assert len(f._seen) == 1
