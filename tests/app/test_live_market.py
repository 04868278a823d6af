"""Real market data with no key (issue 11): the whole app on Binance's public market data (the fake Binance on
127.0.0.1): Binance's instruments listed as ``binance:SYMBOL``, the watchlist seeded with live symbols, quotes
and the venue's own klines streamed, chart history downloaded and kept, a paper account trading on Binance's
live bid/ask with Binance's lot and tick rules, and back to the demo market."""

from __future__ import annotations

from decimal import Decimal as D

from waiting import until as _until
from fakes.binance import FakeBinance, FakeBinanceServer
from trader_app.app import build_services
from trader_app.config import Settings
from trader_app.core import OrderRequest, OrderStatus, OrderType, Side
from trader_app.core.enums import Interval
from trader_app.core.ids import now_ms


async def test_the_app_on_binance_live_prices_with_paper_trading_on_them(tmp_path):
    async with FakeBinanceServer(FakeBinance()) as fake:
        m = 60_000
        last_closed = now_ms() // m * m - m  # one reading of the clock
        fake.venue.add_klines("BTCUSDT", m, "1m", last_closed, 300)
        settings = Settings()
        settings.market.source = "binance"
        settings.market.binance_rest_url = fake.rest_url
        settings.market.binance_stream_url = fake.stream_url
        services = build_services(tmp_path / "data", settings, start_webhook=False)
        await services.start()
        try:
            await services.markets.wait_connected(10)
            market = services.market
            assert market.instrument("binance:BTC/USDT").tick_size == D("0.01")
            # the demo's rows leave (nothing prices them now); Binance's defaults it lists come in
            assert await market.watchlist() == ["binance:BTC/USDT", "binance:ETH/USDT"]
            assert market.demo is None and services.demo is False
            assert await _until(lambda: market.quote_of("binance:BTC/USDT") is not None)
            assert market.quote_of("binance:BTC/USDT").ask == D("65000.01")
            assert market.price_venue("paper") == "binance"
            assert services.market_text().startswith("binance live (connected, 2 symbols)")
            # chart history: the venue's klines, stored per venue
            bars = await market.history("binance:BTC/USDT", Interval.M1, limit=200)
            closed = [b for b in bars if b.closed]
            assert len(bars) == 200 and closed[-1].open_time_ms == last_closed
            assert bars[-1].closed or bars[-1].open_time_ms >= last_closed + m  # + the forming bar from the stream
            # paper trading on Binance's live prices, with Binance's rules
            account = services.accounts.list()[0].account_id
            order = await services.order_manager.submit(OrderRequest(
                account, "BTC/USDT", Side.BUY, OrderType.MARKET, D("0.001234567"), "ta-live-1"))
            assert order.status is OrderStatus.FILLED and order.quantity == D("0.00123")  # LOT_SIZE 0.00001
            assert order.avg_fill_price == D("65000.01")  # the live ask
            # /health: the paper position is priced by Binance's BTC/USDT (issue 21, defect 11: it stayed 503)
            await services.order_manager.flush()
            assert await _until(lambda: market.quote_of("binance:BTC/USDT") is not None)
            assert not [w for w in await services.not_ready() if "price" in w], await services.not_ready()
            # back to the demo: Binance's stream closes, the demo prices the paper venue again
            await services.use_market("demo")
            assert market.demo is not None and market.price_venue("paper") == "paper"
            assert "binance" not in services.feeds.feeds
            assert await _until(lambda: not fake.streams.connections)
            assert Settings.load(tmp_path / "data").market.source == "demo"
            assert await market.watchlist() == ["BTC/USDT", "ETH/USDT", "SOL/USDT", "005930", "AAPL"]
        finally:
            await services.stop()


async def test_an_unreachable_live_market_says_why_and_keeps_trying(tmp_path):
    settings = Settings()
    settings.market.source = "binance"
    settings.market.binance_rest_url = "http://127.0.0.1:9"  # nothing listens there
    settings.market.binance_stream_url = "ws://127.0.0.1:9"
    services = build_services(tmp_path / "data", settings, start_webhook=False)
    await services.start()
    try:
        assert await _until(lambda: services.markets.error != "")
        assert "unreachable" in services.market_text() and "retrying" in services.market_text()
        assert services.market.demo is None  # no synthetic prices passed off as live ones
    finally:
        await services.stop()
