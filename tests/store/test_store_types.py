"""Decimal and JSON columns round-trip exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from trader_app.core import Balance
from trader_app.store.types import DecimalText, dumps

EXACT = [
    Decimal("0.00000001"),
    Decimal("123456789.123456789"),
    Decimal("-0.000000000000000001"),
    Decimal("99999999999999999999.99999999999999999999"),
    Decimal("1.10"),
    Decimal("1E+2"),
    Decimal("0"),
    Decimal("-0"),
]


@pytest.mark.parametrize("value", EXACT, ids=str)
def test_money_round_trips_with_the_same_digits_and_exponent(store, value):
    store.balances.save(Balance("acc-1", "USDT", value, value))
    (got,) = store.balances.list()
    assert got.total == value
    assert got.total.as_tuple() == value.as_tuple()
    assert got.locked.as_tuple() == value.as_tuple()


def test_money_is_stored_as_text_not_float(store):
    store.balances.save(Balance("acc-1", "USDT", Decimal("123456789.123456789"), Decimal("0.00000001")))
    with store.engine.connect() as conn:
        row = conn.execute(text("SELECT total, locked, typeof(total) FROM balances")).one()
    assert tuple(row) == ("123456789.123456789", "1E-8", "text")


def test_a_float_is_refused_for_money_and_nothing_is_saved(store):
    with pytest.raises(Exception, match="money columns take Decimal"):
        store.balances.save(Balance("acc-1", "USDT", 1.5, Decimal(0)))  # type: ignore[arg-type]
    assert store.balances.list() == []


def test_decimal_text_binds_int_and_none():
    t = DecimalText()
    assert t.process_bind_param(7, None) == "7"
    assert t.process_bind_param(None, None) is None
    assert t.process_result_value("1E-8", None) == Decimal("0.00000001")


def test_json_dumps_decimals_as_exact_strings():
    assert dumps({"qty": Decimal("0.00000001"), "t": (1, 2)}) == '{"qty":"1E-8","t":[1,2]}'
    with pytest.raises(TypeError):
        dumps({"x": object()})
