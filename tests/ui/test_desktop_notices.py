"""Desktop notices (issue 14): bridge events become tray notices per kind, a burst collapses into one,
a kind switched off shows nothing, and only a connection that was up and went down counts as lost."""

from __future__ import annotations

from decimal import Decimal

from trader_app.core import Side
from trader_app.core.enums import OrderStatus, OrderType, SessionState
from trader_app.core.events import AccountEvent, KillSwitchEvent, StrategyStateEvent
from trader_app.core.orders import Fill, Order, OrderRequest
from trader_app.core.portfolio import Account
from trader_app.ui.desktop_notices import EventNotices, Notice, NoticeCollector


def _fill(i: int) -> Fill:
    return Fill(f"T{i}", "a1", f"c{i}", "BTC/USDT", Side.BUY, Decimal("65000"), Decimal("0.01"), Decimal("0.1"),
                "USDT", 0)


def test_a_burst_collapses_and_kinds_are_paced_separately():
    off = {"connections"}
    c = NoticeCollector(lambda kind: kind not in off, window_s=5.0)
    events = EventNotices(lambda aid: {"a1": "Paper 1"}.get(aid, aid))
    for n in events.fills([_fill(i) for i in range(12)]):
        c.add(n)
    (first,) = c.due(100.0)
    assert first.title == "12 fills"
    assert first.text.splitlines() == ["Filled BUY BTC/USDT: 0.01 @ 65000 (Paper 1)"] * 3 + ["and 9 more"]
    for n in events.fills([_fill(20)]):
        c.add(n)
    c.add(Notice("kill_switch", "Kill switch: Paper 1", "daily loss"))
    assert [n.kind for n in c.due(102.0)] == ["kill_switch"]  # fills wait for their 5 s window
    assert [n.title for n in c.due(105.0)] == ["Filled BUY BTC/USDT"]
    c.add(Notice("connections", "Connection lost: X", "error"))
    assert c.due(200.0) == []  # switched off


def test_rejections_strategy_failures_kill_switches_and_lost_connections():
    events = EventNotices(lambda aid: "Paper 1")
    request = OrderRequest("a1", "BTC/USDT", Side.BUY, OrderType.LIMIT, Decimal("1"), "c1", price=Decimal("1"))
    rejected = Order.from_request(request, 0).with_status(OrderStatus.REJECTED, 1, reason="insufficient funds")
    assert [n.text for n in events.orders([rejected, rejected])] == ["insufficient funds (Paper 1)"]  # once
    assert [n.title for n in events.strategies([StrategyStateEvent("sma", False, error="boom"),
                                                StrategyStateEvent("ok", True)])] == ["Strategy sma stopped"]
    assert [n.text for n in events.kill_switches([KillSwitchEvent("a1", True, "disk full"),
                                                  KillSwitchEvent("a1", False, "reset")])] == ["disk full"]
    acc = Account("a1", "Binance", "binance")
    assert events.accounts([AccountEvent(acc, SessionState.CONNECTING)]) == []
    assert events.accounts([AccountEvent(acc, SessionState.CONNECTED)]) == []
    (lost,) = events.accounts([AccountEvent(acc, SessionState.ERROR, error="listen key expired")])
    assert (lost.title, lost.text) == ("Connection lost: Binance", "listen key expired")


async def test_the_window_shows_a_fill_notice(window, services):
    notices = window.desktop_notices
    services.settings.notices.desktop["fills"] = True
    window.bridge.fills.emit([_fill(1)])
    notices.collector._last.clear()
    shown = notices.flush()
    assert [n.title for n in shown] == ["Filled BUY BTC/USDT"]
    services.settings.notices.desktop["kill_switch"] = False
    window.bridge.kill_switches.emit([KillSwitchEvent("a1", True, "x")])
    assert notices.flush() == []


async def test_the_notices_tab_turns_a_kind_off_and_saves_it(window, services):
    import json

    tab = window.panels["strategies"].notices
    tab.load()
    assert all(box.isChecked() for box in tab.desktop_boxes.values())
    tab.desktop_boxes["fills"].setChecked(False)
    await tab.last_task
    assert services.settings.notices.desktop["fills"] is False
    saved = json.loads((services.data_dir / "settings.json").read_text())
    assert saved["notices"]["desktop"]["fills"] is False
    window.bridge.fills.emit([_fill(2)])
    window.desktop_notices.collector._last.clear()
    assert window.desktop_notices.flush() == []
