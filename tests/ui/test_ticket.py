"""The order ticket: validation messages, and orders through the ticket reaching Fills, Positions and
Open orders; cancelling from the Open orders context menu."""

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from trader_app.core.enums import OrderStatus, OrderType, Side, TimeInForce
from trader_app.ui.panels.ticket import TicketError, TicketFields, validate_ticket

from ui_helpers import publish_quote, until

import pytest


def fields(**kw):
    base = dict(account_id="a1", symbol="BTC/USDT", side=Side.BUY, order_type=OrderType.MARKET, quantity="1")
    base.update(kw)
    return TicketFields(**base)


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(account_id=""), "Choose an account"),
        (dict(symbol=" "), "Choose a symbol"),
        (dict(quantity=""), "Quantity is required"),
        (dict(quantity="0"), "Quantity must be greater than 0"),
        (dict(quantity="-1"), "Quantity must be greater than 0"),
        (dict(quantity="1.2.3"), "Quantity must be a number, got '1.2.3'"),
        (dict(order_type=OrderType.LIMIT), "Price is required for LIMIT orders"),
        (dict(order_type=OrderType.LIMIT, price="0"), "Price must be greater than 0"),
        (dict(order_type=OrderType.STOP_MARKET), "Stop price is required for STOP_MARKET orders"),
        (dict(order_type=OrderType.STOP_LIMIT, price="10"), "Stop price is required for STOP_LIMIT orders"),
        (dict(order_type=OrderType.STOP_LIMIT, stop_price="10"), "Price is required for STOP_LIMIT orders"),
    ],
)
def test_validate_ticket_messages(kw, message):
    with pytest.raises(TicketError) as err:
        validate_ticket(fields(**kw))
    assert str(err.value) == message


def test_validate_ticket_builds_the_request():
    req = validate_ticket(fields(order_type=OrderType.STOP_LIMIT, quantity="0,25", price="61000.5",
                                 stop_price="61500", time_in_force=TimeInForce.IOC), client_order_id="ta-1")
    assert (req.account_id, req.symbol, req.side, req.order_type) == ("a1", "BTC/USDT", Side.BUY, OrderType.STOP_LIMIT)
    assert (req.quantity, req.price, req.stop_price) == (Decimal("0.25"), Decimal("61000.5"), Decimal("61500"))
    assert req.time_in_force is TimeInForce.IOC and req.client_order_id == "ta-1"
    market = validate_ticket(fields(price="123"))  # a price typed for a MARKET order is ignored
    assert market.price is None and market.client_order_id.startswith("ta-")


async def test_ticket_shows_validation_message_and_sends_nothing(window, services):
    ticket = window.ticket
    ticket.set_symbol("BTC/USDT")
    ticket.set_order_type(OrderType.LIMIT)
    ticket.quantity.setText("0")
    ticket.price.setText("")
    assert ticket.submit(Side.BUY) is None
    assert ticket.result.text() == "Quantity must be greater than 0"
    assert ticket.quantity.property("invalid") is True
    ticket.quantity.setText("0.1")
    QTest.mouseClick(ticket.buy_button, Qt.MouseButton.LeftButton)
    assert ticket.result.text() == "Price is required for LIMIT orders"
    assert ticket.price.property("invalid") is True
    ticket.set_order_type(OrderType.STOP_MARKET)
    assert not ticket.price.isEnabled() and ticket.stop.isEnabled()
    ticket.sell_button.click()
    assert ticket.result.text() == "Stop price is required for STOP_MARKET orders"
    orders = await services.store.run(services.store.orders.list)
    assert orders == [] and services.order_manager.open_orders() == []


async def test_market_buy_through_the_ticket_reaches_fills_and_positions(window, services, account_id):
    publish_quote(services, "BTC/USDT", bid="64999.98", ask="65000.02")
    ticket = window.ticket
    ticket.set_account(account_id)
    ticket.set_symbol("BTC/USDT")
    ticket.set_order_type(OrderType.MARKET)
    ticket.quantity.setText("0.5")
    QTest.mouseClick(ticket.buy_button, Qt.MouseButton.LeftButton)
    order = await ticket.last_task
    assert order.status is OrderStatus.FILLED
    assert order.avg_fill_price == Decimal("65000.02") and order.filled_qty == Decimal("0.5")
    assert ticket.result.text() == "FILLED BUY 0.50000 BTC/USDT @ 65,000.02"

    fills, positions = window.fills.model, window.positions.model
    await until(lambda: (window.bridge.flush(), fills.rowCount() == 1 and positions.rowCount() == 1)[1])
    fill = fills.record(0)
    assert (fill.side, fill.price, fill.quantity) == (Side.BUY, Decimal("65000.02"), Decimal("0.5"))
    assert fill.commission == Decimal("32.50001")  # 0.001 x 0.5 x 65000.02
    assert [fills.data(fills.index(0, c)) for c in (1, 2, 3, 4, 5)] == [
        "Paper 1", "BTC/USDT", "BUY", "65,000.02", "0.50000"]
    pos = positions.record(0)
    assert (pos.symbol, pos.quantity, pos.avg_price) == ("BTC/USDT", Decimal("0.5"), Decimal("65000.02"))
    assert positions.data(positions.index(0, 3)) == "65,000.02"
    await until(lambda: (window.bridge.flush(), window.ledger.model.rowCount() == 5)[1])
    top = window.ledger.model.records()[:2]  # newest first; below them the three initial deposits
    assert sorted((e.kind.value, e.amount) for e in top) == [
        ("BUY", Decimal("-32500.01")), ("FEE", Decimal("-32.50001"))]
    assert [e.kind.value for e in window.ledger.model.records()[2:]] == ["DEPOSIT"] * 3
    row = window.watchlist.model.get("BTC/USDT")
    assert row.position_qty == Decimal("0.5")


async def test_cancel_resting_order_from_open_orders_context_menu(window, services, account_id):
    publish_quote(services, "BTC/USDT", bid="64999.98", ask="65000.02")
    ticket = window.ticket
    ticket.set_account(account_id)
    ticket.set_symbol("BTC/USDT")
    ticket.set_order_type(OrderType.LIMIT)
    ticket.quantity.setText("0.1")
    ticket.price.setText("60000")
    ticket.buy_button.click()
    order = await ticket.last_task
    assert order.status is OrderStatus.NEW
    panel = window.orders
    await until(lambda: (window.bridge.flush(), panel.model.rowCount() == 1)[1])
    assert panel.model.record(0).client_order_id == order.client_order_id

    menu = panel.menu_for(0)
    actions = {a.objectName(): a for a in menu.actions()}
    assert actions["cancelOrder"].text() == f"Cancel BUY BTC/USDT ({order.client_order_id})"
    assert actions["cancelOrder"].isEnabled() and actions["cancelAll"].isEnabled()
    actions["cancelOrder"].trigger()
    cancelled = await panel.last_task
    assert cancelled.status is OrderStatus.CANCELLED
    await until(lambda: (window.bridge.flush(), panel.model.rowCount() == 0)[1])
    stored = await services.store.run(services.store.orders.get, account_id, order.client_order_id)
    assert stored.status is OrderStatus.CANCELLED


async def test_cancel_all_from_the_menu_and_the_shortcut_action(window, services, account_id):
    publish_quote(services, "ETH/USDT", bid="3199.99", ask="3200.01")
    ticket = window.ticket
    ticket.set_account(account_id)
    ticket.set_symbol("ETH/USDT")
    ticket.set_order_type(OrderType.LIMIT)
    ticket.quantity.setText("1")
    for price in ("3000", "3100"):
        ticket.price.setText(price)
        ticket.buy_button.click()
        await ticket.last_task
    panel = window.orders
    await until(lambda: (window.bridge.flush(), panel.model.rowCount() == 2)[1])
    menu = panel.menu_for(None)
    actions = {a.objectName(): a for a in menu.actions()}
    assert not actions["cancelOrder"].isEnabled()
    window.cancel_all_action.trigger()
    cancelled = await panel.last_task
    assert sorted(o.status.value for o in cancelled) == ["CANCELLED", "CANCELLED"]
    await until(lambda: (window.bridge.flush(), panel.model.rowCount() == 0)[1])
    assert window.cancel_all_action.shortcut().toString() == "Ctrl+Shift+X"
    assert window.buy_action.shortcut().toString() == "Ctrl+B"


async def test_group_ticket_fans_out_to_every_linked_account(window, services, account_id):
    second = await services.accounts.create_paper_account("Paper 2", {"USDT": Decimal("20000")})
    await services.groups.create_group("trend", "SPOT")
    await services.groups.link("trend", account_id, "0.5")
    await services.groups.link("trend", second.account_id, "1")
    publish_quote(services, "BTC/USDT", bid="49999.99", ask="50000.00", last="50000.00")
    ticket = window.ticket
    await ticket.reload_groups()
    ticket.set_target_group("trend")
    assert ticket.quantity_label.text() == "qty_per %"
    ticket.set_symbol("BTC/USDT")
    ticket.set_order_type(OrderType.MARKET)
    ticket.quantity.setText("0")
    assert ticket.submit(Side.BUY) is None and ticket.result.text() == "qty_per must not be 0"
    ticket.quantity.setText("10")
    ticket.buy_button.click()
    outcome = await ticket.last_task
    by_account = {r.account_id: r for r in outcome.results}
    # 10 % of equity x weight at 50,000: 100,000 x 0.5 x 10 % = 5,000 -> 0.1 BTC; 20,000 x 1 x 10 % -> 0.04 BTC
    assert by_account[account_id].status == "FILLED" and by_account[account_id].quantity == Decimal("0.1")
    assert by_account[second.account_id].status == "FILLED"
    assert by_account[second.account_id].quantity == Decimal("0.04")
    assert ticket.result.text() == "Group trend:\nPaper 1: FILLED 0.1\nPaper 2: FILLED 0.04" or \
        ticket.result.text() == "Group trend:\nPaper 2: FILLED 0.04\nPaper 1: FILLED 0.1"
    await until(lambda: (window.bridge.flush(), window.positions.model.rowCount() == 2)[1])
    quantities = sorted(p.quantity for p in window.positions.model.records())
    assert quantities == [Decimal("0.04"), Decimal("0.1")]


def test_validate_group_ticket_builds_a_manual_signal():
    from trader_app.core.enums import SignalSource
    from trader_app.execution.signal import SignalOrderType
    from trader_app.ui.panels.ticket_rules import validate_group_ticket

    sig = validate_group_ticket(fields(account_id="group:trend", order_type=OrderType.LIMIT, quantity="-100",
                                       price="61000", side=Side.SELL), signal_id="sig-1", ts_ms=5)
    assert (sig.signal_id, sig.group_name, sig.source, sig.ts_ms) == ("sig-1", "trend", SignalSource.MANUAL, 5)
    (order,) = sig.orders
    assert (order.symbol, order.order_type, order.side) == ("BTC/USDT", SignalOrderType.LIMIT, Side.SELL)
    assert (order.qty_per, order.price, order.stop_price) == (Decimal("-100"), Decimal("61000"), None)
    assert sig.payload == {"group_name": "trend", "symbol": "BTC/USDT", "order_type": "LIMIT", "side": "sell",
                           "qty_per": "-100", "price": "61000"}
    for kw, message in (
        (dict(account_id="a1"), "Choose a strategy group"),
        (dict(account_id="group:trend", quantity=""), "qty_per is required (percent of the allocation; negative closes)"),
        (dict(account_id="group:trend", order_type=OrderType.STOP_MARKET), "Stop price is required for STOP_MARKET orders"),
    ):
        with pytest.raises(TicketError) as err:
            validate_group_ticket(fields(**kw))
        assert str(err.value) == message
