from decimal import Decimal as D

import pytest

from trader_app.core.money import fmt, round_price, round_qty_down, to_decimal


@pytest.mark.parametrize(
    "value, expected",
    [("130000", D("130000")), (0.1, D("0.1")), (5, D(5)), (" 1.50 ", D("1.50")), (D("2"), D("2"))],
)
def test_to_decimal_accepts_numbers_and_numeric_strings(value, expected):
    assert to_decimal(value) == expected


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", True, None, [1]])
def test_to_decimal_rejects_everything_else(value):
    with pytest.raises(ValueError, match="qty"):
        to_decimal(value, "qty")


def test_rounding_to_tick_and_lot():
    assert round_price(D("101.237"), D("0.01")) == D("101.24")
    assert round_price(D("71250"), D("100")) == D("71300")
    assert round_qty_down(D("0.123456789"), D("0.00001")) == D("0.12345")
    assert round_qty_down(D("7.9"), D("1")) == D("7")
    assert fmt(D("1E+2")) == "100"
    assert fmt(D("1.2300")) == "1.23"
    assert fmt(D("1.005"), 2) == "1.01"
