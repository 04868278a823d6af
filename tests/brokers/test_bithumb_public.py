"""Bithumb's keyless market data (issue 22, first step) against the fake Bithumb's public side on 127.0.0.1: the
markets with the KRW tick ladder, candles paged backwards with ``to`` in KST, quotes from the ticket stream."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from decimal import Decimal as D
from urllib.parse import parse_qs

from fakes.bithumb import FakeBithumbServer
from trader_app.brokers.bithumb.profile import PROFILE as BITHUMB
from trader_app.brokers.bithumb.public import BithumbPublic
from trader_app.brokers.bithumb.urls import endpoints
from trader_app.core.enums import Interval
from trader_app.core.ids import now_ms
from trader_app.core.market_data import Quote
from waiting import until

KST = timezone(timedelta(hours=9))


async def test_keyless_markets_candles_in_kst_and_quotes():
    async with FakeBithumbServer() as fake:
        network = BITHUMB.network()
        pub = BithumbPublic(endpoints().with_overrides(rest=fake.rest_url, stream=fake.stream_url), network)
        try:
            await pub.connect()
            btc = {i.symbol: i for i in await pub.instruments()}["BTC/KRW"]
            assert (btc.venue, btc.venue_symbol, btc.quote) == ("bithumb", "KRW-BTC", "KRW")
            assert (btc.tick_at(D("95000000")), btc.tick_at(D("4999")), btc.tick_at(D("0.5"))) == (
                D("1000"), D("1"), D("0.0001"))
            assert ("GET", "/v1/market/all", "isDetails=false") in fake.venue.requests
            m = 60_000
            end = now_ms() // m * m - m  # one reading of the clock
            bars = await pub.bar_history("BTC/KRW", Interval.M1, end - 249 * m, end)
            assert [b.open_time_ms for b in bars] == list(range(end - 249 * m, end + 1, m))
            query = next(q for _, p, q in fake.venue.requests if p == "/v1/candles/minutes/1")
            (to,) = parse_qs(query)["to"]
            assert to == datetime.fromtimestamp((end + m) / 1000, KST).strftime("%Y-%m-%d %H:%M:%S")  # KST, no offset
            got = []

            async def consume():
                async for q in pub.quotes(["BTC/KRW"]):
                    got.append(q)

            task = asyncio.ensure_future(consume())
            assert await until(lambda: any(isinstance(q, Quote) for q in got))
            q = next(q for q in got if isinstance(q, Quote))
            assert (q.symbol, q.venue, q.bid, q.ask) == ("BTC/KRW", "bithumb", D("94999000"), D("95001000"))
            await pub.close()
            await asyncio.wait_for(task, 2)
        finally:
            await network.close()
