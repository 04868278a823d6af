"""Paper broker order types, table-driven with exact Decimal results.

Every case starts with 100000 USDT (and, for sells, 1 BTC held at an average price of 40000), quote
bid 50000.00 / ask 50010.00, commission 0.1 %. Then the order is placed, the listed quotes arrive, and cash,
locked cash, the fill and the position are checked to the last digit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal as D

import pytest

from trader_app.brokers.base import BalanceUpdate, FillUpdate, LedgerUpdate, OrderUpdate, PositionUpdate
from trader_app.core import LedgerKind, OrderStatus, OrderType, Side

B, S = Side.BUY, Side.SELL
MKT, LMT, STP, STL = OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_MARKET, OrderType.STOP_LIMIT


@dataclass
class Case:
    id: str
    side: Side
    type: OrderType
    qty: str
    price: str | None = None
    stop: str | None = None
    slippage: str = "0"
    quotes: list[tuple[str, str]] = field(default_factory=list)  # (bid, ask) after placement
    placed: OrderStatus = OrderStatus.FILLED
    locked: str = "0"  # USDT locked right after placement
    fill: str = ""  # fill price
    cash: str = ""  # USDT total at the end
    pos_qty: str = ""
    pos_avg: str = ""
    realized: str = "0"


CASES = [
    Case("market buy", B, MKT, "0.5", fill="50010.00", cash="74969.995", pos_qty="0.5", pos_avg="50010.00"),
    Case("market buy slippage", B, MKT, "0.5", slippage="0.001", fill="50060.01", cash="74944.964995",
         pos_qty="0.5", pos_avg="50060.01"),
    Case("market sell slippage", S, MKT, "0.4", slippage="0.001", fill="49950.00", cash="119960.02",
         pos_qty="0.6", pos_avg="40000", realized="3980"),
    Case("marketable limit buy fills at the ask", B, LMT, "0.5", price="50100.00", fill="50010.00",
         cash="74969.995", pos_qty="0.5", pos_avg="50010.00"),
    Case("marketable limit sell fills at the bid", S, LMT, "0.4", price="49900.00", fill="50000.00",
         cash="119980", pos_qty="0.6", pos_avg="40000", realized="4000"),
    Case("resting limit buy filled by a later quote at its limit", B, LMT, "0.5", price="49000.00",
         quotes=[("48995.00", "49005.00"), ("48980.00", "48990.00")], placed=OrderStatus.NEW, locked="24524.5",
         fill="49000.00", cash="75475.5", pos_qty="0.5", pos_avg="49000.00"),
    Case("resting limit sell filled at its limit", S, LMT, "0.4", price="51000.00",
         quotes=[("50990.00", "51000.00"), ("51000.00", "51010.00")], placed=OrderStatus.NEW,
         fill="51000.00", cash="120379.6", pos_qty="0.6", pos_avg="40000", realized="4400"),
    Case("stop market buy triggers at ask >= stop", B, STP, "0.5", stop="51000.00",
         quotes=[("50990.00", "50999.99"), ("51010.00", "51020.00")], placed=OrderStatus.NEW, locked="25525.5",
         fill="51020.00", cash="74464.49", pos_qty="0.5", pos_avg="51020.00"),
    Case("stop market buy with slippage", B, STP, "0.5", stop="51000.00", slippage="0.001",
         quotes=[("51010.00", "51020.00")], placed=OrderStatus.NEW, locked="25525.5",
         fill="51071.02", cash="74438.95449", pos_qty="0.5", pos_avg="51071.02"),
    Case("stop market sell triggers at bid <= stop", S, STP, "0.4", stop="49000.00",
         quotes=[("48900.00", "48910.00")], placed=OrderStatus.NEW,
         fill="48900.00", cash="119540.44", pos_qty="0.6", pos_avg="40000", realized="3560"),
    Case("stop limit buy triggers and fills at the triggering ask", B, STL, "0.5", price="51500.00", stop="51000.00",
         quotes=[("51010.00", "51020.00")], placed=OrderStatus.NEW, locked="25775.75",
         fill="51020.00", cash="74464.49", pos_qty="0.5", pos_avg="51020.00"),
    Case("stop limit buy triggers, rests, then fills at its limit", B, STL, "0.5", price="50900.00", stop="51000.00",
         quotes=[("51010.00", "51020.00"), ("50790.00", "50800.00")], placed=OrderStatus.NEW, locked="25475.45",
         fill="50900.00", cash="74524.55", pos_qty="0.5", pos_avg="50900.00"),
    Case("stop limit sell", S, STL, "0.4", price="48800.00", stop="49000.00",
         quotes=[("48900.00", "48910.00")], placed=OrderStatus.NEW,
         fill="48900.00", cash="119540.44", pos_qty="0.6", pos_avg="40000", realized="3560"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_order_types(make_rig, case: Case):
    rig = await make_rig(slippage=case.slippage)
    rig.hold({"USDT": "100000"}, {"BTC/USDT": ("1", "40000")} if case.side is S else None)
    rig.quote("50000.00", "50010.00")

    placed = await rig.broker.place_order(rig.request(case.side, case.type, case.qty, case.price, case.stop))
    assert placed.status is case.placed
    assert (await rig.balance()).locked == D(case.locked)
    for bid, ask in case.quotes:
        rig.quote(bid, ask)
    await rig.settle()

    order = await rig.broker.query_order(placed.client_order_id)
    assert order.status is OrderStatus.FILLED
    assert order.avg_fill_price == D(case.fill)
    fills = [u.fill for u in rig.updates if isinstance(u, FillUpdate)]
    assert len(fills) == 1
    fill = fills[0]
    assert (fill.price, fill.quantity) == (D(case.fill), D(case.qty))
    assert fill.commission == D(case.fill) * D(case.qty) * D("0.001")
    assert fill.commission_asset == "USDT"
    bal = await rig.balance()
    assert bal.total == D(case.cash)
    assert bal.locked == 0
    pos = await rig.position()
    assert (pos.quantity, pos.avg_price, pos.realized_pnl) == (D(case.pos_qty), D(case.pos_avg), D(case.realized))
    assert await rig.broker.open_orders() == []
    assert rig.exchange.resting_count() == 0


async def test_a_fill_emits_fill_ledger_balance_position_then_order(rig):
    rig.hold({"USDT": "100000"})
    rig.quote("50000.00", "50010.00")
    await rig.broker.place_order(rig.request(B, MKT, "0.5"))
    updates = await rig.settle()
    assert [type(u) for u in updates] == [FillUpdate, LedgerUpdate, LedgerUpdate, BalanceUpdate, PositionUpdate, OrderUpdate]
    buy, fee = updates[1].entry, updates[2].entry
    assert (buy.kind, buy.amount, buy.cash_before, buy.cash_after) == (LedgerKind.BUY, D("-25005.000"), D("100000"), D("74995.000"))
    assert (fee.kind, fee.amount, fee.cash_before, fee.cash_after) == (LedgerKind.FEE, D("-25.005"), D("74995.000"), D("74969.995"))
    assert buy.trade_id == fee.trade_id == updates[0].fill.trade_id
    assert (buy.symbol, buy.quantity, buy.price) == ("BTC/USDT", D("0.5"), D("50010.00"))


async def test_zero_commission_writes_no_fee_row(make_rig):
    rig = await make_rig(commission="0")
    rig.hold({"USD": "10000"})
    rig.quote("189.90", "190.10", symbol="AAPL")
    await rig.broker.place_order(rig.request(B, MKT, "10", symbol="AAPL"))
    await rig.settle()
    assert [e.kind for e in rig.ledger()] == [LedgerKind.BUY]
    assert (await rig.balance("USD")).total == D("8099.00")


async def test_stock_position_uses_its_own_quote_currency(rig):
    rig.hold({"USD": "10000", "USDT": "5"})
    rig.quote("189.90", "190.10", symbol="AAPL")
    await rig.broker.place_order(rig.request(B, MKT, "10", symbol="AAPL"))
    await rig.settle()
    assert (await rig.balance("USD")).total == D("10000") - D("1901.00") - D("1.901")
    assert (await rig.balance("USDT")).total == D("5")
    pos = await rig.position("AAPL")
    assert (pos.quantity, pos.avg_price) == (D("10"), D("190.10"))


async def test_stop_limit_trigger_is_reported_before_the_fill(rig):
    rig.hold({"USDT": "100000"})
    rig.quote("50000.00", "50010.00")
    placed = await rig.broker.place_order(rig.request(B, STL, "0.5", price="50900.00", stop="51000.00"))
    assert placed.triggered is False
    rig.quote("51010.00", "51020.00")
    order = await rig.broker.query_order(placed.client_order_id)
    assert (order.status, order.triggered) == (OrderStatus.NEW, True)
    await rig.settle()
    assert isinstance(rig.updates[-1], OrderUpdate) and rig.updates[-1].order.triggered


async def test_stop_order_already_through_its_stop_on_arrival_triggers_at_once(rig):
    rig.hold({"USDT": "100000"})
    rig.quote("50000.00", "50010.00")
    order = await rig.broker.place_order(rig.request(B, STP, "0.1", stop="49000.00"))
    assert (order.status, order.avg_fill_price, order.triggered) == (OrderStatus.FILLED, D("50010.00"), True)


async def test_limit_order_without_a_quote_rests_until_one_arrives(rig):
    rig.hold({"USDT": "1000"})
    order = await rig.broker.place_order(rig.request(B, LMT, "0.1", price="2000.00", symbol="ETH/USDT"))
    assert order.status is OrderStatus.NEW
    rig.quote("1999.00", "1999.50", symbol="ETH/USDT")
    assert (await rig.broker.query_order(order.client_order_id)).avg_fill_price == D("2000.00")


async def test_quotes_of_other_symbols_do_not_touch_resting_orders(rig):
    rig.hold({"USDT": "100000"})
    rig.quote("50000.00", "50010.00")
    order = await rig.broker.place_order(rig.request(B, LMT, "0.1", price="49000.00"))
    rig.quote("1.00", "1.01", symbol="ETH/USDT")
    assert (await rig.broker.query_order(order.client_order_id)).status is OrderStatus.NEW
    assert rig.exchange.resting_count("BTC/USDT") == 1
    assert rig.exchange.resting_count("ETH/USDT") == 0


@pytest.mark.parametrize("tif", ["IOC", "FOK"])
async def test_ioc_fok_limit_that_cannot_fill_now_expires_and_reserves_nothing(rig, tif):
    from trader_app.core import TimeInForce

    rig.hold({"USDT": "100000"})
    rig.quote("50000.00", "50010.00")
    order = await rig.broker.place_order(rig.request(B, LMT, "0.5", price="49000.00", tif=TimeInForce(tif)))
    assert order.status is OrderStatus.EXPIRED
    assert (await rig.balance()).locked == 0
    assert rig.exchange.resting_count() == 0
    filled = await rig.broker.place_order(rig.request(B, LMT, "0.5", price="50010.00", tif=TimeInForce(tif)))
    assert filled.status is OrderStatus.FILLED


async def test_an_order_can_be_cancelled_by_the_venues_own_id(rig):
    """Issue 21, contract: venues without client order ids (KRX brokers) cancel by their own order number."""
    from trader_app.core.enums import OrderStatus, OrderType, Side

    rig.hold({"USDT": "100000"})
    rig.quote("50000.00", "50010.00")
    order = await rig.broker.place_order(rig.request(Side.BUY, OrderType.LIMIT, "0.1", "40000.00", coid="rest-v"))
    assert order.venue_order_id
    cancelled = await rig.broker.cancel_order("", venue_order_id=order.venue_order_id)
    assert (cancelled.client_order_id, cancelled.status) == ("rest-v", OrderStatus.CANCELLED)
