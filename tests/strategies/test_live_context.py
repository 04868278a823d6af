"""How strategy actions become signal orders (qty_per) and how the virtual book follows."""

from decimal import Decimal

import pytest

from trader_app.core.enums import MarketType, Side
from trader_app.core.errors import ConfigError
from trader_app.execution.signal import SignalOrderType
from trader_app.strategies.base import OrderIntent
from trader_app.strategies.live import BarWindow, LiveBook, LiveContext

D = Decimal
MKT = SignalOrderType.MARKET


def orders(ctx):
    return [(o.order_type, o.side, o.qty_per, o.price, o.stop_price) for o in ctx.orders]


def test_spot_fraction_and_close_and_target_flip():
    ctx = LiveContext("BTC/USDT", MarketType.SPOT, LiveBook(), price=100.0, min_allocation=5000.0)
    ctx.submit(OrderIntent(side=None, fraction=1.0, target=True))
    assert orders(ctx) == [(MKT, Side.BUY, D("100.0000"), None, None)]
    assert (ctx.book.qty, ctx.book.avg_price) == (50.0, 100.0)  # 1.0 x 5000 / 100 units (estimate)
    ctx.submit(OrderIntent(side=None, fraction=1.0, target=True))  # already long: nothing
    assert len(ctx.orders) == 1
    ctx.submit(OrderIntent(side=None, fraction=-0.5, target=True))  # flip: close all, then short 50 %
    assert orders(ctx)[1:] == [(MKT, Side.SELL, D("-100.0000"), None, None), (MKT, Side.SELL, D("50.0000"), None, None)]
    assert ctx.book.qty == -25.0
    ctx.submit(OrderIntent(side=None, close_fraction=0.5))
    assert orders(ctx)[3] == (MKT, Side.BUY, D("-50.0000"), None, None)
    assert ctx.book.qty == -12.5


def test_spot_value_and_units_use_the_smallest_allocation():
    ctx = LiveContext("BTC/USDT", MarketType.SPOT, LiveBook(), price=100.0, min_allocation=4000.0)
    ctx.submit(OrderIntent(side=Side.BUY, value=1000.0))
    ctx.submit(OrderIntent(side=Side.BUY, qty=2.0, limit=99.5))
    ctx.submit(OrderIntent(side=Side.SELL, qty=1.0, stop=95.0))
    assert orders(ctx) == [
        (MKT, Side.BUY, D("25.0000"), None, None),  # 1000 / 4000
        (SignalOrderType.LIMIT, Side.BUY, D("5.0000"), D("99.5"), None),  # 2 x 100 / 4000
        (SignalOrderType.STOP_MARKET, Side.SELL, D("2.5000"), None, D("95.0")),
    ]
    nowhere = LiveContext("BTC/USDT", MarketType.SPOT, LiveBook(), price=100.0, min_allocation=None)
    with pytest.raises(ConfigError, match="linked accounts"):
        nowhere.submit(OrderIntent(side=Side.BUY, value=1000.0))
    nowhere.submit(OrderIntent(side=Side.BUY, fraction=0.25))  # percent needs no allocation
    assert orders(nowhere) == [(MKT, Side.BUY, D("25.0000"), None, None)]
    assert nowhere.book.qty == 0.25


def test_stock_groups_trade_shares():
    ctx = LiveContext("AAPL", MarketType.STOCK, LiveBook(), price=11.0, min_allocation=5000.0)
    ctx.submit(OrderIntent(side=None, fraction=1.0, target=True))
    ctx.submit(OrderIntent(side=Side.BUY, value=100.0))
    ctx.submit(OrderIntent(side=None, qty=500.0, target=True))
    assert orders(ctx) == [
        (MKT, Side.BUY, D(454), None, None),  # floor(5000 / 11)
        (MKT, Side.BUY, D(9), None, None),  # floor(100 / 11)
        (MKT, Side.BUY, D(37), None, None),  # 500 - 463
    ]
    with pytest.raises(ConfigError, match="less than one share"):
        ctx.submit(OrderIntent(side=Side.BUY, value=5.0))
    blind = LiveContext("AAPL", MarketType.STOCK, LiveBook(), price=11.0, min_allocation=None)
    with pytest.raises(ConfigError, match="STOCK"):
        blind.submit(OrderIntent(side=Side.BUY, fraction=1.0))


def test_cancel_all_and_book_copy_is_tentative():
    book = LiveBook(qty=3.0, avg_price=10.0)
    ctx = LiveContext("AAPL", MarketType.STOCK, book, price=12.0, min_allocation=None)
    ctx.cancel_all()
    ctx.submit(OrderIntent(side=None, close_fraction=1.0))
    assert orders(ctx) == [(SignalOrderType.CANCEL_ALL_ORDER, None, None, None, None), (MKT, Side.SELL, D("-100.0000"), None, None)]
    assert ctx.book.qty == 0 and book.qty == 3.0  # the runner commits the copy only when accepted


def test_book_vwap_of_opening_fills_and_json_round_trip():
    b = LiveBook(qty=2.0, avg_price=100.0, open_signal="sig-1")
    b.on_opening_fill(1.0, 101.0)
    b.on_opening_fill(3.0, 99.0)
    assert b.avg_price == pytest.approx((101 + 297) / 4)
    assert LiveBook.from_json(b.to_json()) == b


def test_bar_window_keeps_the_last_bars_in_order():
    from trader_app.core.enums import Interval
    from trader_app.core.market_data import Bar

    w = BarWindow("X", 3)

    def bar(t, c):
        return Bar("X", Interval.M1, t, D(c), D(c), D(c), D(c), D(1))

    for t in (0, 60_000, 120_000, 180_000):
        assert w.add(bar(t, t / 60_000 + 10))
    assert not w.add(bar(60_000, 99))  # older: ignored
    assert w.add(bar(180_000, 20))  # same open time: replaces the last
    data = w.data()
    assert data.time_ms.tolist() == [60_000, 120_000, 180_000] and data.close.tolist() == [11.0, 12.0, 20.0]
