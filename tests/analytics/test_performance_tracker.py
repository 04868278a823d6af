"""PerformanceTracker: equity series per account, group and total from account summaries."""

from decimal import Decimal

import pytest

from trader_app.analytics import METRIC_KEYS, PerformanceTracker, periods_for_currency
from trader_app.core.bus import EventBus
from trader_app.core.enums import MarketType
from trader_app.core.events import AccountSummaryEvent
from trader_app.core.groups import AccountLink, StrategyGroup
from trader_app.core.portfolio import AccountSummary
from trader_app.store import Store

DAY = 86_400_000


def summary(account, equity, currency="USDT"):
    e = Decimal(str(equity))
    return AccountSummaryEvent(AccountSummary(account, currency, e, e, Decimal(0), Decimal(0), Decimal(0)))


def test_points_buckets_and_aggregates():
    clock = {"t": 0}
    bus = EventBus()
    tr = PerformanceTracker(bus, clock=lambda: clock["t"], sample_ms=1000)
    bus.subscribe(AccountSummaryEvent, tr.on_summary)
    for t, acc, eq in [(0, "a1", 1000), (500, "a2", 500), (800, "a1", 1001), (1000, "a1", 1010), (2000, "a1", 990),
                       (2000, "a2", 520)]:
        clock["t"] = t
        bus.publish(summary(acc, eq))
    tr.add_point("a1", "USDT", 1500, 5.0)  # older than the last point: ignored
    t, e = tr.series(("account", "a1", "USDT"))
    assert t.tolist() == [800, 1000, 2000] and e.tolist() == [1001.0, 1010.0, 990.0]  # 800 replaced 0 (same bucket)
    # total: aligned with forward fill from the first time both accounts have a value (t = 800)
    t, e = tr.series(("total", "USDT"))
    assert t.tolist() == [800, 1000, 2000] and e.tolist() == [1501.0, 1510.0, 1510.0]
    tr.set_groups({"g": [("a1", 0.5), ("a2", 1.0)], "empty": [("zz", 1.0)]})
    t, e = tr.series(("group", "g", "USDT"))
    assert e.tolist() == [1000.5, 1005.0, 1015.0]  # 0.5 x a1 + a2
    assert tr.series(("group", "empty", "USDT"))[0].size == 0
    assert tr.scopes() == [("total", "USDT"), ("group", "g", "USDT"), ("account", "a1", "USDT"), ("account", "a2", "USDT")]
    with pytest.raises(ValueError):
        tr.series(("planet", "x"))


def test_metrics_pnl_and_snapshot():
    tr = PerformanceTracker(EventBus())
    for day, eq in enumerate([1000.0, 1100.0, 990.0, 1089.0]):
        tr.add_point("a1", "USD", day * DAY, eq)
    m = tr.metrics(("account", "a1", "USD"))
    assert tuple(m) == METRIC_KEYS
    assert m["total_return_pct"] == pytest.approx(8.9) and m["max_drawdown_pct"] == pytest.approx(-10.0)
    assert m["max_drawdown_duration_days"] == 2.0 and m["trades"] == 0
    assert m["sharpe"] == pytest.approx((3 ** 0.5) / 6 * 252 ** 0.5)  # USD: P = 252
    pnl = tr.pnl(("account", "a1", "USD"))
    assert pnl == {"dates": ["1970-01-01", "1970-01-02", "1970-01-03", "1970-01-04"],
                   "daily": [0.0, 100.0, -110.0, 99.0], "cumulative": [0.0, 100.0, -10.0, 89.0]}
    snap = tr.snapshot()
    assert [x["name"] for x in snap["total"]] == ["total"] and snap["accounts"][0]["name"] == "a1"
    assert snap["accounts"][0]["metrics"]["final_equity"] == "1089.0"
    assert periods_for_currency("USDT") == 365 and periods_for_currency("KRW") == 252


async def test_groups_from_the_store_and_persistence():
    store = Store.open(":memory:")
    try:
        store.groups.save(StrategyGroup("g", MarketType.SPOT))
        store.links.add(AccountLink("g", "a1", Decimal("0.25")))
        bus = EventBus()
        clock = {"t": 0}
        tr = PerformanceTracker(bus, store, clock=lambda: clock["t"], persist_every_s=0)
        await tr.start()
        for t, eq in [(0, 100), (30_000, 110), (61_000, 120)]:
            clock["t"] = t
            bus.publish(summary("a1", eq))
        assert tr.series(("group", "g", "USDT"))[1].tolist() == [25.0, 27.5, 30.0]
        await tr.stop()
        assert store.kv.get("performance.equity") == {"a1|USDT": [[30_000, 110.0], [61_000, 120.0]]}  # 1 per minute
        tr2 = PerformanceTracker(EventBus(), store, persist_every_s=0)
        await tr2.start()
        assert tr2.series(("account", "a1", "USDT"))[1].tolist() == [110.0, 120.0]
        await tr2.stop()
    finally:
        store.close()


def test_a_long_run_keeps_minutes_before_the_fine_tail_so_a_week_stays_whole():
    from trader_app.analytics.tracker import FINE_POINTS, PERSIST_POINTS

    tr = PerformanceTracker(EventBus(), sample_ms=1000)
    step, days = 10_000, 8  # a point every 10 s for 8 days: 69,120 points
    n = days * DAY // step
    for k in range(n):
        tr.add_point("a1", "USDT", k * step, 1000.0 + k)
    t, e = tr.series(("account", "a1", "USDT"))
    end = (n - 1) * step
    assert end - t[0] >= 7 * DAY  # the week before the last point is all there (memory cap: 20,000 minutes)
    fine_start = end - (FINE_POINTS - 1) * step
    assert (t[-FINE_POINTS:] == range(fine_start, end + 1, step)).all()  # the last 21,600 points at 10 s
    older = t[:-FINE_POINTS]
    assert older.size <= PERSIST_POINTS and (older[1:] - older[:-1] == 60_000).all()  # one per minute before
    assert (older % 60_000 == 50_000).all()  # the last point of each minute
    assert len(t) == len(e) and t.size < FINE_POINTS + PERSIST_POINTS
    # a copy reads the same and does not move with the original
    copy = tr.copy()
    tr.add_point("a1", "USDT", end + step, 0.0)
    assert copy.series(("account", "a1", "USDT"))[0][-1] == end
