"""Exact numbers of the daily and weekly report of a hand-built week (tests/reports/report_week.py)."""

from __future__ import annotations

import json
import math
from datetime import date

import pytest
from report_week import ACC, build_week, ms

from trader_app.analytics import METRIC_KEYS, PERIOD_METRIC_KEYS
from trader_app.core.errors import ConfigError
from trader_app.reports.build import build_report
from trader_app.reports.periods import KRX, last_closed_day, period_bounds
from trader_app.store import Store


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "trader.db")
    build_week(s)
    yield s
    s.close()


def _weekly(store, scope="all"):
    start, end = period_bounds("weekly", date(2026, 12, 4))
    return build_report(store, "weekly", scope, start, end, ms("2026-12-05 00:10"))


def test_periods_are_utc_days_and_saturday_to_friday_weeks():
    assert period_bounds("daily", date(2026, 12, 4)) == (ms("2026-12-04 00:00"), ms("2026-12-05 00:00"))
    assert period_bounds("weekly", date(2026, 12, 1)) == (ms("2026-11-28 00:00"), ms("2026-12-05 00:00"))
    assert period_bounds("weekly", date(2026, 11, 28)) == (ms("2026-11-28 00:00"), ms("2026-12-05 00:00"))
    assert last_closed_day("daily", ms("2026-12-05 00:05")) == date(2026, 12, 4)
    assert last_closed_day("weekly", ms("2026-12-05 00:10")) == date(2026, 12, 4)
    assert last_closed_day("weekly", ms("2026-12-04 23:59")) == date(2026, 11, 27)
    # KRX: Asia/Seoul days; the day counts as closed after 15:30 KST (06:30 UTC); Monday morning -> Friday
    assert period_bounds("daily", date(2026, 12, 4), KRX) == (ms("2026-12-03 15:00"), ms("2026-12-04 15:00"))
    assert last_closed_day("daily", ms("2026-12-04 06:45"), KRX) == date(2026, 12, 4)
    assert last_closed_day("daily", ms("2026-12-07 01:00"), KRX) == date(2026, 12, 4)
    with pytest.raises(ConfigError):
        period_bounds("monthly", date(2026, 12, 4))


def test_weekly_report_numbers(store):
    r = _weekly(store)
    assert (r["period"], r["scope"], r["label"]) == ("weekly", "all", "weekly 2026-11-28 to 2026-12-04")
    (s,) = r["sections"]
    m = s["metrics"]
    assert list(m) == list(PERIOD_METRIC_KEYS)
    assert (m["start"], m["end"]) == ("2026-11-28T00:00:00Z", "2026-12-05T00:00:00Z")
    assert (m["equity_start"], m["final_equity"], m["net_deposits"]) == ("10000.0", "10400.0", "500")
    assert m["pnl"] == "-100.0"                                # 10400 - 10000 - 500
    assert m["total_return_pct"] == pytest.approx(-1.0)
    assert m["realized_pnl"] == "100.0"                        # +100 BTC, -100 ETH, +100 BTC (before fees)
    assert m["commissions"] == "32.15"                         # 5.1 + 6 + 5.9 + 6 + 6.1 + 3.05
    assert m["unrealized_pnl_change"] == "-167.85"            # pnl - realized + fees = -100 - 100 + 32.15
    assert m["max_drawdown_pct"] == pytest.approx((10000 / 10300 - 1) * 100)
    assert (m["trades"], m["fills"], m["traded_notional"]) == (3, 6, "32150.00")
    assert m["win_rate_pct"] == pytest.approx(200 / 3)
    assert m["profit_factor"] == pytest.approx((89.9 + 87.9) / 111.9)
    assert (m["best_trade_pnl"], m["worst_trade_pnl"]) == ("89.9", "-111.9")
    assert [(t["symbol"], t["side"], t["pnl"], t["entry_price"], t["exit_price"]) for t in s["trades"]] == [
        ("BTC/USDT", "LONG", "89.9", "50000", "51000"),         # opened before the week, closed inside it
        ("ETH/USDT", "LONG", "-111.9", "3000", "2950"),
        ("BTC/USDT", "LONG", "87.9", "60000", "61000")]
    assert s["best_trade"]["pnl"] == "89.9" and s["worst_trade"]["symbol"] == "ETH/USDT"
    # the week's points: the start (10000 at Sat 00:00) then the six inside
    assert [e for _, e in s["equity"]] == [10000.0, 10100.0, 9900.0, 10300.0, 10200.0, 10000.0, 10400.0]
    sig = r["signals"]
    assert (sig["received"], sig["duplicates"], sig["outcomes"]) == (2, 1, {"FILLED": 1, "REJECTED": 1})
    assert [(x["signal_id"], [(o["status"], o["error"]) for o in x["results"]]) for x in sig["list"]] == [
        ("s1", [("FILLED", "")]),
        ("s2", [("REJECTED", "insufficient balance: 2 ETH needs 6,000.00 USDT")]),
        ("s3", [])]
    assert [e["kind"] for e in r["risk_events"]] == ["kill_switch_tripped", "kill_switch_reset"]
    assert [(x["symbol"], x["reason"][:20]) for x in r["rejections"]] == [("ETH/USDT", "insufficient balance")]


def test_daily_report_numbers(store):
    start, end = period_bounds("daily", date(2026, 12, 4))
    r = build_report(store, "daily", f"account:{ACC}", start, end, ms("2026-12-05 00:05"))
    m = r["sections"][0]["metrics"]
    assert (m["equity_start"], m["final_equity"], m["pnl"], m["net_deposits"]) == ("10200.0", "10400.0", "200.0", "0")
    assert m["total_return_pct"] == pytest.approx(200 / 10200 * 100)
    assert (m["realized_pnl"], m["commissions"], m["unrealized_pnl_change"]) == ("100.0", "15.15", "115.15")
    assert m["max_drawdown_pct"] == pytest.approx((10000 / 10200 - 1) * 100)
    # hourly returns: 00:00 -> 06:00 -> 18:00 (hours with a point), annualised with 24 x 365
    r1, r2 = 10000 / 10200 - 1, 10400 / 10000 - 1
    mean, sd = (r1 + r2) / 2, abs(r1 - r2) / math.sqrt(2)
    assert m["sharpe"] == pytest.approx(mean / sd * math.sqrt(8760))
    assert m["volatility_ann_pct"] == pytest.approx(sd * math.sqrt(8760) * 100)
    downside = math.sqrt((r1 ** 2) / 2)
    assert m["sortino"] == pytest.approx(mean / downside * math.sqrt(8760))
    assert (m["trades"], m["best_trade_pnl"], m["fills"]) == (1, "87.9", 3)
    assert r["signals"]["received"] == 0 and r["risk_events"] == [] and r["rejections"] == []


def test_keys_shared_with_backtest_json_mean_the_same():
    shared = [k for k in PERIOD_METRIC_KEYS if k in METRIC_KEYS]
    assert shared == ["start", "end", "final_equity", "total_return_pct", "commissions", "max_drawdown_pct",
                      "volatility_ann_pct", "sharpe", "sortino", "trades", "win_rate_pct", "profit_factor"]


def test_group_scope_lists_only_its_signals_and_unknown_scopes_are_refused(store):
    r = _weekly(store, "group:trend")
    assert r["scope_name"] == "group trend" and r["signals"]["received"] == 2
    with pytest.raises(ConfigError, match="no account 'nobody'"):
        _weekly(store, "account:nobody")
    with pytest.raises(ConfigError, match="no strategy group"):
        _weekly(store, "group:nope")
    with pytest.raises(ConfigError, match="scope must be"):
        _weekly(store, "everything")


def test_empty_period_has_no_equity_and_undefined_ratios(store):
    start, end = period_bounds("daily", date(2026, 10, 1))
    r = build_report(store, "daily", "all", start, end, ms("2026-12-05 00:05"))
    assert r["sections"] == [] and "No equity or fill recorded in the period." in r["summary"]
    json.dumps(r, allow_nan=False)  # JSON-safe: no NaN anywhere


def test_a_day_with_equity_but_no_trade_has_undefined_trade_ratios(store):
    start, end = period_bounds("daily", date(2026, 12, 3))  # the deposit day: equity, no fill
    r = build_report(store, "daily", "all", start, end, ms("2026-12-05 00:05"))
    m = r["sections"][0]["metrics"]
    assert (m["equity_start"], m["final_equity"], m["net_deposits"], m["pnl"]) == ("10300.0", "10300.0", "500", "-500.0")
    assert (m["trades"], m["win_rate_pct"], m["profit_factor"], m["sharpe"], m["best_trade_pnl"]) == (0, None, None, None, None)
    assert m["max_drawdown_pct"] == 0.0
    json.dumps(r, allow_nan=False)


def test_the_calendar_of_an_account_kind_comes_from_the_venue_registry():
    """Issue 21: no module outside brokers/ names a venue; the registry declares an exchange calendar."""
    from trader_app.core.errors import ConfigError
    from trader_app.reports.periods import CRYPTO, market_of_broker

    assert market_of_broker("binance_spot") is CRYPTO and market_of_broker("bybit") is CRYPTO
    assert market_of_broker("paper") is CRYPTO
    assert market_of_broker("kis", {"kis": "krx"}) is KRX and market_of_broker("bybit", {"kis": "krx"}) is CRYPTO
    with pytest.raises(ConfigError, match="calendar 'lse'"):
        market_of_broker("x", {"x": "lse"})
