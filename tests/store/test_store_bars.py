"""Bars: exact round trip, upsert, range and limit loads, series, bulk size."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trader_app.core import Bar, Interval

from store_factories import make_bar

D = Decimal
M = 60_000


def test_bar_round_trips_exactly(store):
    bar = make_bar(0, open=D("0.00000001"), high=D("123456789.123456789"), closed=False)
    assert store.bars.save([bar]) == 1
    (got,) = store.bars.load("BTC/USDT", Interval.M1)
    assert got == bar
    assert got.open.as_tuple() == D("0.00000001").as_tuple()


def test_bar_save_upserts_by_symbol_interval_open_time(store):
    store.bars.save([make_bar(0), make_bar(M)])
    store.bars.save([make_bar(M, close=D("200"), volume=D("1")), make_bar(2 * M)])
    bars = store.bars.load("BTC/USDT", "1m")
    assert [b.open_time_ms for b in bars] == [0, M, 2 * M]
    assert (bars[1].close, bars[1].volume) == (D("200"), D("1"))


def test_bars_are_kept_per_symbol_and_interval(store):
    store.bars.save([make_bar(0), make_bar(0, interval=Interval.M5), make_bar(0, symbol="ETH/USDT")])
    assert len(store.bars.load("BTC/USDT", Interval.M1)) == 1
    assert len(store.bars.load("BTC/USDT", Interval.M5)) == 1
    assert store.bars.load("SOL/USDT", Interval.M1) == []


def test_load_range_and_last_n_ascending(store):
    store.bars.save([make_bar(i * M, close=D(i)) for i in range(10)][::-1])  # saved in reverse order
    assert [b.open_time_ms // M for b in store.bars.load("BTC/USDT", "1m")] == list(range(10))
    assert [b.open_time_ms // M for b in store.bars.load("BTC/USDT", "1m", start_ms=3 * M, end_ms=6 * M)] == [3, 4, 5, 6]
    assert [b.open_time_ms // M for b in store.bars.load("BTC/USDT", "1m", limit=3)] == [7, 8, 9]
    assert [b.open_time_ms // M for b in store.bars.load("BTC/USDT", "1m", end_ms=5 * M, limit=2)] == [4, 5]
    assert [b.open_time_ms // M for b in store.bars.load("BTC/USDT", "1m", start_ms=8 * M, limit=5)] == [8, 9]
    assert [b.close for b in store.bars.load("BTC/USDT", "1m", limit=2)] == [D(8), D(9)]


def test_series_lists_count_and_range(store):
    store.bars.save([make_bar(i * M) for i in range(5)] + [make_bar(3_600_000, symbol="AAPL", interval=Interval.H1)])
    assert store.bars.series() == [("AAPL", Interval.H1, 1, 3_600_000, 3_600_000), ("BTC/USDT", Interval.M1, 5, 0, 4 * M)]


def test_save_of_nothing_writes_nothing(store):
    assert store.bars.save([]) == 0
    assert store.bars.series() == []


def test_a_float_price_is_refused_and_nothing_is_written(store):
    bad = [make_bar(0), make_bar(M, close=100.5)]  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be Decimal"):
        store.bars.save(bad)
    assert store.bars.series() == []


def test_bulk_save_of_many_bars_in_several_chunks(store):
    n = 12_345  # more than two chunks
    bars = [Bar("SYM", Interval.M1, i * M, D(i), D(i + 1), D(i) - 1, D(i) + D("0.5"), D("0.001")) for i in range(n)]
    assert store.bars.save(bars) == n
    assert store.bars.series() == [("SYM", Interval.M1, n, 0, (n - 1) * M)]
    loaded = store.bars.load("SYM", Interval.M1)
    assert loaded == bars


def test_delete_bars(store):
    store.bars.save([make_bar(0), make_bar(0, interval=Interval.M5), make_bar(0, symbol="ETH/USDT")])
    assert store.bars.delete("BTC/USDT", Interval.M5) == 1
    assert store.bars.delete("BTC/USDT") == 1
    assert [s[0] for s in store.bars.series()] == ["ETH/USDT"]


def test_sqlite_uses_the_precompiled_bulk_upsert(store):
    sql = store.bars._upsert_sql
    assert sql is not None
    assert sql.startswith("INSERT INTO bars (venue, symbol, interval, open_time_ms, open, high, low, close, volume, closed)")
    assert "ON CONFLICT (venue, symbol, interval, open_time_ms) DO UPDATE SET" in sql
