"""The pure matching rules (brokers/paper/matching.py), table-driven with exact Decimals."""

from decimal import Decimal as D

import pytest

from trader_app.brokers.paper.matching import Match, buy_reservation, commission, market_price, match
from trader_app.core import OrderType, Quote, Side

TICK = D("0.01")


def q(bid: str, ask: str) -> Quote:
    return Quote("BTC/USDT", 1, D(bid), D(ask), (D(bid) + D(ask)) / 2)


@pytest.mark.parametrize(
    "side, bid, ask, slippage, expected",
    [
        (Side.BUY, "100.00", "100.10", "0", "100.10"),
        (Side.SELL, "100.00", "100.10", "0", "100.00"),
        (Side.BUY, "100.00", "100.10", "0.001", "100.21"),  # 100.2001 rounded UP to the tick
        (Side.SELL, "100.00", "100.10", "0.001", "99.90"),  # 99.9 exactly
        (Side.SELL, "100.05", "100.10", "0.001", "99.94"),  # 99.94995 rounded DOWN to the tick
        (Side.BUY, "50000.00", "50010.00", "0.0005", "50035.01"),  # 50035.005 rounded up
    ],
)
def test_market_price_moves_against_the_trader_and_lands_on_the_tick(side, bid, ask, slippage, expected):
    assert market_price(side, q(bid, ask), D(slippage), TICK) == D(expected)


@pytest.mark.parametrize(
    "order_type, side, price, stop, triggered, quote, arriving, expected",
    [
        # LIMIT buy: marketable on arrival fills at the ask (price improvement); resting fills at its limit
        (OrderType.LIMIT, Side.BUY, "101", None, False, ("99.90", "100.00"), True, Match(False, D("100.00"))),
        (OrderType.LIMIT, Side.BUY, "101", None, False, ("99.90", "100.00"), False, Match(False, D("101"))),
        (OrderType.LIMIT, Side.BUY, "99", None, False, ("99.90", "100.00"), True, Match(False, None)),
        (OrderType.LIMIT, Side.BUY, "100.00", None, False, ("99.90", "100.00"), False, Match(False, D("100.00"))),
        # LIMIT sell mirrored with the bid
        (OrderType.LIMIT, Side.SELL, "99", None, False, ("99.90", "100.00"), True, Match(False, D("99.90"))),
        (OrderType.LIMIT, Side.SELL, "99", None, False, ("99.90", "100.00"), False, Match(False, D("99"))),
        (OrderType.LIMIT, Side.SELL, "100", None, False, ("99.90", "100.00"), False, Match(False, None)),
        # STOP_MARKET buy triggers at ask >= stop and fills as MARKET; sell at bid <= stop
        (OrderType.STOP_MARKET, Side.BUY, None, "100.00", False, ("99.90", "100.00"), False, Match(True, D("100.00"))),
        (OrderType.STOP_MARKET, Side.BUY, None, "100.01", False, ("99.90", "100.00"), False, Match(False, None)),
        (OrderType.STOP_MARKET, Side.SELL, None, "99.90", False, ("99.90", "100.00"), False, Match(True, D("99.90"))),
        (OrderType.STOP_MARKET, Side.SELL, None, "99.89", False, ("99.90", "100.00"), False, Match(False, None)),
        # STOP_LIMIT: on trigger a limit arriving at the triggering quote; later a resting limit
        (OrderType.STOP_LIMIT, Side.BUY, "100.50", "100.00", False, ("99.90", "100.00"), False, Match(True, D("100.00"))),
        (OrderType.STOP_LIMIT, Side.BUY, "99.50", "100.00", False, ("99.90", "100.00"), False, Match(True, None)),
        (OrderType.STOP_LIMIT, Side.BUY, "99.50", "100.00", True, ("99.30", "99.40"), False, Match(True, D("99.50"))),
        (OrderType.STOP_LIMIT, Side.SELL, "99.00", "99.90", False, ("99.90", "100.00"), False, Match(True, D("99.90"))),
        # no usable price: nothing fills
        (OrderType.LIMIT, Side.BUY, "101", None, False, ("0", "0"), False, Match(False, None)),
    ],
)
def test_match_table(order_type, side, price, stop, triggered, quote, arriving, expected):
    got = match(order_type, side, D(price) if price else None, D(stop) if stop else None, triggered, q(*quote),
                arriving=arriving, slippage_rate=D("0"), tick_size=TICK)
    assert got == expected


@pytest.mark.parametrize(
    "order_type, qty, price, stop, expected",
    [
        (OrderType.LIMIT, "0.5", "49000", None, "24524.5"),
        (OrderType.STOP_MARKET, "0.5", None, "51000", "25525.5"),
        (OrderType.STOP_LIMIT, "0.5", "51500", "51000", "25775.75"),  # the limit price is the most it pays
        (OrderType.MARKET, "0.5", None, None, "0"),
    ],
)
def test_buy_reservation_is_qty_times_limit_or_stop_times_one_plus_commission(order_type, qty, price, stop, expected):
    got = buy_reservation(order_type, D(qty), D(price) if price else None, D(stop) if stop else None, D("0.001"))
    assert got == D(expected)


def test_commission_is_rate_times_notional():
    assert commission(D("25005.000"), D("0.001")) == D("25.005")
