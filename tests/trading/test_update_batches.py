"""The OrderManager's update processor: the changes of every account that arrive together are persisted in one
store job, then published; a bad update is isolated (logged) and the others of its batch still land."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

from trader_app.brokers.base import BalanceUpdate, FillUpdate
from trader_app.core import Balance, BalanceEvent, Fill, FillEvent, OrderEvent, OrderStatus, OrderType, Side

B = Side.BUY


async def test_updates_of_several_accounts_arriving_together_share_one_commit(env, scripted):
    brokers = [await env.attach(scripted(env.exchange, f"a{i}")) for i in range(3)]
    env.quote("50000.00", "50010.00")
    await env.om.flush()
    before = env.store.worker.batches
    for i, broker in enumerate(brokers):
        broker.inject(BalanceUpdate(Balance(broker.account_id, "USDT", D(100 + i))))
    await asyncio.gather(*(env.om.flush(b.account_id) for b in brokers))
    assert [b.total for b in env.store.balances.list()] == [D(100), D(101), D(102)]
    assert env.store.worker.batches - before == 1


async def test_a_bad_update_is_isolated_and_the_rest_of_its_batch_lands(env, scripted, caplog):
    events: list = []
    for t in (BalanceEvent, FillEvent, OrderEvent):
        env.bus.subscribe(t, events.append)
    good = await env.attach(scripted(env.exchange, "a1"))
    bad = await env.attach(scripted(env.exchange, "a2"))
    env.quote("50000.00", "50010.00")
    order = await env.om.submit(env.request("a1", B, OrderType.LIMIT, "1", "49000.00"))
    await env.om.flush()
    events.clear()
    fill = Fill("t-1", "a1", order.client_order_id, "BTC/USDT", B, D("49000.00"), D("0.4"), D("0"), "USDT", 1)
    broken = Fill("t-2", "a2", "nope", "BTC/USDT", B, 1.5, D("1"), D("0"), "USDT", 1)  # a float price: refused
    good.inject(FillUpdate(fill), BalanceUpdate(Balance("a1", "USDT", D("7"))))
    bad.inject(FillUpdate(broken))
    await asyncio.gather(env.om.flush("a1"), env.om.flush("a2"))
    assert [f.trade_id for f in env.store.fills.list()] == ["t-1"]
    saved = env.store.orders.get("a1", order.client_order_id)
    assert (saved.status, saved.filled_qty, saved.fill_ids) == (OrderStatus.PARTIALLY_FILLED, D("0.4"), ("t-1",))
    assert [b.total for b in env.store.balances.list("a1")] == [D("7")]
    assert [type(e).__name__ for e in events] == ["FillEvent", "OrderEvent", "BalanceEvent"]
    assert "update fill of account a2 failed" in caplog.text
    # the failing account's stream goes on
    bad.inject(BalanceUpdate(Balance("a2", "USDT", D("9"))))
    await env.om.flush("a2")
    assert [b.total for b in env.store.balances.list("a2")] == [D("9")]


def test_a_fill_of_a_buy_by_amount_may_exceed_the_estimate_but_never_the_amount():
    """Issue 21 (quote amount): the journal's quantity of a market buy by amount is an estimate at the sizing price;
    the venue buys what the amount pays for, so a fill past the estimate is applied (the quantity follows it) as long
    as the fills' notional stays within the amount; past the amount it is left to the venue's report."""
    from trader_app.core.enums import TimeInForce
    from trader_app.core.orders import Order
    from trader_app.trading.update_batch import _advance

    order = Order("a1", "by-amount", "BTC/KRW", Side.BUY, OrderType.MARKET, D("0.0001"), None, None, TimeInForce.GTC,
                  OrderStatus.NEW, 1, 1, quote_amount=D("10000"))

    def fill(tid, qty, px):
        return Fill(tid, "a1", "by-amount", "BTC/KRW", Side.BUY, D(px), D(qty), D(0), "KRW", 2)

    first = _advance(order, fill("t1", "0.00006", "95001000"))
    assert (first.quantity, first.filled_qty) == (D("0.0001"), D("0.00006"))
    second = _advance(first, fill("t2", "0.00004526", "95001000"))  # 0.00010526 in all: 9,999.8 KRW
    assert second.quantity == second.filled_qty == D("0.00010526")
    assert _advance(second, fill("t3", "0.00001", "95001000")) is None  # past the amount: not applied
    plain = Order("a1", "plain", "BTC/KRW", Side.BUY, OrderType.MARKET, D("0.0001"), None, None, TimeInForce.GTC,
                  OrderStatus.NEW, 1, 1)
    assert _advance(plain, fill("t4", "0.0002", "95001000")) is None  # a quantity order never overfills
