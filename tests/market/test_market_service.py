"""MarketService: quotes, watchlist, import all-or-nothing, history, demo start-up, replay, indicators."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D
from pathlib import Path

import numpy as np
import pytest

from trader_app.core.bus import EventBus
from trader_app.core.enums import Interval, MarketType
from trader_app.core.errors import DataImportError, UnknownSymbol
from trader_app.core.events import BarEvent, QuoteEvent
from trader_app.core.market_data import Bar, Quote
from trader_app.market.catalog import demo_instruments
from trader_app.market.imported import IMPORTED_KEY
from trader_app.market.indicators import macd, rsi
from trader_app.market.service import DEFAULT_BACKFILL, IndicatorSnapshot, MarketService
from trader_app.store import Store

DATA = Path(__file__).parent / "data"
T0 = 1_704_067_200_000


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "m.db")
    yield s
    s.close()


@pytest.fixture
async def service(store):
    ms = MarketService(EventBus(), store, demo_instruments(), seed=7)
    yield ms
    await ms.close()


def closed_bar(sym: str, i: int, close: float, iv: Interval = Interval.M1) -> Bar:
    c = D(str(close))
    return Bar(sym, iv, T0 + i * iv.ms, c, c, c, c, D(1), True)


async def test_instruments_and_last_quote(service):
    assert [i.symbol for i in service.instruments()] == ["BTC/USDT", "ETH/USDT", "SOL/USDT", "005930", "AAPL"]
    assert service.instrument("AAPL").tick_size == D("0.01")
    with pytest.raises(UnknownSymbol):
        service.instrument("DOGE/USDT")
    assert service.last_quote("AAPL") is None
    q = Quote("AAPL", T0, D("190.00"), D("190.02"), D("190.01"), D(5))
    service.bus.publish(QuoteEvent(q))
    assert service.last_quote("AAPL") is q


async def test_watchlist_persists(service, store):
    assert await service.watchlist() == []
    assert await service.add_to_watchlist("BTC/USDT") == ["BTC/USDT"]
    assert await service.add_to_watchlist("AAPL") == ["BTC/USDT", "AAPL"]
    assert await service.add_to_watchlist("AAPL") == ["BTC/USDT", "AAPL"]
    with pytest.raises(UnknownSymbol):
        await service.add_to_watchlist("NOPE")
    assert await service.remove_from_watchlist("BTC/USDT") == ["AAPL"]
    assert await service.remove_from_watchlist("BTC/USDT") == ["AAPL"]
    assert store.watchlist.get() == ["AAPL"]


async def test_import_stores_every_bar_and_lists_new_symbols(service, store):
    listed = []
    service.instrument_listeners.append(listed.append)
    imp = await service.import_csv(DATA / "BTCUSDT-1m-2024-01.csv")
    assert (imp.symbol, imp.interval, len(imp.bars)) == ("BTC/USDT", Interval.M1, 5)
    assert store.bars.load("BTC/USDT", Interval.M1) == imp.bars
    assert listed == []  # BTC/USDT is in the catalog already
    imp = await service.import_csv(DATA / "eth_hourly.csv", symbol="ETH/BTC")
    assert store.bars.series() == [
        ("BTC/USDT", Interval.M1, 5, 1704067200000, 1704067440000),
        ("ETH/BTC", Interval.H1, 4, 1709251200000, 1709262000000),
    ]
    inst = service.instrument("ETH/BTC")
    assert listed == [inst]
    assert (inst.market_type, inst.base, inst.quote, inst.tick_size) == (MarketType.SPOT, "ETH", "BTC", D("0.1"))
    assert await service.history("ETH/BTC", Interval.H1, limit=2) == imp.bars[-2:]


async def test_import_of_a_bad_file_stores_nothing(service, store, tmp_path):
    await service.import_csv(DATA / "AAPL.csv")
    before = store.bars.series()
    bad = tmp_path / "MSFT.csv"
    rows = [f"2024-01-{d:02d},10,11,9,10.5,100" for d in range(1, 29)]
    rows[20] = "2024-01-21,10,9,11,10.5,100"  # high < low on line 22
    bad.write_text("Date,Open,High,Low,Close,Volume\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataImportError) as err:
        await service.import_csv(bad)
    assert (err.value.line, err.value.problem) == (22, "high 9 is below low 11")
    assert store.bars.series() == before
    assert store.bars.load("MSFT", Interval.D1) == []
    with pytest.raises(UnknownSymbol):
        service.instrument("MSFT")


async def test_import_store_failure_is_raised_and_lists_nothing(service, store, monkeypatch):
    # the repository writes a whole import in one transaction (store.bars.save); the service must neither
    # swallow a failed write nor list the symbol for it
    def failing_save(bars):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store.bars, "save", failing_save)
    with pytest.raises(RuntimeError, match="disk full"):
        await service.import_csv(DATA / "eth_hourly.csv", symbol="ETH/EUR")
    with pytest.raises(UnknownSymbol):
        service.instrument("ETH/EUR")
    assert store.bars.series() == []


async def test_history_is_stored_bars_plus_the_live_bar(service, store):
    stored = [closed_bar("AAPL", i, 190 + i) for i in range(5)]
    store.bars.save(stored)
    assert await service.history("AAPL", Interval.M1) == stored
    assert await service.history("AAPL", Interval.M1, limit=2) == stored[-2:]
    ts = T0 + 5 * 60_000 + 1000
    service.bus.publish(QuoteEvent(Quote("AAPL", ts, D("195.00"), D("195.02"), D("195.01"), D(3))))
    hist = await service.history("AAPL", Interval.M1, limit=3)
    assert hist[:2] == stored[-2:]
    assert hist[2] == Bar("AAPL", Interval.M1, T0 + 5 * 60_000, D("195.01"), D("195.01"), D("195.01"),
                          D("195.01"), D(3), False)
    # the quote's next minute closes the bar; history flushes it to the store first
    service.bus.publish(QuoteEvent(Quote("AAPL", ts + 60_000, D("196"), D("196.02"), D("196.01"), D(1))))
    hist = await service.history("AAPL", Interval.M1, limit=3)
    assert [b.closed for b in hist] == [True, True, False]
    assert store.bars.load("AAPL", Interval.M1)[-1].close == D("195.01")


async def test_indicators_follow_closed_bars_only(service):
    assert service.indicators("BTC/USDT") == IndicatorSnapshot(interval=Interval.M1)
    closes = [100 + 5 * np.sin(i / 4) + i * 0.05 for i in range(60)]
    for i, c in enumerate(closes):
        service.bus.publish(BarEvent(closed_bar("BTC/USDT", i, round(c, 2))))
        if i == 20:
            snap = service.indicators("BTC/USDT")
            assert snap.rsi is not None and snap.macd is None  # MACD needs 34 bars
    ref = np.array([round(c, 2) for c in closes])
    snap = service.indicators("BTC/USDT")
    m, s, h = macd(ref)
    assert snap.rsi == pytest.approx(rsi(ref)[-1], abs=1e-12)
    assert (snap.macd, snap.macd_signal, snap.macd_hist) == pytest.approx((m[-1], s[-1], h[-1]), abs=1e-12)
    assert snap.bar_time_ms == T0 + 59 * 60_000
    # a forming bar, a repeated closed bar and another interval change nothing
    live = Bar("BTC/USDT", Interval.M1, T0 + 60 * 60_000, D(1), D(1), D(1), D(1), D(1), False)
    service.bus.publish(BarEvent(live))
    service.bus.publish(BarEvent(closed_bar("BTC/USDT", 59, 1.0)))
    service.bus.publish(BarEvent(closed_bar("BTC/USDT", 99, 1.0, Interval.M5)))
    assert service.indicators("BTC/USDT") == snap


async def test_demo_start_backfills_and_warms_indicators(service, store):
    await service.add_to_watchlist("BTC/USDT")
    got = []
    service.bus.subscribe(QuoteEvent, got.append)
    task = service.start_demo(200)
    await asyncio.wait_for(task, 60)
    series = {(s, iv): n for s, iv, n, _lo, _hi in store.bars.series()}
    for inst in demo_instruments():
        for iv, n in DEFAULT_BACKFILL.items():
            assert series[(inst.symbol, iv)] >= n
    hist = await service.history("ETH/USDT", Interval.D1, limit=200)
    assert len(hist) == 200 and all(b.closed for b in hist[:-1])
    assert hist[-1].open_time_ms == Interval.D1.bucket_start(hist[-1].open_time_ms)
    snap = service.indicators("SOL/USDT")
    assert None not in (snap.rsi, snap.macd, snap.macd_signal) and 0 < snap.rsi < 100
    while len(got) < 20:
        await asyncio.sleep(0.02)
    assert service.last_quote(got[-1].quote.symbol) is not None
    await service.stop()
    assert not service.demo.running


async def test_demo_restart_continues_from_the_last_stored_close(store):
    last = Bar("AAPL", Interval.M1, T0, D("150.00"), D("151.00"), D("149.00"), D("150.55"), D(10))
    store.bars.save([last])
    ms = MarketService(EventBus(), store, demo_instruments(), seed=1)
    try:
        await asyncio.wait_for(ms.start_demo(50, backfill=["BTC/USDT"]), 60)
        assert store.bars.load("AAPL", Interval.M1) == [last]  # not backfilled: it has history
        assert len(store.bars.load("ETH/USDT", Interval.M1)) == 0  # not asked for
        assert len(store.bars.load("BTC/USDT", Interval.M1)) == 300
        # AAPL's demo price started at the stored close (it has moved since by a few ticks at most)
        assert abs(ms.demo.price("AAPL") - D("150.55")) < D("1")
    finally:
        await ms.close()


async def test_replay_drives_quotes_and_history_only_shows_replayed_bars(service):
    imp = await service.import_csv(DATA / "BTCUSDT-1m-2024-01.csv")
    quotes = []
    service.bus.subscribe(QuoteEvent, lambda ev: quotes.append(ev.quote))
    replay = service.start_replay(imp.bars, speed=1)
    while replay.bars_done < 1:
        await asyncio.sleep(0.01)
    hist = await service.history("BTC/USDT", Interval.M1)
    assert hist == imp.bars[: replay.bars_done] and len(hist) < 5
    await replay.stop()
    replay = service.start_replay(imp.bars, speed=1000)
    await asyncio.wait_for(replay.done.wait(), 20)
    assert service.last_quote("BTC/USDT").last == D("42333")
    assert service.indicators("BTC/USDT").bar_time_ms == imp.bars[-1].open_time_ms
    assert service.indicators("BTC/USDT").rsi is None  # 5 bars: not enough
    with pytest.raises(ValueError):
        service.start_replay([], 1)


async def test_imported_instruments_are_kept_and_listed_again(store):
    first = MarketService(EventBus(), store, demo_instruments(), seed=7)
    await first.import_csv(DATA / "eth_hourly.csv", symbol="ETH/BTC")
    await first.import_csv(DATA / "AAPL.csv")  # in the catalog already: not kept as imported
    first.start_replay([closed_bar("ZZZ", i, 10 + i / 4) for i in range(3)], speed=1000)
    eth, zzz = first.instrument("ETH/BTC"), first.instrument("ZZZ")
    await first.close()
    assert sorted(store.kv.get(IMPORTED_KEY)) == ["ETH/BTC", "ZZZ"]

    listed = []
    second = MarketService(EventBus(), store, demo_instruments(), seed=7, on_new_instrument=listed.append)
    with pytest.raises(UnknownSymbol):
        second.instrument("ETH/BTC")
    assert await second.restore_imported_instruments() == [eth, zzz] == listed
    assert second.instrument("ETH/BTC") == eth and zzz.tick_size == D("0.01")  # finest step written
    assert await second.restore_imported_instruments() == []  # listed already: nothing changes
    await second.close()


async def test_a_malformed_stored_instrument_is_skipped(store, caplog):
    store.kv.set(IMPORTED_KEY, {"BAD": {"venue": "paper", "market_type": "SPOT", "base": "B", "quote": "Q",
                                        "tick_size": "abc", "lot_size": "1"},
                                "NEG": {"venue": "paper", "market_type": "STOCK", "base": "N", "quote": "USD",
                                        "tick_size": "0.01", "lot_size": "0"},
                                "OK": {"venue": "paper", "market_type": "STOCK", "base": "OK", "quote": "USD",
                                       "tick_size": "0.01", "lot_size": "1"}})
    service = MarketService(EventBus(), store, demo_instruments(), seed=7)
    assert [i.symbol for i in await service.restore_imported_instruments()] == ["OK"]
    assert "stored instrument 'BAD' is malformed" in caplog.text
    assert "stored instrument 'NEG' has a tick or lot size <= 0" in caplog.text
    with pytest.raises(UnknownSymbol):
        service.instrument("BAD")
    await service.close()
