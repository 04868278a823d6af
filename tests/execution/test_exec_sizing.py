"""qty_per sizing: exact quantities for open and close orders (issue 3 contract)."""

from decimal import Decimal as D

import pytest

from trader_app.core.enums import MarketType, OrderType, Side
from trader_app.core.instrument import Instrument
from trader_app.core.market_data import Quote
from trader_app.execution.sizing import (
    open_amount,
    SizingError,
    allocated_capital,
    close_order,
    open_quantity,
    sizing_price,
)

BTC = Instrument("BTC/USDT", "paper", MarketType.SPOT, "BTC", "USDT", tick_size=D("0.01"), lot_size=D("0.0001"))
BTC_PERP = Instrument("BTC/USDT", "paper", MarketType.FUTURES, "BTC", "USDT", tick_size=D("0.1"), lot_size=D("0.001"))
SAMSUNG = Instrument("005930", "paper", MarketType.STOCK, "005930", "KRW", tick_size=D("100"), lot_size=D("1"))
MINQ = Instrument("ETH/USDT", "paper", MarketType.SPOT, "ETH", "USDT", tick_size=D("0.01"), lot_size=D("0.001"), min_qty=D("0.01"))


def test_allocated_capital_is_equity_times_weight_times_leverage():
    assert allocated_capital(D("100000"), D("0.5"), D("3")) == D("150000")
    assert allocated_capital(D("100000"), D("1"), D("1")) == D("100000")


@pytest.mark.parametrize("equity,weight,lev,msg", [
    (D("0"), D("0.5"), D("1"), "equity"), (D("100"), D("0"), D("1"), "weight"),
    (D("100"), D("1.01"), D("1"), "weight"), (D("100"), D("1"), D("0.5"), "leverage"),
])
def test_allocated_capital_refuses_bad_inputs(equity, weight, lev, msg):
    with pytest.raises(SizingError, match=msg):
        allocated_capital(equity, weight, lev)


def test_spot_percent_of_allocation_rounded_down_to_lot():
    # 100000 x 0.25 x 1 = 25000 allocated; 10 % = 2500 USDT; / 30000 = 0.083333.. -> 0.0833
    assert open_quantity(D("10"), MarketType.SPOT, BTC, equity=D("100000"), weight=D("0.25"), leverage=D("1"),
                         price=D("30000")) == D("0.0833")


def test_futures_200_percent_means_2x_with_leverage():
    # 10000 x 1 x 5 = 50000 allocated; 200 % = 100000 notional; / 25000 = 4 BTC
    assert open_quantity(D("200"), MarketType.FUTURES, BTC_PERP, equity=D("10000"), weight=D("1"),
                         leverage=D("5"), price=D("25000")) == D("4.000")


def test_stock_qty_per_is_shares_rounded_down_and_ignores_weight():
    assert open_quantity(D("7.9"), MarketType.STOCK, SAMSUNG, equity=D("1"), weight=D("0.1"), leverage=D("1"),
                         price=D("70000")) == D("7")


def test_below_one_lot_or_min_qty_is_refused():
    with pytest.raises(SizingError, match="below one lot"):
        open_quantity(D("1"), MarketType.SPOT, BTC, equity=D("100"), weight=D("0.1"), leverage=D("1"), price=D("30000"))
    with pytest.raises(SizingError, match="below the minimum quantity 0.01"):
        # 1000 x 1 % = 10 USDT / 2000 = 0.005 ETH < min 0.01
        open_quantity(D("1"), MarketType.SPOT, MINQ, equity=D("1000"), weight=D("1"), leverage=D("1"), price=D("2000"))
    with pytest.raises(SizingError, match="below one lot"):
        open_quantity(D("0.5"), MarketType.STOCK, SAMSUNG, equity=D("1"), weight=D("1"), leverage=D("1"), price=D("1"))


def test_close_percent_of_long_and_short():
    assert close_order(D("-100"), D("0.0833"), BTC) == (Side.SELL, D("0.0833"))
    assert close_order(D("-50"), D("0.0833"), BTC) == (Side.SELL, D("0.0416"))  # 0.04165 rounded down
    assert close_order(D("-100"), D("-3"), BTC_PERP) == (Side.BUY, D("3"))
    assert close_order(D("-33.3"), D("-3"), BTC_PERP) == (Side.BUY, D("0.999"))
    assert close_order(D("-25"), D("10"), SAMSUNG) == (Side.SELL, D("2"))  # 2.5 shares -> 2


def test_close_refuses_flat_positions_and_bad_percent():
    with pytest.raises(SizingError, match="no BTC/USDT position"):
        close_order(D("-100"), D("0"), BTC)
    with pytest.raises(SizingError, match=r"\[-100, 0\)"):
        close_order(D("-150"), D("1"), BTC)
    with pytest.raises(SizingError, match="below one lot"):
        close_order(D("-10"), D("3"), SAMSUNG)  # 0.3 share


def test_sizing_price_by_order_type():
    q = Quote("BTC/USDT", 0, bid=D("29990"), ask=D("30010"), last=D("30000"))
    assert sizing_price(OrderType.MARKET, Side.BUY, None, None, q) == D("30010")
    assert sizing_price(OrderType.MARKET, Side.SELL, None, None, q) == D("29990")
    assert sizing_price(OrderType.LIMIT, Side.BUY, D("29000"), None, q) == D("29000")
    assert sizing_price(OrderType.STOP_MARKET, Side.BUY, None, D("31000"), q) == D("31000")
    assert sizing_price(OrderType.STOP_LIMIT, Side.SELL, D("28000"), D("28500"), q) == D("28000")
    empty_ask = Quote("BTC/USDT", 0, bid=D("0"), ask=D("0"), last=D("30000"))
    assert sizing_price(OrderType.MARKET, Side.BUY, None, None, empty_ask) == D("30000")
    with pytest.raises(SizingError, match="no market price"):
        sizing_price(OrderType.MARKET, Side.BUY, None, None, None)


def test_open_amount_is_the_notional_before_lot_rounding_in_the_quotes_smallest_unit():
    krw = Instrument("BTC/KRW", "upbit", MarketType.SPOT, "BTC", "KRW", tick_size=D("1000"), lot_size=D("0.00000001"),
                     min_notional=D("5000"))
    # 12.345 % of 1,000,000 x 0.5 x 1 = 61,725 KRW (whole won); 8 decimals in USDT
    assert open_amount(D("12.345"), krw, equity=D("1000000"), weight=D("0.5"), leverage=D("1")) == D("61725")
    assert open_amount(D("1"), BTC, equity=D("1234.56789"), weight=D("1"), leverage=D("1")) == D("12.3456789")
    with pytest.raises(SizingError, match="below the minimum order value 5000"):
        open_amount(D("0.1"), krw, equity=D("1000000"), weight=D("1"), leverage=D("1"))
    with pytest.raises(SizingError):
        open_amount(D("0"), BTC, equity=D("1000"), weight=D("1"), leverage=D("1"))
