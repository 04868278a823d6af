"""The order ticket on a venue that buys at market by the amount to spend (issue 22: Upbit, Bithumb): the trader
types a quantity as on any venue; Buy sends the amount that quantity costs at the ask shown (whole won, rounded
down), and the venue buys what the amount pays for. A limit order from the same ticket is placed and cancelled."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton

from fakes.upbit import FakeUpbit, FakeUpbitServer
from trader_app.core.enums import AccountMode, OrderStatus, OrderType, SessionState, Side
from trader_app.core.events import QuoteEvent
from trader_app.core.ids import now_ms
from trader_app.core.market_data import Quote
from trader_app.core.orders import OrderRequest
from trader_app.ui.panels.ticket_rules import TicketError, by_amount
from user import click, ok, on_dialog, type_into
from waiting import until

KEY, SECRET = "upbit-ticket-key", "upbit-ticket-secret-" + "k" * 24


def test_by_amount_turns_a_market_buys_quantity_into_the_amount_at_the_ask():
    buy = OrderRequest("a", "BTC/KRW", Side.BUY, OrderType.MARKET, D("0.0012345"), "c1")
    assert by_amount(buy, D("95001000"), "KRW").quote_amount == D("117278")  # 117,278.7345 KRW, down
    assert by_amount(buy, D("65000.01"), "USDT").quote_amount == D("80.24251234")
    sell = OrderRequest("a", "BTC/KRW", Side.SELL, OrderType.MARKET, D("0.1"), "c2")
    assert by_amount(sell, D("95001000"), "KRW") is sell
    with pytest.raises(TicketError, match="No ask price"):
        by_amount(buy, None, "KRW")


async def test_buy_from_the_ticket_on_an_upbit_account_sends_the_krw_amount(window, services):
    async with FakeUpbitServer(FakeUpbit()) as fake:
        fake.venue.open(KEY, SECRET, {"KRW": "5000000"})
        acc = await services.accounts.create_account("upbit", AccountMode.LIVE, "Upbit", {
            "rest_url": fake.rest_url, "stream_url": fake.stream_url}, {"api_key": KEY, "api_secret": SECRET})
        assert await until(lambda: services.accounts.session_state(acc.account_id) is SessionState.CONNECTED, 10)
        services.bus.publish(QuoteEvent(Quote("BTC/KRW", now_ms(), D("94999000"), D("95001000"), D("95000000"),
                                              D(1), D("94000000"), "upbit")))  # Upbit's quote, as its stream gives
        ticket = window.ticket
        ticket.set_account(acc.account_id)
        ticket.set_symbol("BTC/KRW")
        ticket.order_type.setCurrentText("MARKET")
        await type_into(ticket.quantity, "0.001")
        await click(ticket.buy_button)
        bought = await ticket.last_task
        (sent,) = fake.venue.accounts[KEY].orders.values()
        assert (sent["ord_type"], sent["price"], sent["volume"]) == ("price", "95001", None)  # 0.001 at 95,001,000
        assert bought.quote_amount == D("95001") and bought.status in (OrderStatus.NEW, OrderStatus.FILLED)
        ticket.order_type.setCurrentText("LIMIT")
        await type_into(ticket.price, "90000000")
        await click(ticket.buy_button)
        resting = await ticket.last_task
        assert resting.status is OrderStatus.NEW
        cancelled = await services.order_manager.cancel(acc.account_id, resting.client_order_id)
        assert cancelled.status is OrderStatus.CANCELLED


@pytest.mark.parametrize("venue", ["upbit", "bithumb"])
async def test_the_connect_dialog_opens_a_krw_exchange_account_in_krw(window, services, venue):
    """Accounts > Connect...: the venue's own form (live only, access and secret key, the bases), typed as a user
    types; the account connects to the fake, reports in KRW and its keys are only in the keyring."""
    from fakes.bithumb import FakeBithumbServer

    server = FakeUpbitServer(FakeUpbit()) if venue == "upbit" else FakeBithumbServer()
    async with server as fake:
        fake.venue.open(KEY, SECRET, {"KRW": "3000000"})

        def connect(d):
            d.venue.setCurrentIndex(d.venue.findData(venue))
            assert [d.mode.itemData(i) for i in range(d.mode.count())] == ["live"]
            for field, text in (("api_key", KEY), ("api_secret", SECRET), ("rest_url", fake.rest_url),
                                ("stream_url", fake.stream_url)):
                QTest.keyClicks(d.editors[field], text)
            QTest.keyClicks(d.name, f"{venue} main")
            ok(d)

        answer = on_dialog(connect, title="Connect")
        await click(window.accounts.findChild(QPushButton, "connectAccount"))
        await answer.done()
        await window.accounts.last_task
        (acc,) = [a for a in services.accounts.list() if a.broker == venue]
        assert (acc.name, acc.base_currency, acc.mode) == (f"{venue} main", "KRW", AccountMode.LIVE)
        assert SECRET not in str(acc.settings) and "api_secret" not in acc.settings
        assert await until(lambda: services.accounts.session_state(acc.account_id) is SessionState.CONNECTED, 10)
        await services.accounts.delete_account(acc.account_id)
