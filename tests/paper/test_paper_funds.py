"""Paper cash and holdings: reservations, rejections (naming needed vs free), cancel and cancel-all, deposits
and withdrawals, the ledger arithmetic, positions (average price, realized PnL), and restore."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from trader_app.core import (
    InsufficientFunds,
    InvalidOrder,
    LedgerKind,
    OrderNotFound,
    OrderRejected,
    OrderStatus,
    OrderType,
    Side,
    TraderError,
    VenueUnavailable,
)

B, S = Side.BUY, Side.SELL
MKT, LMT, STP = OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_MARKET


@pytest.mark.parametrize(
    "setup, order, error, message",
    [
        # not enough cash for a market buy: need = 3 x 50010.00 x 1.001
        ({}, (B, MKT, "3", None, None, "BTC/USDT"), InsufficientFunds,
         "insufficient USDT for BUY 3 BTC/USDT: need 150180.03, free 100000"),
        # a resting buy is checked against its reservation: 2.1 x 49000 x 1.001
        ({}, (B, LMT, "2.1", "49000.00", None, "BTC/USDT"), InsufficientFunds,
         "insufficient USDT for BUY 2.1 BTC/USDT: need 103002.9, free 100000"),
        # selling what is not held (no short selling on paper)
        ({}, (S, MKT, "0.1", None, None, "BTC/USDT"), InsufficientFunds,
         "insufficient holdings for SELL 0.1 BTC/USDT: need 0.1, free 0"),
        ({"BTC/USDT": ("0.05", "40000")}, (S, LMT, "0.1", "60000.00", None, "BTC/USDT"), InsufficientFunds,
         "insufficient holdings for SELL 0.1 BTC/USDT: need 0.1, free 0.05"),
        # no quote yet for a market order
        ({}, (B, MKT, "0.1", None, None, "ETH/USDT"), OrderRejected, "no market price for ETH/USDT"),
        # off the lot / tick grid
        ({}, (B, LMT, "0.000001", "49000.00", None, "BTC/USDT"), InvalidOrder,
         "quantity 0.000001 is not a multiple of the lot size 0.00001"),
        ({}, (B, LMT, "0.1", "49000.005", None, "BTC/USDT"), InvalidOrder,
         "price 49000.005 is not a multiple of the tick size 0.01"),
        ({}, (B, LMT, "0.1", None, None, "BTC/USDT"), InvalidOrder, "LIMIT needs a price > 0"),
        ({}, (B, LMT, "0.1", "1.00", None, "DOGE/USDT"), InvalidOrder, "unknown symbol 'DOGE/USDT' on paper"),
    ],
)
async def test_rejections_name_the_reason_and_change_nothing(rig, setup, order, error, message):
    rig.hold({"USDT": "100000"}, setup)
    rig.quote("50000.00", "50010.00")
    side, otype, qty, price, stop, symbol = order
    request = rig.request(side, otype, qty, price, stop, symbol=symbol)
    with pytest.raises(error) as info:
        await rig.broker.place_order(request)
    assert str(info.value) == message
    await rig.settle()
    assert rig.updates == []
    bal = await rig.balance()
    assert (bal.total, bal.locked) == (D("100000"), D("0"))
    assert await rig.broker.open_orders() == []
    remembered = await rig.broker.query_order(request.client_order_id)
    assert (remembered.status, remembered.reject_reason) == (OrderStatus.REJECTED, message)


async def test_partial_cash_second_buy_rejected_because_the_first_reserved_the_cash(rig):
    rig.hold({"USDT": "100000"})
    rig.quote("50000.00", "50010.00")
    first = await rig.broker.place_order(rig.request(B, LMT, "2", "49000.00"))
    assert first.status is OrderStatus.NEW
    bal = await rig.balance()
    assert (bal.total, bal.locked, bal.free) == (D("100000"), D("98098"), D("1902"))
    with pytest.raises(InsufficientFunds, match=r"need 4904\.9, free 1902$"):
        await rig.broker.place_order(rig.request(B, LMT, "0.1", "49000.00"))
    with pytest.raises(InsufficientFunds, match=r"need 5006, free 1902$"):
        await rig.broker.place_order(rig.request(B, MKT, "0.1"))
    # a buy that fits the remaining free cash is accepted
    ok = await rig.broker.place_order(rig.request(B, MKT, "0.03"))
    assert ok.status is OrderStatus.FILLED


async def test_cancel_releases_the_reservation(rig):
    rig.hold({"USDT": "100000"}, {"BTC/USDT": ("1", "40000")})
    rig.quote("50000.00", "50010.00")
    buy = await rig.broker.place_order(rig.request(B, LMT, "1", "49000.00"))
    sell = await rig.broker.place_order(rig.request(S, LMT, "0.7", "60000.00"))
    assert (await rig.balance()).locked == D("49049")
    with pytest.raises(InsufficientFunds, match="need 0.5, free 0.3"):
        await rig.broker.place_order(rig.request(S, MKT, "0.5"))

    cancelled = await rig.broker.cancel_order(buy.client_order_id)
    assert cancelled.status is OrderStatus.CANCELLED
    assert (await rig.balance()).locked == 0
    await rig.broker.cancel_order(sell.client_order_id)
    filled = await rig.broker.place_order(rig.request(S, MKT, "0.5"))
    assert filled.status is OrderStatus.FILLED
    # cancelling a final order returns it unchanged; an unknown id raises
    assert (await rig.broker.cancel_order(buy.client_order_id)) == cancelled
    with pytest.raises(OrderNotFound):
        await rig.broker.cancel_order("nope")
    # a cancelled order never fills
    rig.quote("48000.00", "48010.00")
    assert (await rig.broker.query_order(buy.client_order_id)).status is OrderStatus.CANCELLED
    assert rig.exchange.resting_count() == 0


@pytest.mark.parametrize(
    "symbol, side, expected_left",
    [
        (None, None, []),
        ("BTC/USDT", None, ["e-buy"]),
        (None, S, ["b-buy", "b-stop", "e-buy"]),
        ("BTC/USDT", B, ["b-sell", "e-buy"]),
    ],
)
async def test_cancel_all_by_symbol_and_side(rig, symbol, side, expected_left):
    rig.hold({"USDT": "100000"}, {"BTC/USDT": ("1", "40000")})
    rig.quote("50000.00", "50010.00")
    rig.quote("2000.00", "2000.50", symbol="ETH/USDT")
    await rig.broker.place_order(rig.request(B, LMT, "0.1", "49000.00", coid="b-buy"))
    await rig.broker.place_order(rig.request(B, STP, "0.1", stop="52000.00", coid="b-stop"))
    await rig.broker.place_order(rig.request(S, LMT, "0.5", "60000.00", coid="b-sell"))
    await rig.broker.place_order(rig.request(B, LMT, "1", "1900.00", symbol="ETH/USDT", coid="e-buy"))
    cancelled = await rig.broker.cancel_all(symbol, side)
    left = [o.client_order_id for o in await rig.broker.open_orders()]
    assert sorted(left) == expected_left
    assert all(o.status is OrderStatus.CANCELLED for o in cancelled)
    assert len(cancelled) + len(left) == 4
    locked = {"b-buy": D("4904.9"), "b-stop": D("5205.2"), "e-buy": D("1901.9")}
    assert (await rig.balance()).locked == sum((locked[c] for c in left if c in locked), D(0))


async def test_deposit_and_withdraw(rig):
    first = await rig.broker.deposit("USDT", D("1000"), note="top up")
    assert (first.kind, first.amount, first.cash_before, first.cash_after, first.note) == (
        LedgerKind.DEPOSIT, D("1000"), D("0"), D("1000"), "top up")
    out = await rig.broker.withdraw("USDT", D("250.5"))
    assert (out.kind, out.amount, out.cash_before, out.cash_after) == (LedgerKind.WITHDRAW, D("-250.5"), D("1000"), D("749.5"))
    rig.quote("1999.00", "2000.00", symbol="ETH/USDT")
    await rig.broker.place_order(rig.request(B, LMT, "0.3", "1900.00", symbol="ETH/USDT"))  # locks 570.57
    with pytest.raises(InsufficientFunds, match=r"insufficient USDT to withdraw 200: free 178\.93$"):
        await rig.broker.withdraw("USDT", D("200"))
    with pytest.raises(TraderError, match="must be > 0"):
        await rig.broker.deposit("USDT", D("0"))
    with pytest.raises(TraderError, match="must be > 0"):
        await rig.broker.withdraw("USDT", D("-1"))
    with pytest.raises(InsufficientFunds):
        await rig.broker.withdraw("KRW", D("1"))
    assert (await rig.balance()).total == D("749.5")


async def test_ledger_arithmetic_over_a_sequence(rig):
    await rig.broker.deposit("USDT", D("100000"))
    await rig.broker.deposit("USD", D("5000"))
    rig.quote("50000.00", "50010.00")
    rig.quote("189.90", "190.10", symbol="AAPL")
    await rig.broker.place_order(rig.request(B, MKT, "0.5"))
    await rig.broker.place_order(rig.request(B, LMT, "0.25", "49500.00"))
    rig.quote("49400.00", "49450.00")  # fills the limit at 49500.00
    await rig.broker.place_order(rig.request(S, MKT, "0.6"))  # at 49400.00
    await rig.broker.place_order(rig.request(B, MKT, "7", symbol="AAPL"))
    await rig.broker.withdraw("USDT", D("1234.56"))
    await rig.broker.place_order(rig.request(S, LMT, "3", "191.00", symbol="AAPL"))
    rig.quote("191.20", "191.30", symbol="AAPL")  # fills at 191.00
    await rig.settle()

    rows = rig.ledger()
    assert [r.kind for r in rows] == [
        LedgerKind.DEPOSIT, LedgerKind.DEPOSIT,
        LedgerKind.BUY, LedgerKind.FEE, LedgerKind.BUY, LedgerKind.FEE, LedgerKind.SELL, LedgerKind.FEE,
        LedgerKind.BUY, LedgerKind.FEE, LedgerKind.WITHDRAW, LedgerKind.SELL, LedgerKind.FEE,
    ]
    for currency in ("USDT", "USD"):
        mine = [r for r in rows if r.currency == currency]
        assert mine[0].cash_before == 0
        for row in mine:
            assert row.cash_before + row.amount == row.cash_after
        for prev, nxt in zip(mine, mine[1:]):
            assert prev.cash_after == nxt.cash_before
        def total(kind):
            return sum((abs(r.amount) for r in mine if r.kind is kind), D(0))
        final = (total(LedgerKind.DEPOSIT) - total(LedgerKind.WITHDRAW) - total(LedgerKind.BUY)
                 + total(LedgerKind.SELL) - total(LedgerKind.FEE))
        assert mine[-1].cash_after == final == (await rig.balance(currency)).total

    # the exact figures: USDT 100000 - 25005 - 25.005 - 12375 - 12.375 + 29640 - 29.64 - 1234.56
    assert (await rig.balance("USDT")).total == D("90958.420")
    # USD 5000 - 1330.70 - 1.3307 + 573.00 - 0.573
    assert (await rig.balance("USD")).total == D("4240.3963")


async def test_position_average_price_from_the_first_fill_and_realized_pnl(rig):
    rig.hold({"USDT": "100000"})
    rig.quote("50000.00", "50010.00")
    await rig.broker.place_order(rig.request(B, MKT, "0.2"))
    pos = await rig.position()
    assert (pos.quantity, pos.avg_price) == (D("0.2"), D("50010.00"))  # not zero
    rig.quote("50990.00", "51010.00")
    await rig.broker.place_order(rig.request(B, MKT, "0.3"))
    pos = await rig.position()
    # (0.2 x 50010 + 0.3 x 51010) / 0.5
    assert (pos.quantity, pos.avg_price) == (D("0.5"), D("50610"))
    rig.quote("52000.00", "52010.00")
    await rig.broker.place_order(rig.request(S, MKT, "0.4"))
    pos = await rig.position()
    assert (pos.quantity, pos.avg_price, pos.realized_pnl) == (D("0.1"), D("50610"), D("556.000"))
    await rig.broker.place_order(rig.request(S, MKT, "0.1"))
    pos = await rig.position()
    assert (pos.quantity, pos.realized_pnl) == (D("0"), D("695.000"))


async def test_restore_rebuilds_cash_positions_reservations_and_resting_orders(rig, make_rig):
    rig.hold({"USDT": "100000"}, {"BTC/USDT": ("1", "40000")})
    rig.quote("50000.00", "50010.00")
    await rig.broker.place_order(rig.request(B, LMT, "0.5", "49000.00", coid="buy"))
    await rig.broker.place_order(rig.request(S, LMT, "0.4", "55000.00", coid="sell"))
    balances, positions, orders = await rig.broker.balances(), await rig.broker.positions(), await rig.broker.open_orders()

    fresh = await make_rig()
    fresh.broker.restore(balances, positions, orders)
    await fresh.broker.connect()
    assert await fresh.broker.balances() == balances  # locked 24524.5 rebuilt from the open buy
    assert await fresh.broker.positions() == positions
    assert await fresh.broker.open_orders() == orders
    with pytest.raises(InsufficientFunds, match="need 0.7, free 0.6"):
        await fresh.broker.place_order(fresh.request(S, LMT, "0.7", "60000.00"))
    fresh.quote("48990.00", "49000.00")
    assert (await fresh.broker.query_order("buy")).status is OrderStatus.FILLED
    assert (await fresh.balance()).total == D("75475.5")


async def test_a_closed_broker_refuses_orders_and_stops_matching(rig):
    rig.hold({"USDT": "100000"})
    rig.quote("50000.00", "50010.00")
    order = await rig.broker.place_order(rig.request(B, LMT, "0.1", "49000.00"))
    await rig.broker.close()
    rig.quote("48000.00", "48010.00")
    assert (await rig.broker.query_order(order.client_order_id)).status is OrderStatus.NEW
    with pytest.raises(VenueUnavailable):
        await rig.broker.place_order(rig.request(B, MKT, "0.1"))
    await rig.broker.connect()
    rig.quote("48000.00", "48010.00")
    assert (await rig.broker.query_order(order.client_order_id)).status is OrderStatus.FILLED


async def test_a_stop_that_gaps_past_the_free_cash_is_rejected_at_trigger(rig):
    rig.hold({"USDT": "26000"})
    rig.quote("50000.00", "50010.00")
    order = await rig.broker.place_order(rig.request(B, STP, "0.5", stop="51000.00"))
    assert (await rig.balance()).locked == D("25525.5")
    rig.quote("59990.00", "60000.00")  # gap: the market fill would cost 0.5 x 60000 x 1.001
    done = await rig.broker.query_order(order.client_order_id)
    assert (done.status, done.reject_reason) == (
        OrderStatus.REJECTED, "insufficient USDT for BUY 0.5 BTC/USDT: need 30030, free 26000")
    bal = await rig.balance()
    assert (bal.total, bal.locked) == (D("26000"), D("0"))
    assert rig.exchange.resting_count() == 0


async def test_quote_stream_of_the_broker(rig):
    stream = rig.broker.quotes(["BTC/USDT"])
    first = stream.__anext__()
    import asyncio

    task = asyncio.ensure_future(first)
    await asyncio.sleep(0)  # the subscription is registered when the generator starts
    rig.quote("1.00", "1.01", symbol="ETH/USDT")
    rig.quote("50000.00", "50010.00")
    got = await asyncio.wait_for(task, 5)
    assert (got.symbol, got.bid) == ("BTC/USDT", D("50000.00"))
    await stream.aclose()
    assert rig.exchange.stats()["subscriptions"] == 0


def test_a_slow_quote_subscriber_is_conflated_not_blocking():
    from trader_app.brokers.paper import QuoteSubscription
    from trader_app.core import Quote

    sub = QuoteSubscription(["X"], maxsize=3)
    for i in range(10):
        sub.push(Quote("X", i, D(i), D(i), D(i)))
    assert sub.dropped == 7
    assert [sub.queue.get_nowait().ts_ms for _ in range(3)] == [7, 8, 9]
