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


def test_bar_rules_match_the_quote_rules_seen_through_open_high_low():
    """The backtester's bar fills come from the same module as the paper venue's quote fills."""
    from trader_app.brokers.paper.matching import match_bar
    from trader_app.core.enums import OrderType, Side

    B_, S_ = Side.BUY, Side.SELL
    LIM, STP, SL = OrderType.LIMIT, OrderType.STOP_MARKET, OrderType.STOP_LIMIT
    m = match_bar(OrderType.MARKET, B_, None, None, False, 100, 110, 90)
    assert (m.fill_price, m.market) == (100, True)
    assert match_bar(LIM, B_, 101, None, False, 100, 110, 90).fill_price == 100  # open marketable: the open
    assert match_bar(LIM, B_, 95, None, False, 100, 110, 90).fill_price == 95  # touched inside the bar: the limit
    assert match_bar(LIM, B_, 85, None, False, 100, 110, 90).fill_price is None
    assert match_bar(LIM, S_, 105, None, False, 100, 110, 90).fill_price == 105
    gap = match_bar(STP, B_, None, 95, False, 100, 110, 90)
    assert (gap.fill_price, gap.market, gap.triggered) == (100, True, True)  # gapped through: the open
    touch = match_bar(STP, B_, None, 105, False, 100, 110, 90)
    assert (touch.fill_price, touch.market) == (105, True)  # touched: the stop
    rest = match_bar(SL, B_, 104, 105, False, 100, 110, 90)
    assert (rest.triggered, rest.fill_price) == (True, None)  # triggered at 105, limit 104 not marketable
    assert match_bar(SL, B_, 104, 105, True, 103, 110, 90).fill_price == 103  # then a limit
    assert match_bar(SL, B_, 106, 105, False, 100, 110, 90).fill_price == 105
