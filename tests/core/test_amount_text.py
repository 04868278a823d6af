"""Money at its currency's precision where it is returned (issue 13: ``0.2519171000000000000000001283``)."""

from decimal import Decimal as D

from trader_app.core.money import amount_text, quote_of


def test_amounts_drop_arithmetic_noise_at_the_currencys_precision():
    assert amount_text(D("0.2519171000000000000000001283"), "USDT") == "0.25"
    assert amount_text(D("100000000.4"), "KRW") == "100000000"
    assert amount_text(D("0.269980000000000000001"), "BTC") == "0.26998"
    assert amount_text(D("-0.004"), "USD") == "0"
    assert amount_text(D("-1.005"), "USD") == "-1.01"
    assert amount_text(D("65000.01000000"), "") == "65000.01"
    assert amount_text(None, "USDT") is None
    assert (quote_of("BTC/USDT"), quote_of("AAPL")) == ("USDT", "")


def test_the_api_returns_positions_and_summaries_without_noise():
    from trader_app.core.portfolio import AccountSummary, Position
    from trader_app.webhook.views import position_view

    p = Position("a1", "BTC/USDT", D("0.3"), D("65001.946666666666666666666667"),
                 realized_pnl=D("0.2519171000000000000000001283"), last_price=D("64997.56"))
    v = position_view(p)
    assert (v["avg_price"], v["realized_pnl"], v["unrealized_pnl"], v["market_value"]) == (
        "65001.94666667", "0.25", "-1.32", "19499.27")
    assert v["quantity"] == "0.3"
