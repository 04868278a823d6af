"""Every menu action, button and dialog of the main window, pressed as a user presses it (issue 20).

``PRESSED_BY`` lists each control of the window with the test that presses it; ``test_every_control_has_a_test``
reads the window's controls at run time and fails when one is added without a test (or a listed one is gone).
The presses come from ``user.py``: menu bar clicks, mouse clicks and key presses on the real widgets, dialogs
answered with their OK/Cancel buttons, Enter and Escape; the effect is checked in the store and on screen.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal as D
from pathlib import Path

import pytest
import pytest_asyncio
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QCheckBox, QDockWidget, QFileDialog, QMessageBox, QPushButton, QTabWidget, QToolButton

from trader_app.core.enums import OrderStatus, OrderType
from ui_helpers import publish_quote, until
from user import (
    cancel, click, context_menu, enter, escape, fill, key, menu, ok, on_dialog, pick_file, press_button, select_row,
    type_into,
)

S = "test_user_strategies.py::"
I = "test_strategy_instances.py::test_live_strategy_life_cycle_through_the_tab"
W = ""  # this module

PRESSED_BY = {
    # menus
    "menu:File/Import CSV...": W + "test_file_import_and_replay_csv_through_the_file_dialog",
    "menu:File/Replay CSV...": W + "test_file_import_and_replay_csv_through_the_file_dialog",
    "menu:File/Quit": W + "test_file_quit_closes_the_window",
    "menu:Trade/Buy (ticket)": W + "test_trade_menu_buy_sell_and_cancel_all",
    "menu:Trade/Sell (ticket)": W + "test_trade_menu_buy_sell_and_cancel_all",
    "menu:Trade/Cancel all open orders": W + "test_trade_menu_buy_sell_and_cancel_all",
    "menu:View/Reset layout": W + "test_view_menu_hides_shows_docks_and_resets_the_layout",
    "menu:View/Market/Demo market (synthetic prices, offline)": W + "test_view_market_menu_switches_the_market",
    "menu:View/Market/Binance spot (live prices, no key)": W + "test_view_market_menu_switches_the_market",
    "menu:View/Market/Bybit spot (live prices, no key)": W + "test_view_market_menu_bybit_prices_the_watchlist",
    "menu:View/Market/Upbit KRW market (live prices, no key)": W + "test_view_market_menu_upbit_prices_the_watchlist",
    "menu:View/Market/Bithumb KRW market (live prices, no key)": W + "test_view_market_menu_bithumb_prices_the_watchlist",
    "menu:Tools/Backtest...": W + "test_tools_backtest_opens_the_backtest_window",
    "menu:Tools/Open data folder location": W + "test_tools_data_folder_and_help_about_boxes",
    "menu:Help/About": W + "test_tools_data_folder_and_help_about_boxes",
    **{f"menu:View/{title}": W + "test_view_menu_hides_shows_docks_and_resets_the_layout"
       for title in ("Watchlist", "Accounts", "Chart", "Order ticket", "Positions", "Open orders", "Fills", "Ledger",
                     "Log", "Signals", "Strategies", "Performance", "Reports")},
    # context menus
    "context:watchlist/Chart": W + "test_watchlist_add_with_button_and_enter_chart_and_remove",
    "context:watchlist/Remove": W + "test_watchlist_add_with_button_and_enter_chart_and_remove",
    "context:orders/Cancel": W + "test_ticket_buttons_and_the_open_orders_context_menu",
    "context:orders/Cancel all": W + "test_ticket_buttons_and_the_open_orders_context_menu",
    # buttons
    "button:watchlist/addSymbol": W + "test_watchlist_add_with_button_and_enter_chart_and_remove",
    "button:accounts/newPaper": W + "test_accounts_new_paper_deposit_withdraw_dialogs",
    "button:accounts/deposit": W + "test_accounts_new_paper_deposit_withdraw_dialogs",
    "button:accounts/withdraw": W + "test_accounts_new_paper_deposit_withdraw_dialogs",
    "button:accounts/connectAccount": W + "test_accounts_connect_dialog_creates_a_paper_account",
    "button:accounts/acceptPositions": W + "test_accounts_accept_without_a_stopped_account_says_so",
    **{f"button:chart/interval_{iv}": W + "test_chart_interval_buttons" for iv in ("1m", "5m", "15m", "1h", "1d")},
    "button:ticket/buyButton": W + "test_ticket_buttons_and_the_open_orders_context_menu",
    "button:ticket/sellButton": W + "test_ticket_buttons_and_the_open_orders_context_menu",
    "button:strategies/newGroup": S + "test_new_group_ok_enter_cancel_escape",
    "button:strategies/toggleGroup": S + "test_group_token_buttons_enable_disable_and_delete",
    "button:strategies/deleteGroup": S + "test_group_token_buttons_enable_disable_and_delete",
    "button:strategies/showToken": S + "test_group_token_buttons_enable_disable_and_delete",
    "button:strategies/copyToken": S + "test_group_token_buttons_enable_disable_and_delete",
    "button:strategies/rotateToken": S + "test_group_token_buttons_enable_disable_and_delete",
    "button:strategies/copyAlert": S + "test_group_token_buttons_enable_disable_and_delete",
    "button:strategies/linkAccount": S + "test_link_edit_and_unlink_an_account",
    "button:strategies/editLink": S + "test_link_edit_and_unlink_an_account",
    "button:strategies/unlink": S + "test_link_edit_and_unlink_an_account",
    "button:strategies/editLimits": S + "test_risk_limits_dialog_and_kill_switch_reset",
    "button:strategies/resetKill": S + "test_risk_limits_dialog_and_kill_switch_reset",
    "button:strategies/showAdmin": S + "test_local_api_admin_token_show_and_copy",
    "button:strategies/copyAdmin": S + "test_local_api_admin_token_show_and_copy",
    "button:strategies/tradingviewPreset": W + "test_listener_form_tradingview_preset_and_apply",
    "button:strategies/applyListener": W + "test_listener_form_tradingview_preset_and_apply",
    "button:strategies/newInstance": I,
    "button:strategies/startInstance": I,
    "button:strategies/stopInstance": I,
    "button:strategies/editInstance": I,
    "button:strategies/removeInstance": I,
    "button:strategies/saveNotices": W + "test_notices_save_send_test_and_forget_token",
    "button:strategies/testNotice": W + "test_notices_save_send_test_and_forget_token",
    "button:strategies/forgetToken": W + "test_notices_save_send_test_and_forget_token",
    "button:performance/reloadGroups": W + "test_performance_reload_groups",
    "button:reports/makeReport": W + "test_reports_buttons_make_open_refresh_delete_and_save",
    "button:reports/openReport": W + "test_reports_buttons_make_open_refresh_delete_and_save",
    "button:reports/refreshReports": W + "test_reports_buttons_make_open_refresh_delete_and_save",
    "button:reports/deleteReport": W + "test_reports_buttons_make_open_refresh_delete_and_save",
    "button:reports/saveReportSettings": W + "test_reports_buttons_make_open_refresh_delete_and_save",
}


def _menu_items(menu_obj, prefix: str) -> list[str]:
    out = []
    for action in menu_obj.actions():
        if action.isSeparator() or not action.text():
            continue
        name = f"{prefix}/{action.text().replace('&', '')}"
        out.extend(_menu_items(action.menu(), name) if action.menu() else [name])
    return out


def window_controls(window) -> set[str]:
    """Every control a user can press in ``window``: menu items (by path), push and tool buttons of the panels
    (by object name), and the table context menus' items."""
    controls = set()
    for top in window.menuBar().actions():
        controls.update("menu:" + item for item in _menu_items(top.menu(), top.text().replace("&", "")))
    for name, panel in window.panels.items():
        for button in panel.findChildren(QAbstractButton):
            if isinstance(button, QCheckBox) or not isinstance(button, (QPushButton, QToolButton)):
                continue  # check boxes are fields of the forms their Save button sends
            if button.objectName() in ("ScrollLeftButton", "ScrollRightButton", "qt_tableview_cornerbutton"):
                continue  # Qt's own (tab bar scrolling, select all)
            assert button.objectName(), f"a button of {name} has no object name: {button.text()!r}"
            controls.add(f"button:{name}/{button.objectName()}")
    controls.update({"context:watchlist/Chart", "context:watchlist/Remove"})
    controls.update(f"context:orders/{a.text()}" for a in window.orders.menu_for(None).actions())
    return controls


async def test_every_control_has_a_test(window):
    found = window_controls(window)
    assert sorted(found - PRESSED_BY.keys()) == [], "controls without a test: add them to PRESSED_BY"
    assert sorted(PRESSED_BY.keys() - found) == [], "PRESSED_BY lists controls the window no longer has"
    here = Path(__file__).parent
    for test in set(PRESSED_BY.values()):
        module, _, name = test.rpartition("::")
        source = (here / module).read_text() if module else Path(__file__).read_text()
        assert f"def {name}(" in source, f"{test} does not exist"


# ---- menus ------------------------------------------------------------------------------------------------
CSV = "Date,Open,High,Low,Close,Volume\n" + "".join(
    f"2026-11-{d:02d},{100 + d},{101 + d},{99 + d},{100.5 + d},{1000 + d}\n" for d in range(1, 21))


async def test_file_import_and_replay_csv_through_the_file_dialog(window, services, tmp_path):
    path = tmp_path / "ACME_USDT.csv"
    path.write_text(CSV)
    answer = on_dialog(pick_file(str(path)), QFileDialog)
    await menu(window, "File", "Import CSV...")
    await answer.done()
    await until(lambda: window.chart.chart.symbol == "ACME/USDT" and window.chart.bar_count() == 20)
    bars = await services.market.history("ACME/USDT", window.chart.chart.interval, limit=100)
    assert len(bars) == 20 and bars[-1].close == D("120.5")

    answer = on_dialog(pick_file(str(path)), QFileDialog)
    await menu(window, "File", "Replay CSV...")
    await answer.done()
    await until(lambda: services.market.replay is not None)
    await until(lambda: "ACME/USDT" in window.watchlist.model.symbols())

    # Cancel in the file dialog does nothing
    answer = on_dialog(lambda d: d.reject(), QFileDialog)
    replay = services.market.replay
    await menu(window, "File", "Replay CSV...")
    await answer.done()
    assert services.market.replay is replay


async def test_file_quit_closes_the_window(window):
    closed = []
    window.closing.connect(lambda: closed.append(True))
    await menu(window, "File", "Quit")
    await until(lambda: closed == [True])
    assert not window.isVisible()


async def ticket_for(window, services, account_id: str, order_type: str, quantity: str):
    """The order ticket set up as a user would for BTC/USDT (quoted 64,999.98 / 65,000.02): account, symbol,
    type, the quantity typed."""
    publish_quote(services, "BTC/USDT", bid="64999.98", ask="65000.02")
    ticket = window.ticket
    ticket.set_account(account_id)
    ticket.set_symbol("BTC/USDT")
    ticket.order_type.setCurrentText(order_type)
    await type_into(ticket.quantity, quantity)
    return ticket


async def test_trade_menu_buy_sell_and_cancel_all(window, services, account_id):
    ticket = await ticket_for(window, services, account_id, "MARKET", "0.2")
    await menu(window, "Trade", "Buy (ticket)")
    order = await ticket.last_task
    assert (order.status, order.side.value, order.filled_qty) == (OrderStatus.FILLED, "BUY", D("0.2"))
    await menu(window, "Trade", "Sell (ticket)")
    order = await ticket.last_task
    assert (order.status, order.side.value) == (OrderStatus.FILLED, "SELL")
    position = services.portfolio.position(account_id, "BTC/USDT")
    assert position.quantity == 0

    ticket.order_type.setCurrentText("LIMIT")
    await type_into(ticket.price, "60000")
    await menu(window, "Trade", "Buy (ticket)")
    assert (await ticket.last_task).status is OrderStatus.NEW
    await until(lambda: (window.bridge.flush(), window.orders.model.rowCount() == 1)[1])
    await menu(window, "Trade", "Cancel all open orders")
    await window.orders.last_task
    assert services.order_manager.open_orders() == []
    # the shortcut does the same
    await click(ticket.buy_button)
    assert (await ticket.last_task).status is OrderStatus.NEW
    await key(window, Qt.Key.Key_X, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    await window.orders.last_task
    assert services.order_manager.open_orders() == []


async def test_view_menu_hides_shows_docks_and_resets_the_layout(window):
    for name, dock in window.docks.items():
        title = dock.windowTitle()
        await menu(window, "View", title)
        await until(lambda d=dock: not d.isVisible())
        await menu(window, "View", title)
        await until(lambda d=dock: d.isVisible() or window.tabifiedDockWidgets(d))
    window.docks["ticket"].setFloating(True)
    window.docks["log"].close()
    await menu(window, "View", "Reset layout")
    assert not window.docks["ticket"].isFloating() and window.docks["log"].isVisible() is not None
    assert window.dockWidgetArea(window.docks["ticket"]) == Qt.DockWidgetArea.RightDockWidgetArea
    assert all(not d.isHidden() for d in window.docks.values())


async def test_view_market_menu_switches_the_market(window, services):
    from test_offline_market import closed_port_url

    services.settings.market.binance_rest_url = closed_port_url()  # tests never touch the internet
    services.settings.market.binance_stream_url = closed_port_url().replace("http", "ws")
    await menu(window, "View", "Market", "Binance spot (live prices, no key)")
    await window.last_market_task
    assert services.market_name() == "binance" and services.market.paper_prices == "binance"
    assert window.market_actions["binance"].isChecked()
    await menu(window, "View", "Market", "Demo market (synthetic prices, offline)")
    await window.last_market_task
    assert services.market_name() == "demo" and services.market.paper_prices == "paper"
    assert window.market_actions["demo"].isChecked()


async def _view_market_prices_the_watchlist(window, services, fake, name: str, label: str) -> list:
    """View > Market > ``label`` against ``fake`` (a running fake venue server): the market is ``name``, its rows
    come in priced by its public stream, and it spends the accounts' network; back to the demo after. Returns the
    watchlist's rows and the first row's last price as they were on the live market."""
    import asyncio

    services.settings.market.urls[name] = {"rest": fake.rest_url, "stream": fake.stream_url}
    await menu(window, "View", "Market", label)
    await window.last_market_task
    await services.markets.wait_connected(10)
    assert services.market_name() == name and window.market_actions[name].isChecked()
    for _ in range(250):
        window.bridge.flush()
        rows = window.watchlist.model.symbols()
        if rows and window.watchlist.model.record(0).last is not None:
            break
        await asyncio.sleep(0.02)
    seen = [window.watchlist.model.symbols(), window.watchlist.model.record(0).last]
    # the live market and the venue's accounts spend one budget: the same network object
    assert services.markets.network is services.live_venues.market_network(name)
    await menu(window, "View", "Market", "Demo market (synthetic prices, offline)")
    await window.last_market_task
    assert services.market_name() == "demo"
    return seen


async def test_view_market_menu_bybit_prices_the_watchlist(window, services):
    from fakes.bybit import FakeBybit, FakeBybitServer

    async with FakeBybitServer(FakeBybit()) as fake:
        rows, last = await _view_market_prices_the_watchlist(window, services, fake, "bybit",
                                                             "Bybit spot (live prices, no key)")
    assert rows[0] == "bybit:BTC/USDT" and last > 0  # the fake venue's ticker, through the public stream


async def test_view_market_menu_upbit_prices_the_watchlist(window, services):
    from fakes.upbit import FakeUpbit, FakeUpbitServer

    async with FakeUpbitServer(FakeUpbit()) as fake:
        rows, last = await _view_market_prices_the_watchlist(window, services, fake, "upbit",
                                                             "Upbit KRW market (live prices, no key)")
    # Upbit's own KRW symbols come in (not the USDT defaults of the other markets), priced by its stream
    assert rows[:2] == ["upbit:BTC/KRW", "upbit:ETH/KRW"] and last == 95_000_000


async def test_view_market_menu_bithumb_prices_the_watchlist(window, services):
    from fakes.bithumb import FakeBithumbServer

    async with FakeBithumbServer() as fake:
        rows, last = await _view_market_prices_the_watchlist(window, services, fake, "bithumb",
                                                             "Bithumb KRW market (live prices, no key)")
    assert rows[:2] == ["bithumb:BTC/KRW", "bithumb:ETH/KRW"] and last == 95_000_000


async def test_tools_backtest_opens_the_backtest_window(window):
    await menu(window, "Tools", "Backtest...")
    assert window.backtest_window is not None and window.backtest_window.isVisible()
    window.backtest_window.close()


async def test_tools_data_folder_and_help_about_boxes(window, services):
    texts = []
    answer = on_dialog(lambda box: (texts.append(box.text()), ok(box)), QMessageBox, title="Data folder")
    await menu(window, "Tools", "Open data folder location")
    await answer.done()
    answer = on_dialog(lambda box: (texts.append(box.text()), enter(box)), QMessageBox, title="Trader App")
    await menu(window, "Help", "About")
    await answer.done()
    assert str(services.data_dir) in texts[0] and texts[1].startswith("Trader App ")


# ---- accounts ---------------------------------------------------------------------------------------------
async def test_accounts_new_paper_deposit_withdraw_dialogs(window, services):
    panel = window.accounts
    answer = on_dialog(lambda d: (fill(d, cashName="Swing", cashCurrency="USD", cashAmount="2500"), ok(d)),
                       title="New paper account")
    await click(panel.findChild(QPushButton, "newPaper"))
    await answer.done()
    await panel.last_task
    swing = next(a for a in services.accounts.list() if a.name == "Swing")
    assert [(b.currency, b.total) for b in services.portfolio.balances(swing.account_id)] == [("USD", D("2500"))]

    # a bad amount is refused inside the dialog (it stays open, says why), then Escape leaves it
    messages = []

    def bad_then_escape(d):
        fill(d, cashName="Bad", cashAmount="-5")
        ok(d)
        messages.append(d.error.text())
        escape(d)

    answer = on_dialog(bad_then_escape, title="New paper account")
    await click(panel.findChild(QPushButton, "newPaper"))
    await answer.done()
    assert messages == ["amount must be greater than 0"]
    assert not any(a.name == "Bad" for a in services.accounts.list())

    await until(lambda: any(r.name == "Swing" for r in panel.model.records()))
    row = next(i for i, r in enumerate(panel.model.records()) if r.name == "Swing")
    await select_row(panel.table, row)
    answer = on_dialog(lambda d: (fill(d, cashAmount="500"), ok(d)), title="Deposit to Swing")
    await click(panel.findChild(QPushButton, "deposit"))
    await answer.done()
    await panel.last_task
    await select_row(panel.table, row)
    answer = on_dialog(lambda d: (fill(d, cashAmount="200"), enter(d)), title="Withdraw from Swing")
    await click(panel.findChild(QPushButton, "withdraw"))
    await answer.done()
    await panel.last_task
    assert services.portfolio.balances(swing.account_id)[0].total == D("2800")
    ledger = await services.store.run(services.store.ledger.list, swing.account_id)
    assert sorted((e.kind.value, e.amount) for e in ledger) == [
        ("DEPOSIT", D("500")), ("DEPOSIT", D("2500")), ("WITHDRAW", D("-200"))]
    # Cancel withdraws nothing
    await select_row(panel.table, row)
    answer = on_dialog(lambda d: (fill(d, cashAmount="100"), cancel(d)), title="Withdraw from Swing")
    await click(panel.findChild(QPushButton, "withdraw"))
    await answer.done()
    assert services.portfolio.balances(swing.account_id)[0].total == D("2800")


async def test_accounts_connect_dialog_creates_a_paper_account(window, services):
    panel = window.accounts

    def connect_paper(d):
        d.venue.setCurrentIndex(d.venue.findData("paper"))
        d.name.setText("Connected paper")
        ok(d)

    answer = on_dialog(connect_paper, title="Connect")
    await click(panel.findChild(QPushButton, "connectAccount"))
    await answer.done()
    await panel.last_task
    assert any(a.name == "Connected paper" and a.broker == "paper" for a in services.accounts.list())


async def test_accounts_accept_without_a_stopped_account_says_so(window, services):
    panel = window.accounts
    lines = []
    window.bridge.logs.connect(lambda events: lines.extend(e.message for e in events))
    await click(panel.findChild(QPushButton, "acceptPositions"))
    await select_row(panel.table, 0)
    await click(panel.findChild(QPushButton, "acceptPositions"))
    await until(lambda: (window.bridge.flush(), len(lines) >= 2)[1])
    assert lines[:2] == ["select an account row first", "account Paper 1 is not stopped: nothing to accept"]


# ---- watchlist, chart, ticket -----------------------------------------------------------------------------
async def test_watchlist_add_with_button_and_enter_chart_and_remove(window, services):
    panel = window.watchlist
    for symbol in ("AAPL", "005930"):  # both are in the default watchlist: the context menu removes them
        await context_menu(panel.table, panel.model.symbols().index(symbol), f"Remove {symbol}")
        await panel.last_task
    assert not {"AAPL", "005930"} & set(await services.market.watchlist())
    await until(lambda: not {"AAPL", "005930"} & set(panel.model.symbols()))
    await type_into(panel.add_edit, "AAPL")
    await click(panel.findChild(QPushButton, "addSymbol"))
    await panel.last_task
    await type_into(panel.add_edit, "005930")
    await key(panel.add_edit, Qt.Key.Key_Return)
    await panel.last_task
    assert (await services.market.watchlist())[-2:] == ["AAPL", "005930"]
    await until(lambda: panel.model.symbols()[-2:] == ["AAPL", "005930"])
    await context_menu(panel.table, panel.model.symbols().index("AAPL"), "Chart AAPL")
    await until(lambda: window.chart.chart.symbol == "AAPL")


async def test_chart_interval_buttons(window, services):
    chart = window.chart
    await until(lambda: chart.chart.symbol != "")
    for iv in ("5m", "15m", "1h", "1d", "1m"):
        await click(chart.findChild(QToolButton, f"interval_{iv}"))
        await until(lambda v=iv: chart.chart.interval.value == v and chart._loading is None)
        assert chart.findChild(QToolButton, f"interval_{iv}").isChecked()


async def test_ticket_buttons_and_the_open_orders_context_menu(window, services, account_id):
    ticket = await ticket_for(window, services, account_id, "LIMIT", "0.1")
    await type_into(ticket.price, "60000")
    await click(ticket.buy_button)
    first = await ticket.last_task
    await type_into(ticket.price, "70000")
    ticket.order_type.setCurrentText("LIMIT")
    await click(ticket.sell_button)
    with pytest.raises(Exception, match="does not allow short selling"):
        await ticket.last_task  # nothing held to sell on a paper account: refused before sending
    assert "does not allow short selling" in ticket.result.text()
    await type_into(ticket.price, "59000")
    await click(ticket.buy_button)
    second = await ticket.last_task
    panel = window.orders
    window.docks["orders"].raise_()
    await until(lambda: (window.bridge.flush(), panel.model.rowCount() == 2)[1])
    row = next(i for i, o in enumerate(panel.model.records()) if o.client_order_id == first.client_order_id)
    await context_menu(panel.table, row, f"Cancel BUY BTC/USDT ({first.client_order_id})")
    assert (await panel.last_task).status is OrderStatus.CANCELLED
    await until(lambda: (window.bridge.flush(), panel.model.rowCount() == 1)[1])
    await context_menu(panel.table, 0, "Cancel all")
    await panel.last_task
    stored = await services.store.run(services.store.orders.get, account_id, second.client_order_id)
    assert stored.status is OrderStatus.CANCELLED


# ---- strategies dock: listener form and notices -----------------------------------------------------------
async def _strategies_tab(window, title: str):
    from test_user_strategies import open_tab, strategies

    panel = strategies(window)
    await open_tab(panel, title)
    return panel


async def test_listener_form_tradingview_preset_and_apply(window, services):
    panel = await _strategies_tab(window, "Local API")
    form = panel.listener_form
    await click(form.findChild(QPushButton, "tradingviewPreset"))
    assert "tradingview" in form.allow.text()
    await type_into(form.host, "0.0.0.0")
    await click(form.findChild(QPushButton, "applyListener"))
    await until(lambda: form.state.text().startswith("Not applied:"))
    assert services.settings.webhook.host == "127.0.0.1"  # off loopback needs HTTPS: refused, nothing changed
    await type_into(form.host, "127.0.0.1")
    form.port.setValue(0)
    await click(form.findChild(QPushButton, "applyListener"))
    await until(lambda: form.state.text().startswith("Exposed:"))
    assert services.settings.webhook.allowlist == ["tradingview"]


async def test_notices_save_send_test_and_forget_token(window, services):
    panel = await _strategies_tab(window, "Notices")
    tab = panel.notices
    await type_into(tab.chat_edit, "123456789")
    await type_into(tab.token_edit, "123:abc-token")
    await click(tab.findChild(QPushButton, "saveNotices"))
    await tab.last_task
    assert services.settings.notices.telegram_chat_id == "123456789" and services.notices.token_stored
    assert tab.token_edit.text() == ""  # the token went to the keyring, not the form
    await click(tab.findChild(QPushButton, "testNotice"))
    await tab.last_task
    assert tab.status.text().startswith("test notice not sent")  # notices are off: nothing is sent
    await click(tab.findChild(QPushButton, "forgetToken"))
    await tab.last_task
    assert not services.notices.token_stored


# ---- performance and reports ------------------------------------------------------------------------------
async def test_performance_reload_groups(window, services):
    from test_user_strategies import new_group

    panel = window.panels["performance"]
    await new_group(window, "trend")
    await services.groups.link("trend", services.accounts.list()[0].account_id, "1")
    await until(lambda: panel.tracker.scopes())  # the account's equity is recorded
    window.docks["performance"].raise_()
    await click(panel.findChild(QPushButton, "reloadGroups"))
    await until(lambda: any("trend" in panel.scope_box.itemText(i) for i in range(panel.scope_box.count())))


async def test_reports_buttons_make_open_refresh_delete_and_save(window, services, monkeypatch):
    panel = window.panels["reports"]
    window.docks["reports"].raise_()
    opened = []
    monkeypatch.setattr("trader_app.ui.panels.reports.QDesktopServices.openUrl", lambda url: opened.append(url))
    await click(panel.findChild(QPushButton, "makeReport"))
    await panel.last_task
    assert panel.table.rowCount() == 1 and len(services.store.reports.list()) == 1
    assert "Trader App report: daily" in panel.page.toPlainText()
    await click(panel.findChild(QPushButton, "openReport"))
    await panel.last_task
    (url,) = opened
    assert Path(url.toLocalFile()).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    await click(panel.findChild(QPushButton, "refreshReports"))
    await panel.last_task
    assert panel.table.rowCount() == 1
    await click(panel.findChild(QPushButton, "deleteReport"))
    await panel.last_task
    assert panel.table.rowCount() == 0 and services.store.reports.list() == []

    panel.schedule_box.setChecked(False)
    await click(panel.findChild(QPushButton, "saveReportSettings"))
    await panel.last_task
    assert services.settings.reports.schedule is False and "schedule off" in panel.status.text()


# ---- errors in slots and the log file ----------------------------------------------------------------------
@pytest_asyncio.fixture
async def log_file(services, tmp_path):
    """``logs/trader-app.log`` of a data dir, with the app's log forwarding installed (as the window runs)."""
    from trader_app.app import install_log_forwarding
    from trader_app.app.services import remove_log_forwarding
    from trader_app.config import open_log_file

    path = open_log_file(tmp_path)
    handler = install_log_forwarding(services.bus, services)
    yield path
    remove_log_forwarding(handler)
    for h in list(logging.getLogger("trader_app").handlers):
        if getattr(h, "baseFilename", "") == str(path):
            logging.getLogger("trader_app").removeHandler(h)
            h.close()


def read_log(path: Path) -> str:
    for h in logging.getLogger("trader_app").handlers:
        h.flush()
    return path.read_text(encoding="utf-8")
@pytest.mark.qt_no_exception_capture
async def test_an_error_in_a_button_reaches_the_log_panel_the_log_file_and_a_message_box(window, log_file):
    button = QPushButton("Broken", window.panels["accounts"])
    button.clicked.connect(lambda: 1 / 0)
    button.show()
    await click(button)
    await until(lambda: window.errors.boxes)
    box = window.errors.boxes[-1]
    assert box.isVisible() and "ZeroDivisionError: division by zero" in box.text()
    await until(lambda: (window.bridge.flush(), any("ZeroDivisionError" in r.event.message
                                                     for r in window.log_panel.model.records()))[1])
    row = next(r for r in window.log_panel.model.records() if "ZeroDivisionError" in r.event.message)
    assert "Traceback (most recent call last)" in row.event.message and row.event.level == "ERROR"
    text = read_log(log_file)
    assert "unexpected error in the window: ZeroDivisionError" in text and "Traceback" in text
    ok(box)


async def test_a_long_status_text_is_elided_with_the_whole_text_in_the_tooltip(window, services, monkeypatch):
    long = "binance (unreachable, retrying: binance unreachable (ConnectError) since 22:51:07, next try in 30 s)"
    monkeypatch.setattr(services, "market_text", lambda: long)
    window.update_status()
    label = window.market_label
    assert label.text() == f"Market: {long}" and label.is_elided()
    assert label.shown_text().endswith("\u2026") and label.toolTip() == f"Market: {long}"
    monkeypatch.setattr(services, "market_text", lambda: "demo")
    window.update_status()
    assert not label.is_elided() and label.toolTip() == ""


async def test_reports_panel_offers_today_a_dark_preview_and_telegram_only_when_set_up(window, services):
    import datetime as dt

    panel = window.panels["reports"]
    window.docks["reports"].raise_()
    await panel.refresh()
    d = panel.date_edit.date()
    assert (d.year(), d.month(), d.day()) == dt.date.today().timetuple()[:3]
    telegram = panel.telegram_box
    assert not telegram.isEnabled() and not telegram.isChecked() and "Notices" in telegram.toolTip()
    await click(panel.findChild(QPushButton, "makeReport"))
    await panel.last_task
    html = panel.page.toHtml()
    assert "#15181d" in html and "#ffffff" not in html.split("<body")[0]  # the window's dark background
    # set Telegram up (on, chat id, token): the box can be ticked
    await services.notices.configure(enabled=True, chat_id="123", bot_token="1:abc")
    await panel.refresh()
    assert telegram.isEnabled() and telegram.isChecked() == services.settings.reports.telegram_daily


async def test_the_log_file_holds_what_the_log_panel_shows(window, services, log_file):
    """Issue 20: logs/trader-app.log lacked the INFO events the Log panel shows (fills from the ticket, warnings,
    reports): they were published on the bus without going through logging."""
    ticket = await ticket_for(window, services, services.accounts.list()[0].account_id, "MARKET", "0.01")
    await click(ticket.buy_button)
    order = await ticket.last_task
    await until(lambda: (window.bridge.flush(), any(order.client_order_id in r.event.message
                                                     for r in window.log_panel.model.records()))[1])
    lines = [ln for ln in read_log(log_file).splitlines() if order.client_order_id in ln]
    assert len(lines) == 1 and " INFO trader_app.ticket: FILLED BUY 0.01000 BTC/USDT @ 65,000.02" in lines[0]


async def test_the_chart_readout_shows_prices_at_the_instruments_tick(window, services):
    from decimal import Decimal

    from trader_app.core.enums import Interval
    from trader_app.core.market_data import Bar

    bars = [Bar("ETH/USDT", Interval.M1, 1_796_000_000_000 + k * 60_000, Decimal("3200.005"), Decimal("3201.1234567"),
                Decimal("3199.99"), Decimal("3200.4999999999999"), Decimal("1")) for k in range(30)]
    await services.store.run(services.store.bars.save, bars)
    await window.chart.show_symbol("ETH/USDT", Interval.M1)
    assert services.market.instrument("ETH/USDT").tick_size == Decimal("0.01")
    assert window.chart.chart._series.price_decimals == 2  # the tick's places, not the bars' 13
