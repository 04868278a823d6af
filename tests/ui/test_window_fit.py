"""The window at common screen sizes (issue 13): columns sized to their content, optional columns hidden
when a table is narrow (never the important ones), an account's currencies grouped, the tables running
under the order ticket to the right edge."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt

from trader_app.ui.models.base import Column, KeyedTableModel
from trader_app.ui.panels.common import TableView

from ui_helpers import publish_quote

IMPORTANT = {
    "watchlist": {"Symbol", "Last", "Chg %", "RSI", "MACD"},
    "accounts": {"Account", "Session", "Ccy", "Equity", "Day PnL"},
    "positions": {"Account", "Symbol", "Qty", "Avg price", "Last", "Unrealized PnL", "Profit %", "Realized PnL"},
    "orders": {"Time", "Account", "Symbol", "Side", "Type", "Qty", "Price", "Stop", "TIF", "Status"},
    "fills": {"Time", "Account", "Symbol", "Side", "Price", "Qty"},
}


def _overflow(view) -> int:
    """How far the shown columns reach past the table's width (px); the stretched last one counts at the
    width its content needs."""
    header = view.horizontalHeader()
    shown = [i for i in range(header.count()) if not header.isSectionHidden(i)]
    need = sum(view._widths.get(i, header.sectionSize(i)) for i in shown)
    return need - view.viewport().width()


@pytest.mark.parametrize("size", [(1920, 1050), (1440, 870), (1280, 770)])
async def test_nothing_important_needs_a_scrollbar_at_common_screen_sizes(window, services, size):
    for sym, px in (("BTC/USDT", "64999.99"), ("ETH/USDT", "3199.99"), ("005930", "71900")):
        publish_quote(services, sym, bid=px, ask=px, last=px)
    window.bridge.flush()
    window.resize(*size)
    window.default_layout()
    await asyncio.sleep(0.3)
    for name, important in IMPORTANT.items():
        view = window.tables()[name]
        window.docks[name].raise_()
        await asyncio.sleep(0.05)
        view.fit_columns()
        hidden = set(view.hidden_columns())
        assert not hidden & important, (size, name, hidden)
        assert _overflow(view) <= 0, (size, name, _overflow(view))
    # the tables run under the order ticket to the right edge; the ticket stays beside the chart
    assert window.dockWidgetArea(window.docks["ticket"]) == Qt.DockWidgetArea.RightDockWidgetArea
    window.docks["positions"].raise_()
    await asyncio.sleep(0.05)
    ticket, positions = window.docks["ticket"].geometry(), window.docks["positions"].geometry()
    assert positions.right() >= ticket.left() and positions.top() > ticket.bottom()


async def test_an_accounts_currencies_are_one_block(window, services):
    model = window.accounts.model
    rows = model.records()
    ids = [r.account_id for r in rows]
    assert len(rows) == 3 and len(set(ids)) == 1  # Paper 1 in USDT, KRW, USD
    texts = [[model.index(r, c).data() for c in range(4)] for r in range(3)]
    assert texts[0][0] == "Paper 1" and texts[0][3] == "CONNECTED"
    assert texts[1] == ["", "", "", ""] and texts[2] == ["", "", "", ""]
    second = await services.accounts.create_paper_account("Paper 2", {"USDT": 1000})
    window.bridge.flush()
    await asyncio.sleep(0)
    from trader_app.core.portfolio import Balance
    from decimal import Decimal

    # a new currency of the first account lands under its block, not after the second account
    model.on_balances([Balance(ids[0], "EUR", Decimal(5), Decimal(0))])
    order = [(r.account_id, r.currency) for r in model.records()]
    first_block = [c for a, c in order[:4]]
    assert all(a == ids[0] for a, _ in order[:4]) and "EUR" in first_block
    assert order[4][0] == second.account_id


def test_columns_follow_their_content_and_narrow_tables_drop_optional_columns_by_rank(qtbot):
    model = KeyedTableModel([
        Column("Symbol", lambda r: r[0], width=40),
        Column("Bid", lambda r: r[1], width=60, optional=4),
        Column("Ask", lambda r: r[2], width=60, optional=4),
        Column("Volume", lambda r: r[3], width=60, optional=5),
        Column("MACD", lambda r: r[4], width=60),
    ], key=lambda r: r[0])
    view = TableView(model)
    qtbot.addWidget(view)
    view.resize(600, 200)
    view.show()
    model.upsert([("binance:BTC/USDT", "65000.01", "65000.02", "123.456", "1.5")])
    view.fit_columns()
    header = view.horizontalHeader()
    assert header.sectionSize(0) >= view.fontMetrics().horizontalAdvance("binance:BTC/USDT")  # grew to content
    assert view.hidden_columns() == []
    view.resize(view._widths[0] + view._widths[4] + view._widths[1] + view._widths[2] + 30, 200)
    assert view.hidden_columns() == ["Volume"]  # the highest rank goes first
    view.resize(view._widths[0] + view._widths[4] + 40, 200)
    assert view.hidden_columns() == ["Bid", "Ask", "Volume"]  # one rank goes together
    view.resize(800, 200)
    assert view.hidden_columns() == []  # back when there is room
    view.set_column_shown(3, False)  # the trader's choice holds
    assert view.hidden_columns() == ["Volume"]
    view.resize(900, 200)
    assert view.hidden_columns() == ["Volume"]


async def test_a_tripped_kill_switch_is_shown_in_the_status_bar(window, services):
    account = services.accounts.list()[0]
    window.update_status()
    assert window.alert_label.text() == ""
    services.risk_book.trip(account.account_id, "the order journal cannot be written (disk full); trading stopped")
    window.update_status()
    assert window.alert_label.text() == ("TRADING STOPPED on 1 account(s): the order journal cannot be written "
                                         "(disk full); trading stopped")
    assert account.name in window.alert_label.toolTip()
    await services.risk_book.reset(account.account_id)
    window.update_status()
    assert window.alert_label.text() == ""


async def test_the_listener_form_refuses_plain_http_off_loopback_and_applies_a_safe_change(window, services):
    form = window.panels["strategies"].listener_form
    form.host.setText("0.0.0.0")
    await form.apply()
    assert "Not applied" in form.state.text() and "plain HTTP" in form.state.text()
    assert services.settings.webhook.host == "127.0.0.1"  # nothing changed
    form.host.setText("127.0.0.1")
    form.port.setValue(0)
    form._tradingview()
    form.allow.setText(form.allow.text() + ", 127.0.0.1")
    await form.apply()
    assert services.settings.webhook.allowlist == ["tradingview", "127.0.0.1"]
    assert services.webhook is not None and services.webhook.port > 0
    # the port listened on (0 in the settings: any free port), not the settings' 0
    assert form.state.text().startswith(f"Exposed: http://127.0.0.1:{services.webhook.port} open to this machine only")
    form.allow.setText("10.0.0.0/33")
    with pytest.raises(Exception, match="not an address or network"):
        await form.apply()
    assert "not an address or network" in form.state.text()
    assert services.settings.webhook.allowlist == ["tradingview", "127.0.0.1"]
    await services.webhook.stop()
