"""Binance market data without a key, against the fake Binance on 127.0.0.1: instruments from exchangeInfo,
kline history paged, the shared public stream (subscribe/unsubscribe on the running connection, back after a
drop and after a silent stream), and the network layer's faults (429, 418 ban, 5xx, timeouts)."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from waiting import until as _until
from fakes.binance import FakeBinance, FakeBinanceServer
from fakes.reference import sample
from trader_app.brokers.binance.profile import PROFILE as BINANCE
from trader_app.brokers.binance.public import BinancePublic
from trader_app.brokers.binance.urls import FUTURES, SPOT, endpoints
from trader_app.core.enums import Interval, MarketType, SessionState
from trader_app.core.errors import RateLimited, UnknownSymbol, VenueBanned, VenueUnavailable
from trader_app.core.ids import now_ms
from trader_app.core.market_data import Bar, Quote


def _public(fake, market=SPOT, **kw) -> BinancePublic:
    ep = endpoints(market).with_overrides(rest=fake.rest_url, stream=fake.stream_url)
    return BinancePublic(ep, BINANCE.network(ep.venue, timeout_s=2.0), **kw)


async def test_instruments_from_exchange_info_spot_and_futures():
    async with FakeBinanceServer(FakeBinance()) as fake:
        await _test_instruments_from_exchange_info_spot_and_futures(fake)


async def _test_instruments_from_exchange_info_spot_and_futures(fake):
    for market, venue, kind in ((SPOT, "binance", MarketType.SPOT), (FUTURES, "binanceusdm", MarketType.FUTURES)):
        pub = _public(fake, market)
        await pub.connect()
        insts = {i.symbol: i for i in await pub.instruments()}
        assert set(insts) == {"BTC/USDT", "ETH/USDT"}  # OLDUSDT is not TRADING
        btc = insts["BTC/USDT"]
        assert (btc.venue, btc.market_type, btc.venue_symbol, btc.tick_size, btc.lot_size, btc.min_qty, btc.max_qty,
                btc.min_notional) == (venue, kind, "BTCUSDT", D("0.01"), D("0.00001"), D("0.00001"), D("9000"), D("5"))
        budget = pub.network.budget(fake.rest_url)
        assert [(lim.interval_ms, lim.limit) for lim in budget.limits] == [(60_000, 6000)]
        assert budget.used(60_000) >= 21  # exchangeInfo (20) + time (1), read back from X-MBX-USED-WEIGHT-1M
        await pub.close()
        await pub.network.close()
    paths = [r[1] for r in fake.venue.requests]
    assert paths == ["/api/v3/exchangeInfo", "/api/v3/time", "/fapi/v1/exchangeInfo", "/fapi/v1/time"]


async def test_kline_history_is_paged_by_start_time_and_only_closed_bars_are_returned():
    async with FakeBinanceServer(FakeBinance()) as fake:
        await _test_kline_history_is_paged_by_start_time_and_only_closed_bars_are_returned(fake)


async def _test_kline_history_is_paged_by_start_time_and_only_closed_bars_are_returned(fake):
    m = 60_000
    last_closed = now_ms() // m * m - m  # one reading of the clock
    fake.venue.add_klines("BTCUSDT", m, "1m", last_closed + m, 2501)  # + the forming one
    pub = _public(fake)
    await pub.connect()
    fake.venue.requests.clear()
    bars = await pub.bar_history("BTC/USDT", Interval.M1, last_closed - 2499 * m, last_closed + m)
    assert len(bars) == 2500 and bars[-1].open_time_ms == last_closed and all(b.closed for b in bars)
    assert all(b.venue == "binance" and b.symbol == "BTC/USDT" for b in bars)
    sent = [(p, q) for _m, p, q, _h in fake.venue.requests]
    assert [q["startTime"] for _p, q in sent] == [str(last_closed - 2499 * m), str(last_closed - 1499 * m),
                                                   str(last_closed - 499 * m)]
    assert all(p == "/api/v3/klines" and q["symbol"] == "BTCUSDT" and q["interval"] == "1m" and q["limit"] == "1000"
               for p, q in sent)
    with pytest.raises(UnknownSymbol):
        await pub.bar_history("NOPE/USDT", Interval.M1, 0, 1)
    await pub.network.close()


async def test_one_stream_connection_follows_subscriptions_and_comes_back_after_drops():
    async with FakeBinanceServer(FakeBinance()) as fake:
        await _test_one_stream_connection_follows_subscriptions_and_comes_back_after_drops(fake)


async def _test_one_stream_connection_follows_subscriptions_and_comes_back_after_drops(fake):
    pub = _public(fake, stale_after_s=0.5)
    await pub.connect()
    got: list = []

    async def consume():
        async for item in pub.quotes(["BTC/USDT"]):
            got.append(item)

    task = asyncio.ensure_future(consume())
    try:
        assert await _until(lambda: any(isinstance(i, Quote) and i.day_open for i in got))
        q = next(i for i in got if isinstance(i, Quote) and i.day_open)
        assert (q.symbol, q.venue, q.bid, q.ask, q.last, q.day_open) == (
            "BTC/USDT", "binance", D("64999.99"), D("65000.01"), D("65000.00"), D("64900.00"))
        assert any(isinstance(i, Bar) and i.interval is Interval.M1 and not i.closed for i in got)
        streams = fake.streams
        assert streams.connects == 1
        assert streams.subscribe_messages[0]["params"] == ["btcusdt@bookTicker", "btcusdt@miniTicker",
                                                           "btcusdt@kline_1m"]
        await pub.subscribe(["ETH/USDT", "NOT/LISTED"])
        assert await _until(lambda: any(i.symbol == "ETH/USDT" for i in got))
        await pub.unsubscribe(["BTC/USDT"])
        assert await _until(lambda: streams.subscribe_messages[-1]["method"] == "UNSUBSCRIBE")
        assert streams.connects == 1  # all on the running connection
        # a dropped connection: back (and resubscribed to what is wanted now) within 2 s
        await streams.drop_all()
        t0 = asyncio.get_running_loop().time()
        assert await _until(lambda: streams.connects == 2 and pub.stream.connected, 2.0)
        assert asyncio.get_running_loop().time() - t0 < 2.0
        assert streams.subscribe_messages[-1] == {"method": "SUBSCRIBE", "params": [
            "ethusdt@bookTicker", "ethusdt@miniTicker", "ethusdt@kline_1m"], "id": streams.subscribe_messages[-1]["id"]}
        # a connection that stays open but goes silent is renewed by the stale detector
        streams.muted = True
        assert await _until(lambda: streams.connects == 3, 3.0)
        streams.muted = False
        assert any(d.startswith("stale") for d in pub.stream.drops)
        n = len(got)
        assert await _until(lambda: len(got) > n + 3)
    finally:
        await pub.close()
        await asyncio.wait_for(task, 2)
        await pub.network.close()


def test_the_official_kline_sample_is_read_as_a_bar():
    pub = BinancePublic(endpoints(SPOT), BINANCE.network("binance"))
    from trader_app.core.instrument import Instrument

    pub.symbols.update([Instrument("BNB/BTC", "binance", MarketType.SPOT, "BNB", "BTC", D("0.000001"), D("0.01"),
                                   venue_symbol="BNBBTC")])
    pub._wanted.add("BNB/BTC")
    pub._on_message({"stream": "bnbbtc@kline_1m", "data": sample("binance_ws_kline")})
    pub._on_message({"stream": "bnbbtc@bookTicker", "data": dict(sample("binance_ws_bookTicker"), s="BNBBTC")})
    bar = pub._queue.get_nowait()
    assert bar == Bar("BNB/BTC", Interval.M1, 1672515780000, D("0.0010"), D("0.0025"), D("0.0015"), D("0.0020"),
                      D("1000"), False, "binance")
    quote = pub._queue.get_nowait()
    assert (quote.bid, quote.ask, quote.last) == (D("25.35190000"), D("25.36520000"), D("0.0020"))


async def test_429_pauses_the_venue_418_bans_it_for_every_account_5xx_and_timeouts_are_unavailable():
    async with FakeBinanceServer(FakeBinance()) as fake:
        await _test_429_pauses_the_venue_418_bans_it_for_every_account_5xx_and_timeouts_are_unavailable(fake)


async def _test_429_pauses_the_venue_418_bans_it_for_every_account_5xx_and_timeouts_are_unavailable(fake):
    pub = _public(fake)
    await pub.connect()
    fake.venue.faults.status, fake.venue.faults.count, fake.venue.faults.retry_after_s = 429, 1, 7
    with pytest.raises(RateLimited) as err:
        await pub.server_time_ms()
    assert err.value.retry_after == 7.0
    budget = pub.network.budget(fake.rest_url)
    assert budget.wait_s() > 6  # nothing is sent until Retry-After has passed
    budget.paused_until_ms = 0
    fake.venue.faults.status, fake.venue.faults.count, fake.venue.faults.retry_after_s = 418, 1, 120
    with pytest.raises(VenueBanned):
        await pub.server_time_ms()
    sent = len(fake.venue.requests)
    other = BinancePublic(pub.endpoints, pub.network)  # another account on the same IP
    with pytest.raises(VenueBanned):
        await other.server_time_ms()
    assert len(fake.venue.requests) == sent  # refused here, never sent
    budget.banned_until_ms = 0
    fake.venue.faults.status, fake.venue.faults.count = 503, 1
    with pytest.raises(VenueUnavailable, match="HTTP 503"):
        await pub.server_time_ms()
    fake.venue.faults.delay_s = 3.0  # the client gives up after 2 s
    with pytest.raises(VenueUnavailable, match="did not answer in time"):
        await pub.server_time_ms()
    fake.venue.faults.delay_s = 0
    assert await pub.server_time_ms() > 0
    await pub.network.close()


async def test_the_server_clock_offset_is_measured():
    async with FakeBinanceServer(FakeBinance()) as fake:
        await _test_the_server_clock_offset_is_measured(fake)


async def _test_the_server_clock_offset_is_measured(fake):
    fake.venue.faults.timestamp_skew_ms = -30_000
    pub = _public(fake)
    await pub.connect()
    clock = pub.network.clock(fake.rest_url)
    assert -31_000 < clock.offset_ms < -29_000
    assert abs(clock.now_ms() - fake.venue.server_ms()) < 1000
    await pub.network.close()
    assert pub.state is SessionState.DISCONNECTED


async def test_the_connect_gate_spreads_a_burst_and_holds_the_venues_limit():
    """Five attempts at once through a gate of 3 per 0.5 s spaced 0.05 s apart, on a test clock."""
    from trader_app.brokers.live.network import ConnectGate

    now = [100.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    gate = ConnectGate(limit=3, window_s=0.5, spacing_s=0.05, clock=lambda: now[0], sleep=sleep)
    await asyncio.gather(*(gate.wait() for _ in range(5)))
    assert [round(t - 100.0, 3) for t in gate.granted] == [0.0, 0.05, 0.1, 0.5, 0.55]


async def test_symbols_past_a_connections_stream_cap_go_on_another_connection():
    """Issue 21 (stream hooks: subscription limits per connection): Binance caps one connection at 1024 streams;
    here at 3 (one symbol's streams), so two symbols take two connections, each resubscribed on its own."""
    async with FakeBinanceServer(FakeBinance()) as fake:
        pub = _public(fake)
        pub.max_streams = 3
        await pub.connect()
        got = []

        async def consume():
            async for item in pub.quotes(["BTC/USDT"]):
                got.append(item)

        task = asyncio.ensure_future(consume())
        try:
            assert await _until(lambda: any(getattr(i, "symbol", "") == "BTC/USDT" for i in got))
            await pub.subscribe(["ETH/USDT"])
            assert await _until(lambda: any(getattr(i, "symbol", "") == "ETH/USDT" for i in got))
            streams = fake.streams
            assert len(pub.streams) == 2 and streams.connects == 2
            assert sorted(tuple(m["params"]) for m in streams.subscribe_messages) == [
                ("btcusdt@bookTicker", "btcusdt@miniTicker", "btcusdt@kline_1m"),
                ("ethusdt@bookTicker", "ethusdt@miniTicker", "ethusdt@kline_1m")]
            assert pub.state is SessionState.CONNECTED
            await streams.drop_all()  # both come back, each with its own symbol's streams
            assert await _until(lambda: streams.connects == 4 and all(s.connected for s in pub.streams), 3.0)
            assert sorted(tuple(m["params"]) for m in streams.subscribe_messages[2:]) == [
                ("btcusdt@bookTicker", "btcusdt@miniTicker", "btcusdt@kline_1m"),
                ("ethusdt@bookTicker", "ethusdt@miniTicker", "ethusdt@kline_1m")]
            await pub.unsubscribe(["ETH/USDT"])
            assert await _until(lambda: streams.subscribe_messages[-1]["method"] == "UNSUBSCRIBE")
            assert streams.subscribe_messages[-1]["params"][0] == "ethusdt@bookTicker"
        finally:
            await pub.close()
            await asyncio.wait_for(task, 2)
            await pub.network.close()
