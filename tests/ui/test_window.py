"""The main window: docks and View menu, watchlist click -> chart + ticket, layout persistence, status bar."""

from decimal import Decimal

from PySide6.QtCore import Qt

from trader_app.core.enums import Interval
from trader_app.ui.main_window import MainWindow

from ui_helpers import publish_quote, until

CORE_DOCKS = ["watchlist", "accounts", "chart", "ticket", "positions", "orders", "fills", "ledger", "log"]


async def test_docks_view_menu_and_default_layout(window):
    assert all(name in window.docks for name in CORE_DOCKS)
    assert (window.width(), window.height()) == (1600, 1000)
    titles = [a.text() for a in window.view_menu.actions() if a.text()]
    for title in ("Watchlist", "Accounts", "Chart", "Order ticket", "Positions", "Open orders", "Fills", "Ledger", "Log"):
        assert title in titles
    area = window.dockWidgetArea
    assert area(window.docks["watchlist"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert area(window.docks["ticket"]) == Qt.DockWidgetArea.RightDockWidgetArea
    assert area(window.docks["positions"]) == Qt.DockWidgetArea.BottomDockWidgetArea
    assert {d.objectName() for d in window.tabifiedDockWidgets(window.docks["positions"])} >= {
        "dock_orders", "dock_fills", "dock_ledger", "dock_log"}
    toggle = window.docks["ledger"].toggleViewAction()
    toggle.trigger()
    assert window.docks["ledger"].isHidden()
    toggle.trigger()
    assert not window.docks["ledger"].isHidden()


async def test_watchlist_click_charts_the_symbol_and_fills_the_ticket(window, services):
    publish_quote(services, "ETH/USDT", bid="3199.99", ask="3200.01", last="3200.00")
    window.bridge.flush()
    assert window.watchlist.model.symbols() == ["BTC/USDT", "ETH/USDT", "SOL/USDT", "005930", "AAPL"]
    row = window.watchlist.model.row_of("ETH/USDT")
    index = window.watchlist.model.index(row, 0)
    window.watchlist.table.clicked.emit(index)
    await window.chart.last_task
    assert window.ticket.symbol.currentText() == "ETH/USDT"
    assert window.ticket.price.text() == "3200.00"
    assert window.ticket.bid_label.text() == "3,199.99" and window.ticket.ask_label.text() == "3,200.01"
    assert window.chart.chart.symbol == "ETH/USDT"
    assert window.chart.chart.interval is Interval.M1
    assert window.chart.bar_count() > 0


async def test_layout_and_column_widths_are_saved_and_restored(window, services, tmp_path):
    path = tmp_path / "layout.ini"
    first = MainWindow(services, settings_path=path)
    first.show()
    first.docks["ledger"].hide()
    first.fills.table.horizontalHeader().resizeSection(2, 173)
    first.close()
    assert path.is_file()

    second = MainWindow(services, settings_path=path)
    second.show()
    assert second.docks["ledger"].isHidden()
    assert not second.docks["fills"].isHidden()
    assert second.fills.table.horizontalHeader().sectionSize(2) == 173
    assert second.qsettings.value("window/geometry") is not None  # offscreen clamps sizes to its 800x600 screen
    second.default_layout()
    assert not second.docks["ledger"].isHidden()
    second.close()


async def test_status_bar_shows_connections_market_and_listener(window, services):
    window.update_status()
    assert window.connection_label.text() == "Accounts: 1/1 connected"
    assert window.market_label.text() == "Market: no market data"
    assert window.listener_label.text() == "Listener: off"


async def test_accounts_panel_shows_paper_1_per_currency(window, services):
    await until(lambda: (window.bridge.flush(), window.accounts.model.rowCount() >= 3)[1])
    rows = {r.currency: r for r in window.accounts.model.records()}
    assert set(rows) == {"USDT", "USD", "KRW"}
    assert rows["USDT"].name == "Paper 1" and rows["USDT"].cash == Decimal("100000")
    assert rows["KRW"].cash == Decimal("100000000")


async def test_log_panel_receives_log_events(window, services):
    from trader_app.core.events import LogEvent

    services.bus.publish(LogEvent(1_700_000_000_000, "WARNING", "test", "careful"))
    window.bridge.flush()
    top = window.log_panel.model.record(0).event
    assert (top.level, top.source, top.message) == ("WARNING", "test", "careful")


async def test_watchlist_shows_a_strategys_trailing_stop(window, services):
    from trader_app.core.events import StrategyStateEvent

    state = {"symbols": {"BTC/USDT": {"position": 1.0, "trailing": {"trail_high": 66000.0, "trail_stop": 64020.0,
                                                                    "armed": True}},
                         "ETH/USDT": {"position": 0.0, "trailing": {"trail_high": None, "trail_stop": None,
                                                                    "armed": False}}}}
    services.bus.publish(StrategyStateEvent("rsi-1", True, "", state))
    window.bridge.flush()
    model = window.watchlist.model
    assert model.get("BTC/USDT").trail == "armed 64,020.00"
    assert model.get("ETH/USDT").trail == ""
    services.bus.publish(StrategyStateEvent("rsi-1", False, "", state))
    window.bridge.flush()
    assert model.get("BTC/USDT").trail == ""


async def test_log_panel_shows_what_was_logged_before_it_existed(services, qapp):
    import logging

    from trader_app.app import install_log_forwarding

    handler = install_log_forwarding(services.bus, services)
    try:
        logging.getLogger("trader_app.test").warning("before the window: %s", "listener on 127.0.0.1:1")
        window = MainWindow(services)
        try:
            top = window.log_panel.model.record(0).event
            assert (top.level, top.source, top.message) == ("WARNING", "test", "before the window: listener on 127.0.0.1:1")
        finally:
            window.close()
    finally:
        logging.getLogger("trader_app").removeHandler(handler)


async def test_the_same_symbol_on_two_venues_is_two_watchlist_rows_with_their_own_prices_and_charts(window, services):
    """Venue-qualified market data in the window: ``upbit:BTC/USDT`` next to the paper ``BTC/USDT``, each with
    its own price; clicking the venue's row charts that venue's bars (title names the venue) and puts the bare
    symbol in the ticket."""
    from decimal import Decimal as D

    from trader_app.core.enums import MarketType
    from trader_app.core.instrument import Instrument
    from trader_app.core.market_data import Bar, Quote
    from trader_app.core.events import QuoteEvent

    upbit = Instrument("BTC/USDT", "upbit", MarketType.SPOT, "BTC", "USDT", D("0.001"), D("0.0001"))
    assert services.market.add_instrument(upbit)
    t0 = 1_700_000_040_000 - 1_700_000_040_000 % 60_000
    bars = [Bar("BTC/USDT", Interval.M1, t0 + k * 60_000, D("70000"), D("70010"), D("69990"), D(70000 + k), D("1"),
                True, "upbit") for k in range(30)]
    await services.store.run(services.store.bars.save, bars)
    await window.watchlist.add_symbol("Upbit:btc/usdt")
    assert window.watchlist.model.symbols()[-1] == "upbit:BTC/USDT"
    assert await services.market.watchlist() == ["BTC/USDT", "ETH/USDT", "SOL/USDT", "005930", "AAPL", "upbit:BTC/USDT"]
    publish_quote(services, "BTC/USDT", bid="64000.00", ask="64000.02", last="64000.01")
    services.bus.publish(QuoteEvent(Quote("BTC/USDT", 1, D("70029.5"), D("70030.5"), D("70030"), venue="upbit"), "upbit"))
    window.bridge.flush()
    model = window.watchlist.model
    assert model.record(model.row_of("BTC/USDT")).last == D("64000.01")
    assert model.record(model.row_of("upbit:BTC/USDT")).last == D("70030")
    assert window.formats.price("upbit:BTC/USDT", D("70030")) == "70,030.000"  # the venue's own tick
    window.watchlist.table.clicked.emit(model.index(model.row_of("upbit:BTC/USDT"), 0))
    await window.chart.last_task
    assert window.chart.chart.symbol == "upbit:BTC/USDT"
    assert window.chart.bar_count() == 30
    assert window.ticket.symbol.currentText() == "BTC/USDT"


async def test_view_market_switches_to_binance_live_prices_and_the_watchlist_follows(window, services):
    import asyncio

    from fakes.binance import FakeBinance, FakeBinanceServer

    from trader_app.brokers.venues import LIVE_MARKETS

    assert set(window.market_actions) == {"demo", *LIVE_MARKETS} == {"demo", "binance", "bybit", "upbit", "bithumb"}
    async with FakeBinanceServer(FakeBinance()) as fake:
        services.settings.market.binance_rest_url = fake.rest_url
        services.settings.market.binance_stream_url = fake.stream_url
        window.market_actions["binance"].trigger()
        await window.last_market_task
        await services.markets.wait_connected(10)
        for _ in range(200):
            window.bridge.flush()
            rows = window.watchlist.model.symbols()
            if rows and rows[0] == "binance:BTC/USDT" and window.watchlist.model.record(0).quote is not None:
                break
            await asyncio.sleep(0.02)
        assert window.watchlist.model.symbols() == ["binance:BTC/USDT", "binance:ETH/USDT"]
        assert window.watchlist.model.record(0).last == Decimal("65000.00")
        window.update_status()
        assert window.market_label.text() == "Market: binance live (connected, 2 symbols)"
        await window.use_market("demo")
        window.bridge.flush()
        assert window.watchlist.model.symbols()[0] == "BTC/USDT"


async def test_the_chart_shows_a_busy_bar_while_history_loads(window, services):
    import asyncio

    gate = asyncio.Event()
    real = services.market.history

    async def slow_history(*args, **kw):
        await gate.wait()
        return await real(*args, **kw)

    services.market.history = slow_history
    try:
        task = window.chart.show_symbol("ETH/USDT")
        await asyncio.sleep(0.05)
        assert window.chart.progress.isVisible() and "ETH/USDT 1m" in window.chart.progress.format()
        gate.set()
        await task
        assert not window.chart.progress.isVisible()
    finally:
        services.market.history = real


async def test_the_window_fits_1440x900_and_1280x800_screens_with_the_sell_button_on_screen(window):
    """Issue 13: at 1440x900 the window was wider than the screen (its minimum width was 1489 px) and the
    ticket's Sell button could not be reached."""
    import asyncio

    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import QPushButton

    for w, h in ((1440, 900), (1280, 800)):
        screen = QRect(0, 0, w, h)
        window.resize(1600, 1000)
        window.move(200, 150)
        window.fit_to(screen)
        await asyncio.sleep(0.05)
        assert window.minimumSizeHint().width() <= w and window.minimumSizeHint().height() <= h
        assert window.frameGeometry().width() <= w and window.frameGeometry().height() <= h
        assert screen.contains(window.frameGeometry().topLeft())
        button = next(b for b in window.ticket.findChildren(QPushButton) if b.text() == "Sell")
        corner = button.mapTo(window, QPoint(button.width(), button.height()))
        assert window.rect().contains(corner), (w, h, corner)
