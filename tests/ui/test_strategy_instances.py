"""The "Live strategies" tab (create through the dialog, start, stop, edit, error, remove) over the real
services and runner, and the Performance panel's axes and default scope."""

from decimal import Decimal
from types import SimpleNamespace

import pyqtgraph as pg
import pytest
import pytest_asyncio
from PySide6.QtWidgets import QCheckBox, QComboBox, QDialogButtonBox, QDoubleSpinBox, QMessageBox, QSpinBox

from trader_app.core.bus import EventBus
from trader_app.core.enums import Interval
from trader_app.core.errors import ConfigError
from trader_app.core.events import AccountSummaryEvent, BarEvent
from trader_app.core.ids import now_ms
from trader_app.core.market_data import Bar
from trader_app.core.portfolio import Account, AccountSummary
from trader_app.strategies import registry
from trader_app.strategies.base import Strategy
from trader_app.strategies.params import Param
from trader_app.ui.bridge import EventBridge
from trader_app.ui.panels.common import spawn
from trader_app.ui.panels.performance import SINGLE_POINT_SPAN_S, EquityPlot, PerformancePanel, ValueAxis, value_tick_text
from trader_app.ui.panels.strategies import StrategiesPanel
from trader_app.ui.panels.strategy_instances import StrategyInstancesPanel, position_text, trailing_text

from ui_helpers import until


class Exploding(Strategy):
    """Does nothing until a bar closes, then raises (the runner must stop it with a visible error)."""

    name = "ui_exploding"
    title = "Exploding (test)"
    description = "raises on every bar"
    params = (
        Param("period", int, 5, 2, 50, "bars to look back"),
        Param("threshold", float, 1.5, 0, 10, "how far, in percent", step=0.25),
        Param("flag", bool, False, help="a switch"),
        Param("mode", str, "a", help="how", choices=("a", "b")),
    )

    def validate(self) -> None:
        if self.p.mode == "b" and self.p.period < 10:
            raise ConfigError(f"mode b needs period >= 10, got {self.p.period}")

    def on_bar(self, i: int) -> None:
        raise RuntimeError("exploded on bar")


@pytest.fixture
def exploding():
    registry.register(Exploding)
    yield Exploding
    registry.STRATEGIES.pop(Exploding.name, None)


@pytest_asyncio.fixture
async def ui(services, account_id, exploding, qapp):
    await services.groups.create_group("trend", "SPOT")
    await services.groups.link("trend", account_id, "1")
    bridge = EventBridge(services.bus)
    bridge.start()
    panel = StrategiesPanel(services, bridge)
    panel.show()
    await panel.load()
    yield SimpleNamespace(services=services, bridge=bridge, outer=panel, panel=panel.instances)
    for box in (panel.instances.message_box, panel.instances.confirm_box):
        if box is not None:
            box.close()
    panel.close()
    bridge.stop()


def cells(model, row):
    return [model.data(model.index(row, c)) for c in range(model.columnCount())]


def click_ok(dialog):
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


async def flushed(bridge, predicate):
    def check():
        bridge.flush()
        return predicate()
    await until(check)


async def test_live_strategy_life_cycle_through_the_tab(ui):
    panel, services, runner = ui.panel, ui.services, ui.services.strategies
    tabs = ui.outer.findChild(pg.QtWidgets.QTabWidget)
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Groups", "Live strategies", "Risk", "Local API", "Notices"]
    assert panel.model.rowCount() == 0
    assert not panel.buttons["startInstance"].isEnabled() and panel.buttons["newInstance"].isEnabled()

    # --- New…: the form is built from the declared params; OK validates and stays open on a refusal
    panel.buttons["newInstance"].click()
    await panel.last_task
    dlg = panel.dialog
    assert dlg.isVisible() and [dlg.group_box.itemText(i) for i in range(dlg.group_box.count())] == ["trend"]
    dlg.strategy_box.setCurrentIndex(dlg.strategy_box.findData("ui_exploding"))
    ed = dlg.params_form.editors
    assert isinstance(ed["period"], QSpinBox) and (ed["period"].minimum(), ed["period"].maximum(), ed["period"].value()) == (2, 50, 5)
    assert isinstance(ed["threshold"], QDoubleSpinBox)
    assert (ed["threshold"].minimum(), ed["threshold"].maximum(), ed["threshold"].value(), ed["threshold"].singleStep()) == (0.0, 10.0, 1.5, 0.25)
    assert isinstance(ed["flag"], QCheckBox) and not ed["flag"].isChecked()
    assert isinstance(ed["mode"], QComboBox) and [ed["mode"].itemText(i) for i in range(2)] == ["a", "b"]
    assert ed["period"].toolTip() == "bars to look back\n2 \u2026 50; default 5"
    assert ed["mode"].toolTip() == "how\none of a, b; default a"

    click_ok(dlg)
    assert dlg.isVisible() and dlg.error_label.text() == "give the strategy instance a name"
    dlg.name_edit.setText("boom-1")
    click_ok(dlg)
    assert dlg.isVisible() and dlg.error_label.text() == "select at least one symbol"
    dlg.set_symbols(["BTC/USDT"])
    ed["mode"].setCurrentText("b")
    click_ok(dlg)
    assert dlg.isVisible() and dlg.error_label.text() == "mode b needs period >= 10, got 5"
    assert await services.store.run(services.store.strategy_instances.list) == []
    ed["period"].setValue(12)
    click_ok(dlg)
    assert not dlg.isVisible()
    await panel.last_task
    assert cells(panel.model, 0) == ["boom-1", "ui_exploding", "trend", "BTC/USDT", "1m", "stopped", "flat", "", "", ""]
    record = await services.store.run(services.store.strategy_instances.get, "boom-1")
    assert record.params == {"period": 12, "threshold": 1.5, "flag": False, "mode": "b"}
    assert record.interval is Interval.M1 and record.symbols == ("BTC/USDT",) and not record.running
    assert panel.status.text() == "strategy 'boom-1' (ui_exploding on BTC/USDT) added; press Start to run it"

    # --- a taken name is refused in the dialog
    panel.open_new_dialog()
    await panel.last_task
    panel.dialog.name_edit.setText("boom-1")
    click_ok(panel.dialog)
    assert panel.dialog.error_label.text() == "a strategy instance named 'boom-1' exists already"
    panel.dialog.reject()

    # --- Start / Stop
    panel.select("boom-1")
    panel.buttons["startInstance"].click()
    await panel.last_task
    assert runner.running() == ["boom-1"]
    assert cells(panel.model, 0)[5] == "running"
    assert not panel.buttons["startInstance"].isEnabled() and panel.buttons["stopInstance"].isEnabled()
    assert not panel.buttons["editInstance"].isEnabled()
    panel.buttons["stopInstance"].click()
    await panel.last_task
    assert runner.running() == [] and cells(panel.model, 0)[5] == "stopped"
    assert not (await services.store.run(services.store.strategy_instances.get, "boom-1")).running

    # --- Edit parameters… of the stopped instance: current values shown, identity fields locked
    panel.buttons["editInstance"].click()
    await panel.last_task
    dlg = panel.dialog
    assert not dlg.name_edit.isEnabled() and dlg.checked_symbols() == ["BTC/USDT"]
    assert dlg.params_form.values() == {"period": 12, "threshold": 1.5, "flag": False, "mode": "b"}
    dlg.params_form.editors["threshold"].setValue(2.25)
    dlg.params_form.editors["flag"].setChecked(True)
    click_ok(dlg)
    await panel.last_task
    record = await services.store.run(services.store.strategy_instances.get, "boom-1")
    assert record.params == {"period": 12, "threshold": 2.25, "flag": True, "mode": "b"}

    # --- the strategy raises on a bar: the runner stops it, the row and a message say why
    panel.start_instance("boom-1")
    await panel.last_task
    t0 = Interval.M1.bucket_start(now_ms()) - 60_000
    services.bus.publish(BarEvent(Bar("BTC/USDT", Interval.M1, t0, Decimal("100"), Decimal("101"), Decimal("99"),
                                      Decimal("100.5"), Decimal("3"))))
    await flushed(ui.bridge, lambda: panel.model.get("boom-1").status == "error")
    assert runner.running() == []
    row = cells(panel.model, 0)
    assert row[5] == "error" and row[9] == "RuntimeError: exploded on bar"
    assert panel.status.text() == "strategy 'boom-1' stopped: RuntimeError: exploded on bar"
    assert panel.message_box.isVisible() and panel.message_box.text() == panel.status.text()
    assert panel.buttons["startInstance"].isEnabled()

    # --- the error persists: a fresh panel shows it from the store
    again = StrategyInstancesPanel(services, ui.bridge)
    await again.load()
    assert cells(again.model, 0)[5] == "error" and cells(again.model, 0)[9] == "RuntimeError: exploded on bar"
    again.close()

    # --- Remove (confirmed)
    box = panel.confirm_remove()
    box.button(QMessageBox.StandardButton.Yes).click()
    await panel.last_task
    assert panel.model.rowCount() == 0
    assert await services.store.run(services.store.strategy_instances.get, "boom-1") is None
    assert panel.status.text() == "strategy 'boom-1' removed"


async def test_refusals_from_the_runner_show_in_the_panel(ui):
    panel = ui.panel
    task = panel.add_instance("x", "ui_exploding", "no-such-group", ["BTC/USDT"], Interval.M1, {})
    with pytest.raises(ConfigError):
        await task
    assert panel.status.text() == "unknown strategy group 'no-such-group'"
    assert panel.model.rowCount() == 0


def test_position_and_trailing_text_from_both_state_shapes():
    visible = {"symbols": {"BTC/USDT": {"position": 0.5, "avg_price": 65000.0,
                                        "trailing": {"trail_high": 66000.0, "trail_stop": 62700.0, "armed": True}},
                           "ETH/USDT": {"position": 0.0, "avg_price": 0.0, "trailing": None}}}
    assert position_text(visible) == "BTC/USDT 0.5 @ 65,000.00"
    assert trailing_text(visible) == "BTC/USDT 62,700.00 (high 66,000.00, armed)"
    persisted = {"symbols": {"AAPL": {"book": {"qty": 25.0, "avg_price": 190.02}, "strategy": {"trail_high": 195.5}}}}
    assert position_text(persisted) == "AAPL 25 @ 190.02"
    assert trailing_text(persisted) == "AAPL high 195.50"
    assert position_text({}) == "flat" and trailing_text({}) == ""


async def test_performance_plot_axes_show_times_and_plain_numbers(qtbot):
    plot = EquityPlot()
    qtbot.addWidget(plot)
    for p in (plot.equity_plot, plot.drawdown_plot):
        assert isinstance(p.getAxis("bottom"), pg.DateAxisItem)
        assert isinstance(p.getAxis("left"), ValueAxis)
    assert plot.equity_plot.getAxis("left").tickStrings([1e8, 100_050_000.0], 1.0, 50_000.0) == ["100,000,000", "100,050,000"]
    assert value_tick_text(97.5, 2.5) == "97.5" and value_tick_text(-0.0000001, 0.1) == "0.0"
    # one point: a minute around it, so the date axis reads times, not milliseconds
    t_ms = 1_763_683_140_000
    plot.set_data([t_ms], [1e8])
    lo, hi = plot.equity_plot.getViewBox().viewRange()[0]
    assert hi - lo == pytest.approx(SINGLE_POINT_SPAN_S) and lo < t_ms / 1000 < hi


async def test_a_short_curve_fills_the_time_axis_and_a_small_drawdown_fills_the_drawdown_axis(qtbot):
    """Issue 13: 10 s of data was squashed at the left of a 5-minute axis, and a -0.0246 % drawdown sat
    under an axis reading -0.2 to -0.8 %."""
    plot = EquityPlot()
    qtbot.addWidget(plot)
    plot.resize(800, 500)
    t0 = 1_763_683_140_000
    times = [t0 + 1000 * i for i in range(11)]
    equity = [100_000.0] * 5 + [99_975.4] + [100_000.0] * 5  # -0.0246 % at the sixth second
    plot.set_data(times, equity)
    lo, hi = plot.equity_plot.getViewBox().viewRange()[0]
    assert lo == pytest.approx(t0 / 1000 - 0.2) and hi == pytest.approx(t0 / 1000 + 10.2)  # 2 % each side
    dd_lo, dd_hi = plot.drawdown_plot.getViewBox().viewRange()[1]
    assert dd_hi == 0.0
    assert dd_lo == pytest.approx(-0.0246 * 1.1, rel=1e-3)  # the deepest point at 91 % of the axis
    axis = plot.equity_plot.getAxis("bottom")
    levels = axis.tickValues(t0 / 1000, t0 / 1000 + 10, 700)  # picks the zoom level for 10 s over 700 px
    labels = [text for spacing, values in levels for text in axis.tickStrings(values, 1.0, spacing)]
    assert labels and all(len(t) == 8 and t.count(":") == 2 for t in labels), labels  # HH:MM:SS, never "2.000"
    flat = EquityPlot()
    qtbot.addWidget(flat)
    flat.set_data(times, [100_000.0] * 11)
    assert flat.drawdown_plot.getViewBox().viewRange()[1][0] == pytest.approx(-0.01)


async def test_performance_panel_starts_on_the_first_accounts_base_currency(qtbot):
    bus = EventBus()
    accounts = SimpleNamespace(list=lambda: [Account("a1", "Paper 1", "paper", base_currency="USDT")])
    panel = PerformancePanel(SimpleNamespace(bus=bus, store=None, accounts=accounts), EventBridge(bus))
    qtbot.addWidget(panel)
    panel.tracker.clock = lambda: 1_000
    await spawn(panel.tracker.start())
    for ccy, eq in (("KRW", "100000000"), ("USD", "100000"), ("USDT", "100000")):
        bus.publish(AccountSummaryEvent(AccountSummary("a1", ccy, Decimal(eq), Decimal(eq), Decimal(0), Decimal(0),
                                                       Decimal(0))))
    panel.refresh(force=True)
    assert panel.scope_box.itemText(0) == "Total \u00b7 KRW"
    assert panel.current_scope() == ("total", "USDT")
    panel.scope_box.setCurrentIndex(0)
    panel.refresh(force=True)
    assert panel.current_scope() == ("total", "KRW")  # the trader's choice holds across refreshes
    panel.close()
    await panel.tracker.stop()
