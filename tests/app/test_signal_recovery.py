"""Signals across a stop (issue 10): a webhook resent after a restart executes nothing and gets the first
outcome; records left PENDING by a kill are repaired from the orders journal at start-up; ``/health`` says
503 until the accounts are connected and the symbols they trade have a price. The whole app, twice, over
one data directory."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal as D

import httpx

from trader_app.app import build_services
from trader_app.core import OrderRequest, OrderType, Quote, QuoteEvent, Side, SignalRecord, SignalSource
from trader_app.core.enums import MarketType
from trader_app.execution.executor import new_signal
from trader_app.execution.signal import SignalOrder, SignalOrderType
from trader_app.webhook.app import create_app, idempotent


def _quote(services, symbol, bid, ask):
    services.bus.publish(QuoteEvent(Quote(symbol, int(time.time() * 1000), D(bid), D(ask), D(ask))))


def _alert():
    order = SignalOrder("BTC/USDT", SignalOrderType.MARKET, Side.BUY, D("10"))
    signal = new_signal("swing", (order,), SignalSource.WEBHOOK, {"group_name": "swing", "qty_per": "10"})
    return idempotent(signal, None, 30.0)


async def test_a_webhook_resent_after_a_restart_executes_nothing_and_gets_the_first_outcome(data_home):
    first = build_services(data_home, demo=False, start_webhook=False)
    await first.start()
    try:
        account = first.accounts.list()[0].account_id
        await first.groups.create_group("swing", MarketType.SPOT)
        await first.groups.link("swing", account, D("1"))
        _quote(first, "BTC/USDT", "50000", "50001")
        await asyncio.sleep(0)
        outcome = await first.executor.execute(_alert())
        assert [r.status for r in outcome.results] == ["FILLED"]
        await first.order_manager.flush()
    finally:
        await first.stop()

    second = build_services(data_home, demo=False, start_webhook=False)
    await second.start()
    try:
        _quote(second, "BTC/USDT", "50000", "50001")
        again = await second.executor.execute(_alert())  # the client never got the answer and sends it again
        assert again.duplicate and again.duplicate_of == outcome.signal_id
        assert [(r.account_id, r.status, r.client_order_id) for r in again.results] == [
            (r.account_id, r.status, r.client_order_id) for r in outcome.results]
        assert len(second.store.orders.list()) == 1  # nothing sent twice
        assert second.store.positions.get(account, "BTC/USDT").quantity == outcome.results[0].quantity
    finally:
        await second.stop()


async def test_records_left_pending_by_a_kill_are_repaired_at_start_up(data_home):
    first = build_services(data_home, demo=False, start_webhook=False)
    await first.start()
    try:
        a1 = first.accounts.list()[0].account_id
        a2 = (await first.accounts.create_paper_account("Second", {"USDT": "1000"})).account_id
        _quote(first, "BTC/USDT", "50000", "50001")
        await asyncio.sleep(0)
        # the fan-out of sig-killed journalled and filled a1's order, then the process died before the record's
        # final save: both results still say PENDING, and a2's order never reached the journal
        placed = await first.order_manager.submit(OrderRequest(a1, "BTC/USDT", Side.BUY, OrderType.MARKET, D("0.01"),
                                                               "ta-killed-1", signal_id="sig-killed"))
        pending = tuple({"account_id": a, "order_type": "MARKET", "status": "PENDING", "client_order_id": "",
                         "symbol": "BTC/USDT", "side": "BUY"} for a in (a1, a2))
        await first.store.run(first.store.signals.save, SignalRecord("sig-killed", SignalSource.WEBHOOK, "swing",
                                                                     {}, int(time.time() * 1000), results=pending))
        await first.order_manager.flush()
    finally:
        await first.stop()

    second = build_services(data_home, demo=False, start_webhook=False)
    await second.start()
    try:
        record = second.store.signals.get("sig-killed")
        assert [(r["account_id"], r["status"], r["client_order_id"]) for r in record.results] == [
            (a1, "FILLED", "ta-killed-1"), (a2, "ERROR", "")]
        assert record.results[0]["venue_order_id"] == placed.venue_order_id
        assert "nothing was sent" in record.results[1]["error"]
        assert not [s for s in second.store.signals.list() for r in s.results if r["status"] == "PENDING"]
    finally:
        await second.stop()


async def test_health_is_503_until_accounts_are_connected_and_priced(data_home):
    services = build_services(data_home, demo=False, start_webhook=False)
    app = create_app(services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as client:
        r = await client.get("/health")
        assert (r.status_code, r.json()["waiting_for"]) == (503, ["start-up"])
        await services.start()
        try:
            r = await client.get("/health")
            assert r.status_code == 503 and r.json()["ready"] is False
            assert "a price for BTC/USDT" in r.json()["waiting_for"]
            for symbol in await services.market.watchlist():
                _quote(services, symbol, "100", "101")
            await asyncio.sleep(0)
            r = await client.get("/api/v1/health")
            assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["ready"] is True
        finally:
            await services.stop()
