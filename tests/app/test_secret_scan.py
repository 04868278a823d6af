"""No secret outside the keyring (issue 12): after a full run (paper, Binance and Bybit accounts on the fakes,
one of each venue with a wrong secret; the REST API with the right and wrong admin tokens; webhooks with right and
wrong tokens; a Telegram bot token saved; the weekly narrative's API key saved and a weekly report asking an
unreachable model), every token and key planted is searched for, raw and in base64,
in every file of the data directory, the log file, the captured log records, the API's answers and the
accounts' error texts: none is found."""

from __future__ import annotations

import base64
import json
import logging
import secrets

import httpx

from waiting import until
from fakes.binance import FakeBinance, FakeBinanceServer
from fakes.bybit import FakeBybit, FakeBybitServer
from trader_app.app import build_services
from trader_app.config import open_log_file
from trader_app.core.enums import AccountMode, MarketType

KEY, SECRET = secrets.token_hex(32), secrets.token_urlsafe(48)
BAD_KEY, BAD_SECRET = secrets.token_hex(32), secrets.token_urlsafe(48)
ADMIN = secrets.token_urlsafe(32)
BOT_TOKEN = f"123456789:{secrets.token_urlsafe(26)}"
NARRATIVE_KEY = f"sk-{secrets.token_urlsafe(32)}"
YKEY, YSECRET = secrets.token_hex(18), secrets.token_urlsafe(36)
YBAD_KEY, YBAD_SECRET = secrets.token_hex(18), secrets.token_urlsafe(36)


def _forms(secret: str) -> list[bytes]:
    raw = secret.encode()
    return [raw, base64.b64encode(raw), base64.urlsafe_b64encode(raw), base64.b64encode(raw).rstrip(b"=")]


async def test_no_planted_secret_is_found_anywhere_after_a_full_run(tmp_path, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("TRADER_APP_API_TOKEN", ADMIN)
    data = tmp_path / "data"
    texts: list[str] = []
    planted = [KEY, SECRET, BAD_KEY, BAD_SECRET, ADMIN, BOT_TOKEN, NARRATIVE_KEY, YKEY, YSECRET, YBAD_KEY, YBAD_SECRET]
    async with FakeBinanceServer(FakeBinance()) as fake, FakeBybitServer(FakeBybit()) as bybit:
        bybit.venue.open(YKEY, YSECRET, {"USDT": "1000"})
        bybit.venue.open(YBAD_KEY, "not-" + YBAD_SECRET, {"USDT": "1000"})
        fake.venue.accounts.open(KEY, SECRET, {"USDT": "1000"})
        fake.venue.accounts.open(BAD_KEY, "not-" + BAD_SECRET, {"USDT": "1000"})  # the app holds a wrong secret
        services = build_services(data, demo=True, start_webhook=False)
        open_log_file(data)
        await services.start()
        try:
            urls = {"rest_url": fake.rest_url, "stream_url": fake.stream_url, "ws_api_url": f"{fake.stream_url}/ws-api/v3"}
            good = await services.accounts.create_account("binance", AccountMode.TESTNET, "Good", urls,
                                                          {"api_key": KEY, "api_secret": SECRET})
            bad = await services.accounts.create_account("binance", AccountMode.TESTNET, "Bad", urls,
                                                         {"api_key": BAD_KEY, "api_secret": BAD_SECRET})
            yurls = {"rest_url": bybit.rest_url, "stream_url": bybit.stream_url}
            ygood = await services.accounts.create_account("bybit", AccountMode.TESTNET, "Y good", yurls,
                                                           {"api_key": YKEY, "api_secret": YSECRET})
            ybad = await services.accounts.create_account("bybit", AccountMode.TESTNET, "Y bad", yurls,
                                                          {"api_key": YBAD_KEY, "api_secret": YBAD_SECRET})
            assert await until(lambda: services.accounts.session_error(bad.account_id) != "", 10)
            assert await until(lambda: services.accounts.session_error(ybad.account_id) != "", 10)
            texts += [services.accounts.session_error(a.account_id) for a in (good, bad, ygood, ybad)]
            _group, token = await services.groups.create_group("swing", MarketType.SPOT)
            planted.append(token)
            await services.groups.link("swing", good.account_id, "1")
            await services.notices.configure(enabled=False, chat_id="@trader_app_test", bot_token=BOT_TOKEN)
            await services.demo_task
            # the weekly narrative's key, and a weekly report asking a model that refuses it (nothing listens)
            await services.reports.configure(schedule=True, telegram_daily=True, narrative_enabled=True,
                                             base_url="http://127.0.0.1:9/v1", model="m", api_key=NARRATIVE_KEY)
            texts.append(json.dumps((await services.reports.make("weekly")).metrics))
            from trader_app.webhook.app import create_app

            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services)),
                                         base_url="http://app") as c:
                for bearer in (ADMIN, ADMIN + "x", ADMIN[:-2], ""):
                    r = await c.get("/api/v1/accounts", headers={"Authorization": f"Bearer {bearer}"})
                    texts.append(r.text)
                texts.append((await c.get("/api/v1/strategies", headers={"Authorization": f"Bearer {ADMIN}"})).text
                             .replace(token, ""))  # the admin API shows a group's own token on purpose
                for sent in (token, token + "x", token.upper(), ""):
                    r = await c.post("/api/webhook", json={"group_name": "swing", "token": sent, "symbol": "BTC/USDT",
                                                           "order_type": "MARKET", "side": "buy", "qty_per": 1})
                    texts.append(r.text)
                r = await c.post("/api/v1/accounts", headers={"Authorization": f"Bearer {ADMIN}"},
                                 json={"name": "Bad 2", "broker": "binance", "mode": "testnet",
                                       "settings": {**urls, "api_key": BAD_KEY}, "credentials": {"api_secret": SECRET}})
                texts.append(r.text)
        finally:
            await services.stop()
    found = []
    for path in data.rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            found += [(str(path), s[:6]) for s in planted for form in _forms(s) if form in blob]
    blob = "\n".join(texts + [caplog.text]).encode()
    found += [("texts and logs", s[:6]) for s in planted for form in _forms(s) if form in blob]
    assert (data / "logs" / "trader-app.log").stat().st_size > 0 and caplog.records
    assert found == []


async def test_a_plain_text_or_null_keyring_is_refused_for_live_credentials(tmp_path, monkeypatch):
    """keyrings.alt's plain-text file (or the null backend) would take an API secret without a word; the
    account is refused instead, with the fix for each OS, and nothing is created."""
    import keyring
    import keyring.backend
    import pytest

    from trader_app.core.errors import SecretStoreError

    class PlaintextKeyring(keyring.backend.KeyringBackend):  # stands in for keyrings.alt.file.PlaintextKeyring
        priority = 1
        stored: dict = {}

        def get_password(self, service, username):
            return self.stored.get((service, username))

        def set_password(self, service, username, password):
            self.stored[(service, username)] = password

        def delete_password(self, service, username):
            self.stored.pop((service, username), None)

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    from keyring.backends import null

    services = build_services(tmp_path / "data", demo=False, start_webhook=False)
    await services.start()
    try:
        for backend in (PlaintextKeyring(), null.Keyring()):
            monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
            with pytest.raises(SecretStoreError, match=r"does not keep secrets safely.*Linux.*macOS.*Windows"):
                await services.accounts.create_account("binance", AccountMode.TESTNET, "Live?", {},
                                                       {"api_key": KEY, "api_secret": SECRET})
            assert [a.name for a in services.accounts.list()] == ["Paper 1"]
        assert PlaintextKeyring.stored == {}
    finally:
        await services.stop()
