"""Binance accounts in the whole app (issue 11): a spot and a USD-M futures account created with their keys in
the keyring and their base URLs pointed at the fake Binance, connected with their balances shown, and a webhook
signal for a group linked to one paper account and the two Binance accounts filling all three; the fake's streams are killed during a
second signal and nothing is lost or duplicated. No secret is written to the store, the settings or the logs."""

from __future__ import annotations

import asyncio
import logging
import secrets
from decimal import Decimal as D

from waiting import until as _until
from fakes.binance import FakeBinance, FakeBinanceServer
from trader_app.app import build_services
from trader_app.core import SessionState, Side, SignalSource
from trader_app.core.enums import AccountMode, MarketType
from trader_app.execution.executor import new_signal
from trader_app.execution.signal import SignalOrder, SignalOrderType

KEY, SECRET = "k" * 64, "s3cr3t-" + "x" * 57
FKEY, FSECRET = secrets.token_hex(32), secrets.token_urlsafe(48)  # random secrets: the fake checks every signature


def _signal(qty_per: str, side: Side = Side.BUY):
    order = SignalOrder("BTC/USDT", SignalOrderType.MARKET, side, D(qty_per))
    return new_signal("swing", (order,), SignalSource.WEBHOOK, {"group_name": "swing"})


async def test_a_signal_fills_a_paper_and_a_binance_account_and_survives_dropped_streams(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    async with FakeBinanceServer(FakeBinance()) as fake:
        fake.venue.accounts.open(KEY, SECRET, {"USDT": "10000"})
        fake.venue.accounts.open(FKEY, FSECRET, {})
        fake.venue.futures.open(FKEY, "5000")
        services = build_services(tmp_path / "data", demo=True, start_webhook=False)
        await services.start()
        try:
            paper = services.accounts.list()[0].account_id
            acc = await services.accounts.create_account(
                "binance", AccountMode.TESTNET, "Binance test",
                {"rest_url": fake.rest_url, "stream_url": fake.stream_url, "ws_api_url": f"{fake.stream_url}/ws-api/v3"},
                {"api_key": KEY, "api_secret": SECRET})
            fut = await services.accounts.create_account(
                "binanceusdm", AccountMode.TESTNET, "Binance futures",
                {"rest_url": fake.rest_url, "stream_url": fake.stream_url}, {"api_key": FKEY, "api_secret": FSECRET})
            assert await _until(lambda: services.accounts.session_state(acc.account_id) is SessionState.CONNECTED, 10)
            assert await _until(lambda: services.accounts.session_state(fut.account_id) is SessionState.CONNECTED, 10)
            assert await _until(lambda: services.portfolio.equity(acc.account_id, "USDT") == D("10000"))
            assert services.accounts.session_warning(acc.account_id) == ""  # testnet: restrictions not read
            await services.groups.create_group("swing", MarketType.SPOT)
            await services.groups.link("swing", paper, "1")
            await services.groups.link("swing", acc.account_id, "1")
            await services.groups.link("swing", fut.account_id, "1")
            await services.demo_task  # the paper venue's prices
            outcome = await services.executor.execute(_signal("10"))
            by_account = {r.account_id: r for r in outcome.results}
            assert by_account[paper].status == "FILLED"
            binance = by_account[acc.account_id]
            assert binance.status == "FILLED", binance.error
            assert binance.quantity == D("0.01538")  # 10 % of 10,000 USDT at 65,000.01, down to the 0.00001 lot
            futures = by_account[fut.account_id]
            assert futures.status == "FILLED", futures.error
            assert futures.quantity == D("0.00769")  # 10 % of 5,000 USDT at 65,000.01
            await services.order_manager.flush()
            pos = services.order_manager.position(acc.account_id, "BTC/USDT")
            assert pos is not None and pos.quantity == D("0.01538") - D("0.00001538")  # the fee is taken in BTC
            # the streams die during the next signal: the order is still recorded exactly once
            drop = asyncio.ensure_future(fake.streams.drop_all())
            second = await services.executor.execute(_signal("-100", Side.SELL))
            await drop
            assert [r.status for r in second.results if r.account_id == acc.account_id] == ["FILLED"]
            assert [r.status for r in second.results if r.account_id == fut.account_id] == ["FILLED"]
            assert await _until(lambda: services.accounts.session_state(acc.account_id) is SessionState.CONNECTED, 5)
            await services.order_manager.reconcile()
            await services.order_manager.flush()
            orders = [o for o in services.store.orders.list() if o.account_id == acc.account_id]
            assert len(orders) == 2 and all(o.status.value == "FILLED" for o in orders)
            fills = [f for f in services.store.fills.list() if f.account_id == acc.account_id]
            assert len(fills) == len({f.trade_id for f in fills}) == 2
            assert fake.venue.accounts.placed == 2 and fake.venue.futures.placed == 2
            fut_orders = [o for o in services.store.orders.list() if o.account_id == fut.account_id]
            assert len(fut_orders) == 2 and all(o.status.value == "FILLED" for o in fut_orders)
            assert [o.reduce_only for o in fut_orders if o.side is Side.SELL] == [True]  # closing goes reduce-only
            assert await _until(lambda: services.order_manager.position(fut.account_id, "BTC/USDT") is not None
                                and services.order_manager.position(fut.account_id, "BTC/USDT").quantity == 0)
            left = services.order_manager.position(acc.account_id, "BTC/USDT").quantity
            assert left == D("0.01536462") - D("0.01536")  # dust below the lot stays, as on Binance
        finally:
            await services.stop()
    # the key and secret live in the (test) keyring only
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in (KEY, SECRET, FKEY, FSECRET):
                assert secret.encode() not in data, path
    for secret in (KEY, SECRET, FKEY, FSECRET):
        assert secret not in caplog.text


async def test_the_rest_api_opens_a_binance_account_with_the_dialogs_fields(tmp_path, monkeypatch):
    import httpx

    from trader_app.webhook.app import create_app

    monkeypatch.setenv("TRADER_APP_API_TOKEN", "admin-token")
    headers = {"Authorization": "Bearer admin-token"}
    async with FakeBinanceServer(FakeBinance()) as fake:
        fake.venue.accounts.open(KEY, SECRET, {"USDT": "2500", "ETH": "1"})
        services = build_services(tmp_path / "data", demo=False, start_webhook=False)
        await services.start()
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services)),
                                         base_url="http://api/api/v1") as c:
                venues = {v["name"]: v for v in (await c.get("/venues", headers=headers)).json()}
                assert venues["binance"]["modes"] == ["testnet", "live"]
                assert [f["name"] for f in venues["binance"]["fields"]] == [
                    "api_key", "api_secret", "rest_url", "stream_url", "ws_api_url", "order_entry"]
                assert venues["binanceusdm"]["label"] == "Binance USD-M futures"
                r = await c.post("/accounts", headers=headers, json={
                    "name": "Binance API", "broker": "binance", "mode": "testnet",
                    "settings": {"rest_url": fake.rest_url, "stream_url": fake.stream_url,
                                 "ws_api_url": f"{fake.stream_url}/ws-api/v3"},
                    "credentials": {"api_key": KEY, "api_secret": SECRET}})
                assert r.status_code == 201, r.text
                assert KEY not in r.text and SECRET not in r.text
                aid = r.json()["account_id"]
                assert await _until(lambda: services.accounts.session_state(aid) is SessionState.CONNECTED, 10)
                assert await _until(lambda: services.portfolio.equity(aid, "ETH") == D("1"))
                r = await c.post("/accounts", headers=headers, json={
                    "name": "Bad secret", "broker": "binance", "mode": "testnet",
                    "settings": {"rest_url": fake.rest_url, "stream_url": fake.stream_url,
                                 "ws_api_url": f"{fake.stream_url}/ws-api/v3"},
                    "credentials": {"api_key": KEY, "api_secret": "not-the-secret"}})
                assert r.status_code == 201 and "not-the-secret" not in r.text  # saved, in ERROR, with the reason
                bad = r.json()["account_id"]
                assert services.accounts.session_state(bad) is SessionState.ERROR
                assert "signature" in services.accounts.session_error(bad)
        finally:
            await services.stop()


async def test_a_futures_group_sets_the_links_leverage_on_the_venue_before_its_order(tmp_path):
    """The order is sized with the link's leverage, so the venue must trade at it: Binance's default (20x
    here) is set to the link's 3x first, once; a fractional leverage is refused without an order."""
    async with FakeBinanceServer(FakeBinance()) as fake:
        fake.venue.accounts.open(FKEY, FSECRET, {})
        fake.venue.futures.open(FKEY, "5000")
        services = build_services(tmp_path / "data", demo=True, start_webhook=False)
        await services.start()
        try:
            fut = await services.accounts.create_account(
                "binanceusdm", AccountMode.TESTNET, "Binance futures",
                {"rest_url": fake.rest_url, "stream_url": fake.stream_url}, {"api_key": FKEY, "api_secret": FSECRET})
            assert await _until(lambda: services.accounts.session_state(fut.account_id) is SessionState.CONNECTED, 10)
            await services.groups.create_group("perp", MarketType.FUTURES)
            await services.groups.link("perp", fut.account_id, "1", leverage="3")
            await services.demo_task
            order = SignalOrder("BTC/USDT", SignalOrderType.MARKET, Side.BUY, D("10"))
            outcome = await services.executor.execute(new_signal("perp", (order,), SignalSource.WEBHOOK, {}))
            (result,) = outcome.results
            assert result.status == "FILLED", result.error
            assert result.quantity == D("0.02307")  # 10 % of 5,000 USDT x 3 at 65,000.01, down to the lot
            assert fake.venue.futures.books[FKEY].leverage["BTCUSDT"] == 3
            await services.groups.update_link("perp", fut.account_id, leverage="2.5")
            await services.bus.drain()
            placed = fake.venue.futures.placed
            second = SignalOrder("BTC/USDT", SignalOrderType.MARKET, Side.BUY, D("5"))
            outcome = await services.executor.execute(new_signal("perp", (second,), SignalSource.WEBHOOK, {}))
            (result,) = outcome.results
            assert result.status == "REJECTED" and "whole numbers" in result.error
            assert fake.venue.futures.placed == placed  # nothing sent
        finally:
            await services.stop()
