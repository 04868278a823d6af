"""The executor's own guarantees: isolation between accounts, the response deadline, per-account timeouts,
risk and sizing refusals recorded per account, max_positions, close-all, and concurrency."""

import asyncio
from dataclasses import replace
from decimal import Decimal as D

from trader_app.core.enums import Side, SignalSource
from trader_app.core.events import SignalEvent
from trader_app.execution.executor import new_signal
from trader_app.execution.signal import SignalOrder, SignalOrderType as T
from trader_app.trading.risk.rules import RiskLimits

BUY10 = [SignalOrder("BTC/USDT", T.MARKET, Side.BUY, D("10"))]


def sig(orders=BUY10, group="trend", **kw):
    return new_signal(group, orders, SignalSource.STRATEGY, {"test": True}, **kw)


def results(rig, out):
    return {rig.ids.index(r.account_id): (r.status, r.quantity, r.error) for r in out.results}


async def test_market_buy_sizes_each_account_by_weight_and_records_events(rig):
    events = []
    rig.bus.subscribe(SignalEvent, events.append)
    rig.quote("BTC/USDT", "29990", "30000")
    out = await rig.executor.execute(sig())
    await rig.settle()
    assert results(rig, out) == {0: ("FILLED", D("0.3333"), ""), 1: ("FILLED", D("0.1666"), ""),
                                 2: ("FILLED", D("0.0666"), "")}
    assert [e.signal_id for e in events] == [out.signal_id] * 2
    assert [r["status"] for r in events[0].results] == ["PENDING"] * 3
    assert [r["status"] for r in events[1].results] == ["FILLED"] * 3
    rec = rig.store.signals.get(out.signal_id)
    assert rec.source is SignalSource.STRATEGY and rec.payload == {"test": True}
    assert {o.group_name for o in rig.store.orders.list()} == {"trend"}


async def test_one_failing_account_never_blocks_the_others(rig):
    rig.quote("BTC/USDT", "29990", "30000")
    broker = rig.om.broker(rig.ids[1])

    async def broken(request):
        raise RuntimeError("socket closed")

    broker.place_order = broken
    out = await rig.executor.execute(sig())
    await rig.settle()
    got = results(rig, out)
    assert got[0][0] == "FILLED" and got[2][0] == "FILLED"
    # the order reached the journal; the venue call failed: UNKNOWN, then resolved by asking the venue (never
    # resent): the paper venue never saw it, so after the grace window it ends REJECTED as lost
    assert got[1][0] == "UNKNOWN"
    (order,) = rig.store.orders.list(account_id=rig.ids[1])
    assert order.status.value == "REJECTED" and order.reject_reason.startswith("not found at the venue after ")
    assert rig.store.positions.get(rig.ids[0], "BTC/USDT").quantity == D("0.3333")


async def test_deadline_reports_pending_and_the_slow_account_finishes_in_the_background(rig):
    rig.quote("BTC/USDT", "29990", "30000")
    broker = rig.om.broker(rig.ids[2])
    original = broker.place_order
    gate = asyncio.Event()

    async def slow(request):
        await gate.wait()
        return await original(request)

    broker.place_order = slow
    out = await rig.executor.execute(sig(), wait_s=2.0)  # the webhook deadline; the fast accounts finish within it
    assert not out.done
    assert results(rig, out) == {0: ("FILLED", D("0.3333"), ""), 1: ("FILLED", D("0.1666"), ""),
                                 2: ("PENDING", None, "")}
    assert [r["status"] for r in rig.store.signals.get(out.signal_id).results] == ["PENDING"] * 3  # not final yet
    gate.set()
    await rig.settle()
    rec = rig.store.signals.get(out.signal_id)
    assert sorted(r["status"] for r in rec.results) == ["FILLED"] * 3
    assert rig.store.positions.get(rig.ids[2], "BTC/USDT").quantity == D("0.0666")


async def test_per_account_timeout_reports_timeout_and_skips_the_rest_of_its_batch(rig):
    rig.executor.per_account_timeout_s = 3.0  # generous: the other accounts must finish well within it
    rig.quote("BTC/USDT", "29990", "30000")
    broker = rig.om.broker(rig.ids[0])
    original = broker.place_order
    gate = asyncio.Event()

    async def slow(request):
        await gate.wait()
        return await original(request)

    broker.place_order = slow
    batch = [SignalOrder("BTC/USDT", T.MARKET, Side.BUY, D("10")),
             SignalOrder("BTC/USDT", T.LIMIT, Side.BUY, D("1"), D("25000"))]
    out = await rig.executor.execute(sig(batch))
    first = [(r.order_type, r.status) for r in out.results if r.account_id == rig.ids[0]]
    assert first == [("MARKET", "TIMEOUT"), ("LIMIT", "SKIPPED")]
    assert [(r.order_type, r.status) for r in out.results if r.account_id == rig.ids[1]] == [
        ("MARKET", "FILLED"), ("LIMIT", "NEW")]
    gate.set()
    await rig.settle()
    rec = rig.store.signals.get(out.signal_id)
    assert [(r["order_type"], r["status"]) for r in rec.results if r["account_id"] == rig.ids[0]] == [
        ("MARKET", "FILLED"), ("LIMIT", "SKIPPED")]
    assert rig.store.orders.list(account_id=rig.ids[0], open_only=True) == []


async def test_risk_rejection_names_the_rule_and_journals_nothing_for_that_account(rig):
    await rig.risk_book.set_limits(rig.ids[0], RiskLimits(max_order_notional={"USDT": D("5000")}))
    rig.quote("BTC/USDT", "29990", "30000")
    out = await rig.executor.execute(sig())
    await rig.settle()
    got = results(rig, out)
    assert got[0] == ("REJECTED", D("0.3333"),
                      "max_order_notional: order notional 9999.00 USDT exceeds the limit 5000 USDT")
    assert got[1][0] == got[2][0] == "FILLED"
    assert rig.store.orders.list(account_id=rig.ids[0]) == []
    assert [r.client_order_id for r in out.results if r.account_id == rig.ids[0]] == [""]


async def test_sizing_refusals_are_per_account(rig):
    rig.quote("BTC/USDT", "29990", "30000")
    tiny = [SignalOrder("BTC/USDT", T.MARKET, Side.BUY, D("0.01"))]  # 100000 x w x 0.01 % = 10, 5, 2 USDT
    out = await rig.executor.execute(sig(tiny))
    got = results(rig, out)
    assert got[0][0] == "FILLED" and got[0][1] == D("0.0003")
    assert got[1][0] == "FILLED" and got[1][1] == D("0.0001")
    assert got[2][0] == "REJECTED"
    assert got[2][2] == "0.01% of 20000.00 USDT allocated = 2.00 at 30000 is below one lot (0.0001 BTC/USDT)"


async def test_no_quote_and_disconnected_account(rig):
    out = await rig.executor.execute(sig())
    assert {r.error for r in out.results} == {"no market price to size the order"}
    await rig.om.detach(rig.ids[1])
    rig.quote("BTC/USDT", "29990", "30000")
    out = await rig.executor.execute(sig([SignalOrder("BTC/USDT", T.MARKET, Side.BUY, D("5"))]))
    got = results(rig, out)
    assert got[1][0] == "REJECTED" and got[1][2] == "unknown symbol 'BTC/USDT'"
    assert got[0][0] == got[2][0] == "FILLED"


async def test_a_group_trades_a_second_symbol_by_default(rig):
    """Issue 13: a new link allowed one position, so a group's second symbol was refused everywhere."""
    rig.quote("BTC/USDT", "29990", "30000")
    rig.quote("ETH/USDT", "1999", "2000")
    assert {lk.max_positions for lk in await rig.groups.links("trend")} == {10}
    await rig.executor.execute(sig())
    await rig.settle()
    out = await rig.executor.execute(sig([SignalOrder("ETH/USDT", T.MARKET, Side.BUY, D("10"))]))
    assert {r.status for r in out.results} == {"FILLED"}


async def test_max_positions_counts_the_groups_other_symbols(rig):
    rig.quote("BTC/USDT", "29990", "30000")
    rig.quote("ETH/USDT", "1999", "2000")
    for acc in rig.ids:
        await rig.groups.update_link("trend", acc, max_positions=1)
    await rig.executor.execute(sig())
    await rig.settle()
    out = await rig.executor.execute(sig([SignalOrder("ETH/USDT", T.MARKET, Side.BUY, D("10"))]))
    assert {r.status for r in out.results} == {"REJECTED"}
    assert {r.error for r in out.results} == {"max_positions 1 reached for group 'trend' (BTC/USDT)"}
    await rig.groups.update_link("trend", rig.ids[0], max_positions=2)
    rig.clock.now += 5000
    out = await rig.executor.execute(sig([SignalOrder("ETH/USDT", T.MARKET, Side.BUY, D("10"))]))
    assert results(rig, out)[0][0] == "FILLED" and results(rig, out)[1][0] == "REJECTED"
    # adding to a symbol already held is not a new position
    out = await rig.executor.execute(sig([SignalOrder("BTC/USDT", T.MARKET, Side.BUY, D("1"))]))
    assert {r.status for r in out.results} == {"FILLED"}


async def test_manual_order_for_one_unlinked_account(rig):
    rig.quote("BTC/USDT", "29990", "30000")
    await rig.groups.unlink("trend", rig.ids[2])
    out = await rig.executor.execute(sig(account_ids=(rig.ids[2],)))
    # not linked: sized with weight 1 -> 100000 x 10 % / 30000
    assert results(rig, out) == {2: ("FILLED", D("0.3333"), "")}


async def test_close_all_cancels_then_closes_only_what_is_held(rig):
    rig.quote("BTC/USDT", "29990", "30000")
    rig.quote("ETH/USDT", "1999", "2000")
    await rig.executor.execute(sig())
    await rig.settle()
    await rig.executor.execute(sig([SignalOrder("BTC/USDT", T.LIMIT, Side.SELL, D("-50"), D("40000"))]))
    await rig.settle()
    out = await rig.executor.close_all(group_name="trend")
    await rig.settle()
    assert [(r.order_type, r.status, r.cancelled) for r in out.results if r.account_id == rig.ids[0]] == [
        ("CANCEL_ALL_ORDER", "CANCELLED", 1), ("MARKET", "FILLED", None)]
    assert [rig.store.positions.get(a, "BTC/USDT").quantity for a in rig.ids] == [D("0")] * 3
    assert rig.om.open_orders() == []
    out = await rig.executor.close_all()  # nothing held any more: nothing to do
    assert out.results == []


async def test_sequential_mode_gives_the_same_orders(rig):
    rig.executor._limit = asyncio.Semaphore(1)
    rig.quote("BTC/USDT", "29990", "30000")
    out = await rig.executor.execute(sig())
    assert results(rig, out) == {0: ("FILLED", D("0.3333"), ""), 1: ("FILLED", D("0.1666"), ""),
                                 2: ("FILLED", D("0.0666"), "")}


async def test_fan_out_is_concurrent(rig):
    """Three accounts each taking one venue round trip of 0.3 s finish together, not one after another."""
    rig.quote("BTC/USDT", "29990", "30000")
    inflight = []
    peak = []
    for acc in rig.ids:
        broker = rig.om.broker(acc)
        original = broker.place_order

        async def slow(request, original=original):
            inflight.append(request.account_id)
            peak.append(len(inflight))
            await asyncio.sleep(0.3)
            inflight.remove(request.account_id)
            return await original(request)

        broker.place_order = slow
    out = await rig.executor.execute(sig())
    assert max(peak) == 3
    assert {r.status for r in out.results} == {"FILLED"}


async def test_a_venue_that_buys_at_market_by_amount_gets_the_amount_to_spend(rig):
    """Issue 21 (the contract's quote amount): on an account whose venue takes market buys only by the amount to
    spend (Upbit, Bithumb), a ``qty_per`` buy is sent as that amount; the other accounts get a quantity."""
    rig.quote("BTC/USDT", "29990", "30000")
    broker = rig.om.broker(rig.ids[1])
    broker.capabilities = replace(broker.capabilities, market_buy_by_quote=True)
    sent = []
    place = broker.place_order

    async def recording(request):
        sent.append(request)
        return await place(request)

    broker.place_order = recording
    out = await rig.executor.execute(sig())
    await rig.settle()
    got = results(rig, out)
    # 10 % of 100,000 x 0.5: the amount is the notional before lot rounding; the paper venue buys at the ask
    assert [r.quote_amount for r in sent] == [D("5000.00000000")]
    assert got[1] == ("FILLED", D("0.1666"), "") and got[0][1] == D("0.3333")
    assert rig.store.fills.list(account_id=rig.ids[1])[0].quantity == D("0.1666")
