"""A signal's record follows its orders' final status (issue 21, defect 7): a resting order later cancelled,
an UNKNOWN answer later FILLED (its "outcome unknown" reason dropped), an order declared lost (REJECTED)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

from trader_app.core import Side, SignalSource
from trader_app.core.enums import OrderStatus, OrderType, TimeInForce
from trader_app.core.events import OrderEvent, SignalEvent
from trader_app.core.groups import SignalRecord
from trader_app.core.orders import Order
from trader_app.execution.executor import new_signal
from trader_app.execution.signal import SignalOrder, SignalOrderType


async def test_a_resting_order_cancelled_after_the_fan_out_updates_the_record(rig):
    rig.quote("BTC/USDT", "29990", "30000")
    order = SignalOrder("BTC/USDT", SignalOrderType.LIMIT, Side.BUY, D("10"), price=D("20000"))
    out = await rig.executor.execute(new_signal("trend", (order,), SignalSource.WEBHOOK, {}))
    await rig.settle()
    record = rig.store.signals.get(out.signal_id)
    assert [r["status"] for r in record.results] == ["NEW"] * 3
    events = []
    rig.bus.subscribe(SignalEvent, events.append)
    first = record.results[0]
    await rig.om.cancel(first["account_id"], first["client_order_id"])
    await rig.settle()
    record = rig.store.signals.get(out.signal_id)
    assert [r["status"] for r in record.results] == ["CANCELLED", "NEW", "NEW"]
    assert events and events[-1].results[0]["status"] == "CANCELLED"  # the Signals panel hears it


async def test_unknown_then_filled_and_a_lost_order_are_followed(rig):
    def order(cid: str, status: OrderStatus, reason: str = "") -> Order:
        return Order(rig.ids[0], cid, "BTC/USDT", Side.BUY, OrderType.MARKET, D("1"), None, None, TimeInForce.GTC,
                     status, 1, 2, reject_reason=reason, signal_id="sig-1", venue_order_id="v-" + cid)

    rig.store.signals.save(SignalRecord("sig-1", SignalSource.WEBHOOK, "trend", {}, 1, results=(
        {"account_id": rig.ids[0], "status": "UNKNOWN", "client_order_id": "c-1",
         "error": "outcome unknown: the venue did not answer in 10 s"},
        {"account_id": rig.ids[1], "status": "PENDING_SUBMIT", "client_order_id": "c-2"},
        {"account_id": rig.ids[2], "status": "REJECTED", "error": "max_order_notional: over the limit"})))
    rig.bus.publish(OrderEvent(order("c-1", OrderStatus.FILLED)))
    rig.bus.publish(OrderEvent(replace(order("c-2", OrderStatus.REJECTED, "not found at the venue after 3 answers"),
                                       account_id=rig.ids[1])))
    await rig.executor.drain()
    results = rig.store.signals.get("sig-1").results
    assert results[0] == {"account_id": rig.ids[0], "status": "FILLED", "client_order_id": "c-1",
                          "venue_order_id": "v-c-1"}  # the stale reason is gone
    assert (results[1]["status"], results[1]["error"]) == ("REJECTED", "not found at the venue after 3 answers")
    assert results[2] == {"account_id": rig.ids[2], "status": "REJECTED",
                          "error": "max_order_notional: over the limit"}  # refused before the journal: as it was
