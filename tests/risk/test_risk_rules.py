"""Each risk rule alone (exact numbers in the rejection) and the RiskBook: per-account config, kill switch."""

from decimal import Decimal as D

import pytest

from trader_app.core.bus import EventBus
from trader_app.core.enums import MarketType, OrderStatus, OrderType, Side, TimeInForce
from trader_app.core.errors import RiskRejected, TraderError
from trader_app.core.events import AccountSummaryEvent, KillSwitchEvent
from trader_app.core.instrument import Instrument
from trader_app.core.orders import Order, OrderRequest
from trader_app.core.portfolio import Account, AccountSummary, Position
from trader_app.store import Store
from trader_app.trading.risk.pipeline import RiskContext, RiskPipeline
from trader_app.trading.risk.rules import (
    MaxOpenOrders,
    MaxOrderNotional,
    MaxPositionNotional,
    OrdersPerSecond,
    RiskBook,
    RiskLimits,
)

BTC = Instrument("BTC/USDT", "paper", MarketType.SPOT, "BTC", "USDT", D("0.01"), D("0.0001"))
SAMSUNG = Instrument("005930", "paper", MarketType.STOCK, "005930", "KRW", D("100"), D("1"))


def req(qty, side=Side.BUY, t=OrderType.MARKET, price=None, symbol="BTC/USDT", cid="c1"):
    return OrderRequest("a1", symbol, side, t, D(qty), cid, price=None if price is None else D(price))


def ctx(ref="30000", pos=None, open_orders=(), equity="100000", now=1_000_000, inst=BTC):
    position = None if pos is None else Position("a1", inst.symbol, D(pos), D("30000"))
    return RiskContext("a1", inst, D(ref), position, list(open_orders), D(equity), now)


def rejected(rule, request, context):
    with pytest.raises(RiskRejected) as info:
        rule.check(request, context)
    return info.value


def test_max_order_notional_names_rule_and_numbers():
    rule = MaxOrderNotional({"USDT": D("10000")})
    rule.check(req("0.3333"), ctx())  # 9999.00
    err = rejected(rule, req("0.4"), ctx())
    assert str(err) == "max_order_notional: order notional 12000.00 USDT exceeds the limit 10000 USDT"
    assert (err.rule, err.limit, err.value) == ("max_order_notional", D("10000"), D("12000.0000"))
    rule.check(req("100", symbol="005930"), ctx(ref="70000", inst=SAMSUNG))  # no KRW limit: not limited
    err = rejected(rule, req("1"), ctx(ref="0"))
    assert str(err) == "max_order_notional: no reference price for BTC/USDT to check the order against"


def test_max_position_notional_counts_the_position_after_the_order_and_lets_reductions_pass():
    rule = MaxPositionNotional({"USDT": D("50000")})
    rule.check(req("1"), ctx(pos="0.6"))  # 1.6 x 30000 = 48000
    err = rejected(rule, req("1.2"), ctx(pos="0.6"))
    assert str(err) == ("max_position_notional: position notional after the order 54000.00 USDT (1.8 BTC/USDT) "
                        "exceeds the limit 50000 USDT")
    rule.check(req("1", side=Side.SELL), ctx(pos="3"))  # reduces a 90000 position: allowed
    rule.check(req("5", side=Side.SELL), ctx(pos="3"))  # flips 90000 long to 60000 short: exposure shrinks
    err = rejected(rule, req("3", side=Side.SELL), ctx(pos="1"))  # flips 30000 long to 60000 short
    assert err.value == D("60000")


def open_order(i):
    return Order("a1", f"o{i}", "BTC/USDT", Side.BUY, OrderType.LIMIT, D("1"), D("1"), None, TimeInForce.GTC,
                 OrderStatus.NEW, 0, 0)


def test_max_open_orders_applies_to_resting_orders_only():
    rule = MaxOpenOrders(2)
    two = [open_order(1), open_order(2)]
    rule.check(req("0.1", t=OrderType.LIMIT, price="29000"), ctx(open_orders=two[:1]))
    err = rejected(rule, req("0.1", t=OrderType.LIMIT, price="29000"), ctx(open_orders=two))
    assert str(err) == "max_open_orders: 2 open orders; the limit is 2"
    rule.check(req("0.1"), ctx(open_orders=two))  # MARKET never rests


def test_orders_per_second_sliding_window():
    rule = OrdersPerSecond(3)
    for t in (0, 100, 200):
        rule.check(req("0.1"), ctx(now=t))
    err = rejected(rule, req("0.1"), ctx(now=999))
    assert str(err) == "orders_per_second: 3 orders in the last 1000 ms; the limit is 3"
    rule.check(req("0.1"), ctx(now=1000))  # the order at 0 left the window
    with pytest.raises(RiskRejected):
        rule.check(req("0.1"), ctx(now=1099))


def test_limits_json_round_trip_and_validation():
    lim = RiskLimits.from_json({"max_order_notional": {"usdt": "10000"}, "max_open_orders": 5,
                                "daily_loss_limit": {"USDT": 1000}})
    assert lim.max_order_notional == {"USDT": D("10000")} and lim.daily_loss_limit == {"USDT": D("1000")}
    assert RiskLimits.from_json(lim.to_json()) == lim
    for bad, msg in [({"max_open_orders": 0}, "max_open_orders"), ({"max_order_notional": {"USDT": "-1"}}, "> 0"),
                     ({"max_order_notional": 5}, "must map"), ({"nope": 1}, "unknown risk limit")]:
        with pytest.raises(TraderError, match=msg):
            RiskLimits.from_json(bad)


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "r.db")
    s.accounts.save(Account("a1", "A1", "paper"))
    s.accounts.save(Account("a2", "A2", "paper"))
    yield s
    s.close()


async def test_daily_loss_trips_kill_switch_which_persists_and_blocks_until_reset(store):
    bus = EventBus()
    events = []
    bus.subscribe(KillSwitchEvent, events.append)
    clock = [1_700_000_000_000]
    pnl = {"a1": D("0")}
    book = RiskBook(store, bus, day_pnl=lambda a, c: pnl[a] if c == "USDT" else None, clock=lambda: clock[0])
    await book.load()
    await book.set_limits("a1", RiskLimits(daily_loss_limit={"USDT": D("1000")}))
    pipe = RiskPipeline(rules_for_account=book.rules_for)
    pipe.check(req("0.1"), ctx(now=clock[0]))
    pnl["a1"] = D("-1000.5")
    with pytest.raises(RiskRejected) as info:
        pipe.check(req("0.1"), ctx(now=clock[0]))
    assert str(info.value) == ("daily_loss_limit: today's loss 1000.50 USDT reached the limit 1000 USDT; "
                               "kill switch tripped")
    await book.drain()
    assert store.kv.get("risk:kill_switch:a1")["tripped"] is True
    assert events == [KillSwitchEvent("a1", True, "daily loss 1000.50 USDT reached the limit 1000 USDT", D("1000.5"))]
    # a fresh book (a restart) still blocks: the state is in the store
    book2 = RiskBook(store, None, day_pnl=lambda a, c: D("0"))
    await book2.load()
    pipe2 = RiskPipeline(rules_for_account=book2.rules_for)
    with pytest.raises(RiskRejected, match=r"^kill_switch: kill switch tripped \(daily loss 1000.50 USDT"):
        pipe2.check(req("0.1"), ctx())
    pipe2.check(req("0.1", side=Side.SELL), ctx(pos="0.5"))  # closing still allowed
    pipe2.check(req("0.1"), RiskContext("a2", BTC, D("30000"), None, [], D("1"), 0))  # other accounts unaffected
    # reset: orders flow again and the loss is measured from the reset
    clock[0] += 60_000
    await book.reset("a1")
    assert events[-1] == KillSwitchEvent("a1", False, "reset")
    assert store.kv.get("risk:kill_switch:a1") == {"tripped": False, "reset_ms": clock[0]}
    pipe.check(req("0.1"), ctx(now=clock[0]))
    await book.drain()
    # the trip and the reset are kept for the reports (store.risk_events)
    assert [(e.ts_ms, e.account_id, e.kind, e.reason) for e in store.risk_events.between(0, clock[0] + 1)] == [
        (clock[0] - 60_000, "a1", "kill_switch_tripped", "daily loss 1000.50 USDT reached the limit 1000 USDT"),
        (clock[0], "a1", "kill_switch_reset", "reset")]
    pnl["a1"] = D("-1900")
    pipe.check(req("0.1"), ctx(now=clock[0]))  # 899.5 since the reset
    pnl["a1"] = D("-2000.5")
    with pytest.raises(RiskRejected, match="today's loss 1000.00 USDT"):
        pipe.check(req("0.1"), ctx(now=clock[0]))


async def test_equity_baseline_and_account_summary_trip_without_an_order(store):
    bus = EventBus()
    clock = [86_400_000 * 20_000 + 5]
    book = RiskBook(store, bus, clock=lambda: clock[0])
    await book.set_limits("a2", RiskLimits(daily_loss_limit={"USDT": D("500")}))
    summary = lambda eq: AccountSummaryEvent(AccountSummary("a2", "USDT", D(eq), D(eq), D(0), D(0), D(0)))  # noqa: E731
    bus.publish(summary("10000"))
    bus.publish(summary("9600"))
    assert book.kill_switch("a2") is None
    bus.publish(summary("9500"))
    state = book.kill_switch("a2")
    assert state is not None and state.loss == D("500") and state.reason == "daily loss 500.00 USDT reached the limit 500 USDT"
    await book.drain()
    assert store.kv.get("risk:kill_switch:a2")["loss"] == "500"
