"""OrderManager: journal before send, rounding and minimums, rejections, the order state machine, fills keyed by
trade id, cancel/cancel-all, reconcile by client order id, never retrying placement. Real Store."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from trader_app.brokers.base import FillUpdate, OrderUpdate
from trader_app.core import (
    BalanceEvent,
    FillEvent,
    InvalidOrder,
    LedgerEvent,
    LedgerKind,
    Order,
    OrderEvent,
    OrderStatus,
    OrderType,
    PositionEvent,
    RiskRejected,
    Side,
    TraderError,
    UnknownSymbol,
)
from trader_app.trading import RiskPipeline

B, S = Side.BUY, Side.SELL
MKT, LMT = OrderType.MARKET, OrderType.LIMIT


async def test_the_order_is_journalled_pending_submit_before_place_order_is_called(env, scripted):
    broker = scripted(env.exchange, "a1")
    seen: list[Order | None] = []
    # the spy reads the database (a second connection to the same file) at the moment the venue is called
    broker.on_place = lambda req: seen.append(env.store.orders.get("a1", req.client_order_id))
    await env.attach(broker)
    events = []
    env.bus.subscribe(OrderEvent, lambda e: events.append(e.order.status))
    env.quote("50000.00", "50010.00")

    order = await env.om.submit(env.request("a1", B, MKT, "0.5", coid="ta-journal-1", signal_id="sig-1", group_name="g"))

    assert len(seen) == 1 and seen[0] is not None
    assert (seen[0].status, seen[0].client_order_id, seen[0].quantity) == (OrderStatus.PENDING_SUBMIT, "ta-journal-1", D("0.5"))
    assert events[0] is OrderStatus.PENDING_SUBMIT
    assert order.status is OrderStatus.FILLED
    await env.om.flush("a1")
    saved = env.store.orders.get("a1", "ta-journal-1")
    assert (saved.status, saved.filled_qty, saved.avg_fill_price) == (OrderStatus.FILLED, D("0.5"), D("50010.00"))
    assert (saved.signal_id, saved.group_name) == ("sig-1", "g")  # journal fields survive the venue's reports
    assert events == [OrderStatus.PENDING_SUBMIT, OrderStatus.FILLED]


async def test_a_market_fill_is_persisted_and_published(env):
    account = await env.accounts.create_paper_account("P1", {"USDT": "100000"})
    aid = account.account_id
    rec = []
    for t in (OrderEvent, FillEvent, PositionEvent, BalanceEvent, LedgerEvent):
        env.bus.subscribe(t, rec.append)
    env.quote("50000.00", "50010.00")
    await env.om.submit(env.request(aid, B, MKT, "0.5"))
    await env.om.flush(aid)
    assert [type(e).__name__ for e in rec] == [
        "OrderEvent", "FillEvent", "OrderEvent", "LedgerEvent", "LedgerEvent", "BalanceEvent", "PositionEvent"]
    assert [e.order.status for e in rec if isinstance(e, OrderEvent)] == [OrderStatus.PENDING_SUBMIT, OrderStatus.FILLED]
    assert [f.price for f in env.store.fills.list(aid)] == [D("50010.00")]
    assert [(e.kind, e.amount) for e in reversed(env.store.ledger.list(aid))] == [
        (LedgerKind.DEPOSIT, D("100000")), (LedgerKind.BUY, D("-25005.000")), (LedgerKind.FEE, D("-25.005"))]
    assert [(b.currency, b.total, b.locked) for b in env.store.balances.list(aid)] == [("USDT", D("74969.995"), D("0"))]
    pos = env.store.positions.get(aid, "BTC/USDT")
    assert (pos.quantity, pos.avg_price) == (D("0.5"), D("50010.00"))


@pytest.mark.parametrize(
    "symbol, qty, price, sent_qty, sent_price",
    [
        ("BTC/USDT", "0.123456789", "49000.005", "0.12345", "49000.01"),  # qty DOWN to the lot, price half up
        ("BTC/USDT", "1", "48999.994", "1", "48999.99"),
        ("AAPL", "10.9", "150.125", "10", "150.13"),
    ],
)
async def test_prices_round_to_the_tick_and_quantities_down_to_the_lot(env, symbol, qty, price, sent_qty, sent_price):
    account = await env.accounts.create_paper_account("P1", {"USDT": "100000", "USD": "100000"})
    order = await env.om.submit(env.request(account.account_id, B, LMT, qty, price, symbol=symbol))
    assert (order.status, order.quantity, order.price) == (OrderStatus.NEW, D(sent_qty), D(sent_price))
    assert env.store.orders.get(account.account_id, order.client_order_id).quantity == D(sent_qty)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(qty="0.000001", price="49000"), InvalidOrder, "quantity 0.000001 rounds down to 0 at the lot size 0.00001 of BTC/USDT"),
        (dict(qty="0", price="49000"), InvalidOrder, "quantity must be > 0, got 0"),
        (dict(qty="1", price=None), InvalidOrder, "LIMIT needs a price > 0"),
        (dict(qty="1", price="1", symbol="DOGE/USDT"), UnknownSymbol, "unknown symbol 'DOGE/USDT' on paper"),
        (dict(qty="0.001", price="2000.00", symbol="ETH/USDT"), InvalidOrder,
         "notional 2 is below the minimum 10 USDT of ETH/USDT"),
    ],
)
async def test_errors_before_the_journal_raise_and_change_nothing(env, kwargs, error, message):
    account = await env.accounts.create_paper_account("P1", {"USDT": "100000"})
    events = []
    env.bus.subscribe(OrderEvent, events.append)
    with pytest.raises(error) as info:
        await env.om.submit(env.request(account.account_id, B, LMT, **kwargs))
    assert str(info.value) == message
    assert env.store.orders.list() == []
    assert events == [] and env.om.open_orders() == []


async def test_min_notional_of_a_market_order_uses_the_quote(env):
    account = await env.accounts.create_paper_account("P1", {"USDT": "100000"})
    env.quote("1999.00", "2000.00", symbol="ETH/USDT")
    with pytest.raises(InvalidOrder, match="notional 4 is below the minimum 10 USDT"):
        await env.om.submit(env.request(account.account_id, B, MKT, "0.002", symbol="ETH/USDT"))
    ok = await env.om.submit(env.request(account.account_id, B, MKT, "0.005", symbol="ETH/USDT"))
    assert ok.status is OrderStatus.FILLED


async def test_unattached_account_raises(env):
    with pytest.raises(TraderError, match="account nope is not connected"):
        await env.om.submit(env.request("nope", B, MKT, "1"))


async def test_a_venue_rejection_is_journalled_as_rejected_with_the_reason(env):
    account = await env.accounts.create_paper_account("P1", {"USDT": "1000"})
    env.quote("50000.00", "50010.00")
    order = await env.om.submit(env.request(account.account_id, B, MKT, "1"))
    assert order.status is OrderStatus.REJECTED
    assert order.reject_reason == "insufficient USDT for BUY 1 BTC/USDT: need 50060.01, free 1000"
    saved = env.store.orders.get(account.account_id, order.client_order_id)
    assert (saved.status, saved.reject_reason) == (OrderStatus.REJECTED, order.reject_reason)
    no_quote = await env.om.submit(env.request(account.account_id, B, MKT, "0.01", symbol="ETH/USDT"))
    assert (no_quote.status, no_quote.reject_reason) == (OrderStatus.REJECTED, "no market price for ETH/USDT")


async def test_a_duplicate_client_order_id_is_refused_before_the_journal(env, scripted):
    broker = await env.attach(scripted(env.exchange, "a1"))
    env.quote("50000.00", "50010.00")
    await env.om.submit(env.request("a1", B, LMT, "0.1", "49000.00", coid="same"))
    with pytest.raises(InvalidOrder, match="duplicate client order id same"):
        await env.om.submit(env.request("a1", B, LMT, "0.2", "48000.00", coid="same"))
    assert broker.place_calls == 1
    assert env.store.orders.get("a1", "same").quantity == D("0.1")


async def test_a_repeated_fill_report_changes_nothing(env, scripted):
    broker = await env.attach(scripted(env.exchange, "a1"))
    fills = []
    env.bus.subscribe(FillEvent, fills.append)
    env.quote("50000.00", "50010.00")
    order = await env.om.submit(env.request("a1", B, MKT, "0.5"))
    await env.om.flush("a1")
    fill = env.store.fills.list("a1")[0]
    broker.inject(FillUpdate(fill), FillUpdate(fill), OrderUpdate(order))
    await env.om.flush("a1")
    assert len(env.store.fills.list("a1")) == 1
    assert len(fills) == 1
    saved = env.store.orders.get("a1", order.client_order_id)
    assert (saved.filled_qty, saved.fill_ids) == (D("0.5"), (fill.trade_id,))


async def test_fills_reported_before_the_order_update_drive_the_state_machine(env, scripted):
    """A venue that reports a fill (by trade id) for a tracked order: the order advances once per trade id."""
    from trader_app.core import Fill

    broker = await env.attach(scripted(env.exchange, "a1"))
    env.quote("50000.00", "50010.00")
    order = await env.om.submit(env.request("a1", B, LMT, "1", "49000.00"))
    base = dict(account_id="a1", client_order_id=order.client_order_id, symbol="BTC/USDT", side=B,
                commission=D("0"), commission_asset="USDT", ts_ms=1)
    part = Fill(trade_id="t-1", price=D("49000.00"), quantity=D("0.4"), **base)
    broker.inject(FillUpdate(part), FillUpdate(part))
    await env.om.flush("a1")
    tracked = env.om.order("a1", order.client_order_id)
    assert (tracked.status, tracked.filled_qty) == (OrderStatus.PARTIALLY_FILLED, D("0.4"))
    broker.inject(FillUpdate(Fill(trade_id="t-2", price=D("48000.00"), quantity=D("0.6"), **base)))
    await env.om.flush("a1")
    tracked = env.store.orders.get("a1", order.client_order_id)
    assert (tracked.status, tracked.filled_qty, tracked.avg_fill_price) == (OrderStatus.FILLED, D("1"), D("48400"))
    # a stale report of the venue (NEW) after FILLED is ignored
    broker.inject(OrderUpdate(order))
    await env.om.flush("a1")
    assert env.om.order("a1", order.client_order_id).status is OrderStatus.FILLED


async def test_cancel_and_cancel_all_through_the_order_manager(env):
    account = await env.accounts.create_paper_account("P1", {"USDT": "100000"})
    aid = account.account_id
    env.quote("50000.00", "50010.00")
    env.quote("2000.00", "2000.50", symbol="ETH/USDT")
    a = await env.om.submit(env.request(aid, B, LMT, "0.5", "49000.00"))
    b = await env.om.submit(env.request(aid, B, LMT, "1", "1900.00", symbol="ETH/USDT"))
    c = await env.om.submit(env.request(aid, B, LMT, "1", "1800.00", symbol="ETH/USDT"))
    await env.om.flush(aid)
    assert env.store.balances.list(aid)[0].locked == D("24524.5") + D("1901.9") + D("1801.8")
    assert [o.client_order_id for o in env.om.open_orders(aid)] == [a.client_order_id, b.client_order_id, c.client_order_id]

    cancelled = await env.om.cancel(aid, a.client_order_id)
    assert cancelled.status is OrderStatus.CANCELLED
    rest = await env.om.cancel_all(aid, symbol="ETH/USDT", side=B)
    assert sorted(o.client_order_id for o in rest) == sorted([b.client_order_id, c.client_order_id])
    await env.om.flush(aid)
    assert env.om.open_orders(aid) == []
    assert {o.status for o in env.store.orders.list(aid)} == {OrderStatus.CANCELLED}
    assert env.store.balances.list(aid)[0].locked == 0


async def test_placement_is_never_retried_and_a_lost_ack_is_reconciled(env, scripted):
    broker = await env.attach(scripted(env.exchange, "a1", publish_updates=False))  # nothing on the stream either
    broker.lose_ack = True
    broker.query_failures = 2  # the first two reads fail: reads ARE retried
    env.quote("50000.00", "50010.00")
    order = await env.om.submit(env.request("a1", B, LMT, "0.1", "49000.00", coid="lost"))
    assert order.status is OrderStatus.UNKNOWN  # sent, answer lost: unknown, not a verdict
    assert broker.place_calls == 1
    await env.om.settled()  # the background resolution asked the venue (2 failed reads, retried, then found)
    assert env.om.order("a1", "lost").status is OrderStatus.NEW
    assert broker.query_calls == 3 and broker.place_calls == 1
    assert env.store.orders.get("a1", "lost").status is OrderStatus.NEW


async def test_an_order_the_venue_never_received_is_rejected_only_after_the_grace_window(env, scripted):
    broker = await env.attach(scripted(env.exchange, "a1"))
    broker.unreachable = True
    env.quote("50000.00", "50010.00")
    order = await env.om.submit(env.request("a1", B, MKT, "0.1", coid="never"))
    assert order.status is OrderStatus.UNKNOWN
    await env.om.settled()
    saved = env.store.orders.get("a1", "never")
    assert saved.status is OrderStatus.REJECTED
    assert saved.reject_reason.startswith("not found at the venue after ")
    assert broker.place_calls == 1 and broker.query_calls >= 3


async def test_a_place_order_timeout_leaves_the_order_unknown(env, scripted):
    broker = await env.attach(scripted(env.exchange, "a1"))
    broker.hang = True
    order = await env.om.submit(env.request("a1", B, LMT, "0.1", "49000.00", coid="slow"))
    assert order.status is OrderStatus.UNKNOWN
    assert env.store.orders.get("a1", "slow").status is OrderStatus.UNKNOWN
    assert broker.place_calls == 1


async def test_reconcile_of_a_journalled_pending_submit_order_the_venue_has(env, scripted):
    """Crash between place_order and its acknowledgement: the journal says PENDING_SUBMIT, the venue has it."""
    broker = await env.attach(scripted(env.exchange, "a1"))
    env.quote("50000.00", "50010.00")
    req = env.request("a1", B, LMT, "0.1", "49000.00", coid="crashed")
    await broker.place_order(req)  # reached the venue ...
    env.store.orders.save(Order.from_request(req, 1))  # ... but our journal still says PENDING_SUBMIT
    report = await env.om.reconcile()
    assert (report.swept, report.queried, report.lost) == (1, 0, 0)  # found in the venue's open orders
    saved = env.store.orders.get("a1", "crashed")
    assert saved.status is OrderStatus.NEW and saved.venue_order_id.startswith("po-")
    assert [o.client_order_id for o in env.om.open_orders("a1")] == ["crashed"]
    env.quote("48990.00", "49000.00")
    await env.om.flush("a1")
    assert env.store.orders.get("a1", "crashed").status is OrderStatus.FILLED


class _MaxQty:
    name = "max_qty"

    def check(self, request, ctx):
        if request.quantity > D("1"):
            raise RiskRejected(self.name, f"quantity {request.quantity} above 1", D("1"), request.quantity)
        assert ctx.instrument.symbol == request.symbol
        self.seen = (ctx.reference_price, ctx.equity, len(ctx.open_orders))


async def test_risk_rules_run_before_the_journal(env):
    rule = _MaxQty()
    env.om.risk = RiskPipeline(lambda account_id: [rule])
    account = await env.accounts.create_paper_account("P1", {"USDT": "100000"})
    env.quote("50000.00", "50010.00")
    with pytest.raises(RiskRejected, match="max_qty: quantity 1.50000 above 1"):
        await env.om.submit(env.request(account.account_id, B, LMT, "1.5", "49000.00"))
    assert env.store.orders.list() == []
    await env.om.submit(env.request(account.account_id, B, MKT, "0.5"))
    assert rule.seen == (D("50010.00"), D("100000"), 0)  # MARKET buy references the ask; equity from the portfolio


async def test_a_broken_rule_fails_closed(env):
    class Broken:
        name = "broken"

        def check(self, request, ctx):
            raise ZeroDivisionError("oops")

    env.om.risk = RiskPipeline(rules=[Broken()])
    account = await env.accounts.create_paper_account("P1", {"USDT": "100000"})
    with pytest.raises(RiskRejected, match="broken: rule failed: oops"):
        await env.om.submit(env.request(account.account_id, B, LMT, "0.1", "49000.00"))
    assert env.store.orders.list() == []
