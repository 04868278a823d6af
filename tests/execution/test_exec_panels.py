"""The Signals and Strategies panels over the real services (offscreen Qt, bridge flushed by hand)."""

import asyncio
from decimal import Decimal as D
from types import SimpleNamespace

import pytest
import pytest_asyncio
from PySide6.QtGui import QGuiApplication

from trader_app.core.enums import Side, SignalSource
from trader_app.core.errors import DuplicateLink
from trader_app.execution.executor import new_signal
from trader_app.execution.signal import SignalOrder, SignalOrderType as T
from trader_app.trading.risk.rules import RiskLimits
from trader_app.ui.bridge import EventBridge
from trader_app.ui.panels.signals import SignalsPanel, describe
from trader_app.ui.panels.strategies import StrategiesPanel
from trader_app.ui.panels.strategy_forms import MASK, limits_text, parse_money_map


@pytest_asyncio.fixture
async def ui(rig, qapp):
    services = SimpleNamespace(store=rig.store, bus=rig.bus, groups=rig.groups, accounts=rig.accounts,
                               risk_book=rig.risk_book, order_manager=rig.om, executor=rig.executor, webhook=None)
    bridge = EventBridge(rig.bus)
    bridge.start()
    yield SimpleNamespace(rig=rig, services=services, bridge=bridge)
    bridge.stop()


def cells(model, row):
    return [model.data(model.index(row, c)) for c in range(model.columnCount())]


async def test_signals_panel_shows_each_accounts_outcome(ui):
    rig = ui.rig
    rig.quote("BTC/USDT", "29990", "30000")
    first = await rig.executor.execute(new_signal("trend", [SignalOrder("BTC/USDT", T.MARKET, Side.BUY, D("10"))],
                                                  SignalSource.WEBHOOK, {"group_name": "trend", "symbol": "BTC/USDT",
                                                                         "order_type": "MARKET", "side": "buy",
                                                                         "qty_per": 10}))
    await rig.settle()
    panel = SignalsPanel(ui.services, ui.bridge)
    await panel.load()
    assert panel.model.rowCount() == 1
    row = cells(panel.model, 0)
    assert row[1:6] == ["webhook", "trend", "MARKET BUY BTC/USDT 10%", "3", "3 FILLED"]
    # a new signal arrives through the bus -> bridge: PENDING first, then the outcome, on top
    second = await rig.executor.execute(new_signal("trend", [SignalOrder("BTC/USDT", T.MARKET, Side.SELL, D("-100"))],
                                                   SignalSource.MANUAL, {"group_name": "trend", "order_type": "MARKET",
                                                                         "qty_per": -100, "symbol": "BTC/USDT"}))
    await rig.settle()
    ui.bridge.flush()
    assert [panel.model.record(r).signal_id for r in range(2)] == [second.signal_id, first.signal_id]
    assert cells(panel.model, 0)[5] == "3 FILLED"
    panel.select(first.signal_id)
    assert panel.results_model.rowCount() == 3
    names = sorted(cells(panel.results_model, r)[0] for r in range(3))
    assert names == ["P1", "P2", "P3"]
    assert sorted(cells(panel.results_model, r)[4] for r in range(3)) == ["0.0666", "0.1666", "0.3333"]
    assert '"qty_per": 10' in panel.payload.toPlainText()


def test_describe_signals():
    assert describe({"orders": [{}, {}], "symbol": "BTC/USDT"}) == "batch of 2 on BTC/USDT"
    assert describe({"action": "close_all", "symbol": None}) == "close all (everything)"
    assert describe({"order_type": "limit", "side": "sell", "symbol": "AAPL", "qty_per": "5"}) == "LIMIT SELL AAPL 5%"


async def test_strategies_panel_groups_links_and_token(ui, memory_keyring):
    rig = ui.rig
    panel = StrategiesPanel(ui.services, ui.bridge)
    await panel.load()
    assert cells(panel.groups_model, 0) == ["trend", "SPOT", "yes", "3", ""]
    assert panel.selected_group() == "trend"
    assert panel.token_edit.text() == MASK
    panel.toggle_token()
    assert panel.token_edit.text() == rig.token
    panel.copy_token()
    assert QGuiApplication.clipboard().text() == rig.token
    assert sorted(cells(panel.links_model, r)[:2] for r in range(3)) == [["P1", "1"], ["P2", "0.5"], ["P3", "0.2"]]

    await panel.rotate_token()
    new = memory_keyring.store[("TraderApp", "webhook:trend")]
    assert new != rig.token and await rig.groups.verify_token("trend", new)
    assert panel.token_edit.text() == MASK  # masked again after the reload
    assert "old one no longer works" in panel.status.text()

    await panel.create_group("scalp", "FUTURES", "fast")
    assert panel.selected_group() == "scalp"
    await panel.link_account(rig.ids[0], "0.25", "5", 2)
    assert cells(panel.links_model, 0) == ["P1", "0.25", "5", "2"]
    with pytest.raises(DuplicateLink):  # twice: refused with a warning
        await panel.link_account(rig.ids[0], "0.5")
    await asyncio.sleep(0)  # the task's done-callback shows the warning
    assert panel.status.text() == f"warning: account {rig.ids[0]!r} is already linked to strategy group 'scalp'"
    assert len(rig.store.links.list("scalp")) == 1
    panel.links_table.selectRow(0)
    await panel.unlink_selected()
    assert panel.links_model.rowCount() == 0
    await panel.toggle_group()
    assert rig.store.groups.get("scalp").enabled is False
    await panel.delete_group()
    assert rig.store.groups.get("scalp") is None
    assert [r.group_name for r in panel.groups_model.records()] == ["trend"]


async def test_strategies_panel_risk_and_admin_token(ui, monkeypatch):
    rig = ui.rig
    monkeypatch.setenv("TRADER_APP_API_TOKEN", "adm-123")
    panel = StrategiesPanel(ui.services, ui.bridge)
    await panel.load()
    assert [cells(panel.risk_model, r)[1] for r in range(3)] == ["ok"] * 3
    await panel.set_limits(rig.ids[1], {"max_order_notional": parse_money_map("usdt=5000"), "max_open_orders": 3})
    assert rig.risk_book.limits(rig.ids[1]) == RiskLimits(max_order_notional={"USDT": D("5000")}, max_open_orders=3)
    assert cells(panel.risk_model, 1)[3] == "order USDT=5000; open orders 3"
    rig.risk_book.trip(rig.ids[2], "daily loss 1000.00 USDT reached the limit 1000 USDT", D("1000"), "USDT")
    ui.bridge.flush()
    await panel.load()
    assert cells(panel.risk_model, 2)[1:3] == ["TRIPPED", "daily loss 1000.00 USDT reached the limit 1000 USDT"]
    await panel.reset_kill_switch(rig.ids[2])
    assert rig.risk_book.kill_switch(rig.ids[2]) is None and cells(panel.risk_model, 2)[1] == "ok"
    await panel.show_admin_token()
    assert panel.admin_edit.text() == "adm-123"
    assert panel.api_label.text() == "The listener is off."


def test_limit_text_helpers():
    assert parse_money_map("USDT=50000; krw = 5000000") == {"USDT": "50000", "KRW": "5000000"}
    assert limits_text({"daily_loss_limit": {"USDT": "100"}, "max_orders_per_second": 5}) == "daily loss USDT=100; 5/s"
    assert limits_text({}) == "none"
