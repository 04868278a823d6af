"""The daily report on the day an account is created, and a day whose only exit is a partial sell (issue 20,
items 3 and 7): exact numbers, and a time axis that reads in one unit."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal as D

import pytest
from report_week import ms

from trader_app.analytics.period import period_metrics
from trader_app.analytics.tracker import KV_KEY
from trader_app.core import Account, AccountMode, Fill, LedgerEntry, LedgerKind, Side
from trader_app.reports.build import build_report, summary_text
from trader_app.reports.periods import period_bounds
from trader_app.reports.plot import equity_figure, time_axis_format
from trader_app.store import Store

ACC = "acc-new"


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "trader.db")
    yield s
    s.close()


def _new_account_day(store) -> None:
    """Created 2026-12-07 09:00 with 100,000,000 KRW; buys 0.5 BTC/KRW at 2 pm, sells half of it at 8 pm."""
    store.accounts.save(Account(ACC, "New", "paper", AccountMode.PAPER, "KRW"))
    store.ledger.add(LedgerEntry("dep-0", ACC, ms("2026-12-07 09:00"), LedgerKind.DEPOSIT, "KRW", D("100000000"),
                                 D("0"), D("100000000")))
    store.fills.add(Fill("b1", ACC, "c-b1", "BTC/KRW", Side.BUY, D("60000000"), D("0.5"), D("15000"), "KRW",
                         ms("2026-12-07 14:00")))
    store.fills.add(Fill("s1", ACC, "c-s1", "BTC/KRW", Side.SELL, D("62000000"), D("0.25"), D("7750"), "KRW",
                         ms("2026-12-07 20:00")))
    equity = [("2026-12-07 09:00", 100000000.0), ("2026-12-07 14:00", 99985000.0),
              ("2026-12-07 20:00", 100977250.0), ("2026-12-07 23:00", 101227250.0)]
    store.kv.set(KV_KEY, {f"{ACC}|KRW": [[ms(t), e] for t, e in equity]})


def test_the_day_an_account_is_created_counts_its_deposit_once(store):
    _new_account_day(store)
    start, end = period_bounds("daily", date(2026, 12, 7))
    report = build_report(store, "daily", "all", start, end, ms("2026-12-08 00:05"))
    m = report["sections"][0]["metrics"]
    # the day started from nothing: start 0, deposit 100,000,000, end 101,227,250
    assert (m["equity_start"], m["net_deposits"], m["final_equity"]) == ("0", "100000000", "101227250.0")
    assert m["pnl"] == "1227250.0"
    assert m["total_return_pct"] == pytest.approx(1.22725)
    # the 50 % sell realized (62,000,000 - 60,000,000) x 0.25 = 500,000 before fees 22,750
    assert (m["realized_pnl"], m["commissions"], m["trades"]) == ("500000.00", "22750", 0)
    assert m["unrealized_pnl_change"] == "750000.00"
    text = summary_text(report)
    assert "No trade closed" not in text
    assert "KRW equity 0.00 -> 101,227,250.00 (PnL +1,227,250.00, +1.23 %" in text
    assert "No position closed in full; 1 partial close(s) realized +500,000.00 before fees." in text


def test_period_metrics_without_a_point_before_the_start_take_the_equity_before_the_deposits():
    day = ms("2026-12-07 00:00")
    m = period_metrics([day + 3_600_000, day + 7_200_000], [100_000_000.0, 100_000_000.0], start_ms=day,
                       end_ms=day + 86_400_000, periods=365, cash_moves=[(day + 3_600_000, D("100000000"))])
    assert (m["equity_start"], m["net_deposits"], m["pnl"], m["total_return_pct"]) == (
        D("0"), D("100000000"), D("0.0"), 0.0)
    # with a point before the start the deposit is the day's cash move, as before
    m = period_metrics([day - 1, day + 7_200_000], [1000.0, 1600.0], start_ms=day, end_ms=day + 86_400_000,
                       periods=365, cash_moves=[(day + 3_600_000, D("500"))])
    assert (m["equity_start"], m["pnl"], m["total_return_pct"]) == (D("1000.0"), D("100.0"), 10.0)


@pytest.mark.parametrize(("span_ms", "fmt", "pattern"), [
    (40 * 60_000, "%H:%M", r"\d\d:\d\d"),
    (5 * 60_000, "%H:%M:%S", r"\d\d:\d\d:\d\d"),
    (24 * 3_600_000, "%H:%M", r"\d\d:\d\d"),
    (7 * 86_400_000, "%a %d %b", r"[A-Z][a-z]{2} \d\d [A-Z][a-z]{2}"),
    (60 * 86_400_000, "%d %b %Y", r"\d\d [A-Z][a-z]{2} \d{4}"),
])
def test_the_equity_picture_labels_its_time_axis_in_one_unit(span_ms, fmt, pattern):
    assert time_axis_format(span_ms) == fmt
    t0 = ms("2026-12-07 21:37")
    points = [[t0 + span_ms * k / 10, 1000.0 + k] for k in range(11)]
    fig = equity_figure(points, "USDT", "test")
    fig.canvas.draw()
    axis = fig.axes[1]
    labels = [t.get_text() for t in axis.get_xticklabels() if t.get_text()]
    assert len(labels) >= 3 and all(re.fullmatch(pattern, text) for text in labels), labels
    if span_ms <= 2 * 86_400_000:
        assert axis.get_xlabel().startswith("UTC, 2026-12-0")
