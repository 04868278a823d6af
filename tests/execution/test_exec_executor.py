"""The executor against three paper accounts (weights 1, 0.5, 0.2): exact orders, quantities, positions."""

from decimal import Decimal as D

from trader_app.core.enums import OrderStatus, OrderType, Side, SignalSource
from trader_app.execution.executor import new_signal
from trader_app.execution.signal import SignalOrder, SignalOrderType as T


async def test_market_buy_sizes_each_account_by_weight(rig):
    rig.quote("BTC/USDT", "29990", "30000")
    out = await rig.executor.execute(new_signal("trend", [SignalOrder("BTC/USDT", T.MARKET, Side.BUY, D("10"))],
                                                SignalSource.WEBHOOK))
    await rig.settle()
    # 100000 x w x 10 % / 30000 (ask) rounded down to 0.0001
    assert [(r.account_id, r.status, r.quantity) for r in out.results] == [
        (rig.ids[0], "FILLED", D("0.3333")), (rig.ids[1], "FILLED", D("0.1666")), (rig.ids[2], "FILLED", D("0.0666"))]
    for acc, qty in zip(rig.ids, ("0.3333", "0.1666", "0.0666")):
        pos = rig.store.positions.get(acc, "BTC/USDT")
        assert pos.quantity == D(qty) and pos.avg_price == D("30000")
    rec = rig.store.signals.get(out.signal_id)
    assert [r["status"] for r in rec.results] == ["FILLED"] * 3
    assert {o.signal_id for o in rig.store.orders.list()} == {out.signal_id}
