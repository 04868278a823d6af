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
