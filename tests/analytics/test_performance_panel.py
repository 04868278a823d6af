"""The Performance panel: scopes, equity curve and metrics from account summaries on the bus."""

from decimal import Decimal
from types import SimpleNamespace

from trader_app.core.bus import EventBus
from trader_app.core.events import AccountSummaryEvent
from trader_app.core.portfolio import Account, AccountSummary
from trader_app.ui.bridge import EventBridge
from trader_app.ui.panels.common import spawn
from trader_app.ui.panels.performance import PerformancePanel, metric_text

DAY = 86_400_000


def summary(account, equity, currency="USDT"):
    e = Decimal(str(equity))
    return AccountSummaryEvent(AccountSummary(account, currency, e, e, Decimal(0), Decimal(0), Decimal(0)))


async def test_panel_shows_scopes_curve_and_metrics(qtbot):
    bus = EventBus()
    clock = {"t": 0}
    accounts = SimpleNamespace(list=lambda: [Account("a1", "Paper 1", "paper")])
    services = SimpleNamespace(bus=bus, store=None, accounts=accounts)
    bridge = EventBridge(bus)
    panel = PerformancePanel(services, bridge)
    qtbot.addWidget(panel)
    panel.tracker.clock = lambda: clock["t"]
    await spawn(panel.tracker.start())
    for day, eq in enumerate([1000, 1100, 990, 1089]):
        clock["t"] = day * DAY
        bus.publish(summary("a1", eq))
    panel.refresh(force=True)
    labels = [panel.scope_box.itemText(i) for i in range(panel.scope_box.count())]
    assert labels == ["Total \u00b7 USDT", "Account Paper 1 \u00b7 USDT"]
    assert panel.plot.points == 4
    rows = {r[0]: r[2] for r in panel.metrics_model.records()}
    assert rows["total_return_pct"] == "8.9000" and rows["max_drawdown_pct"] == "-10.0000"
    assert rows["final_equity"] == "1089.0" and rows["profit_factor"] == "\u2013"
    panel.scope_box.setCurrentIndex(1)
    assert panel.current_scope() == ("account", "a1", "USDT") and panel.status.text() == "4 points"
    assert metric_text(float("inf")) == "\u221e"
    panel.close()
    await panel.tracker.stop()


def test_annualised_metrics_read_not_applicable_on_a_curve_shorter_than_a_day(qapp):
    from trader_app.ui.panels.performance import MetricsModel

    model = MetricsModel()
    metrics = {"cagr_pct": 9.87e14, "sharpe": 3.5, "total_return_pct": 0.25}
    model.show(metrics, span_days=0.01)
    rows = {model.index(r, 0).data(): model.index(r, 1).data() for r in range(model.rowCount())}
    assert rows["CAGR %"] == "n/a (< 1 day)"
    assert rows["Sharpe"] == "n/a (< 1 day)"
    assert rows["Total return %"] == "0.2500"
    model.show(metrics, span_days=2.0)
    rows = {model.index(r, 0).data(): model.index(r, 1).data() for r in range(model.rowCount())}
    assert rows["Sharpe"] == "3.5000"
