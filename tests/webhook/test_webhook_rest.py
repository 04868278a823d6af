"""The local REST API under /api/v1: bearer admin token, accounts, strategies, orders, positions, close-all,
signals, dashboard, risk."""

from types import SimpleNamespace

import httpx
import pytest
import pytest_asyncio

from trader_app.config import Settings
from trader_app.webhook.app import create_app

ADMIN = "admin-test-token"
H = {"Authorization": f"Bearer {ADMIN}"}


def services_of(rig):
    return SimpleNamespace(settings=Settings(), store=rig.store, bus=rig.bus, executor=rig.executor, groups=rig.groups,
                           accounts=rig.accounts, order_manager=rig.om, portfolio=rig.portfolio, market=None,
                           risk_book=rig.risk_book)


@pytest_asyncio.fixture
async def api(rig, monkeypatch):
    monkeypatch.setenv("TRADER_APP_API_TOKEN", ADMIN)
    rig.quote("BTC/USDT", "29990", "30000")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services_of(rig))),
                                 base_url="http://api/api/v1") as client:
        yield SimpleNamespace(c=client, rig=rig)


PROTECTED = [("GET", "/accounts"), ("POST", "/accounts"), ("GET", "/accounts/x"), ("PUT", "/accounts/x"),
             ("DELETE", "/accounts/x"), ("POST", "/accounts/login-all"), ("GET", "/strategies"),
             ("POST", "/strategies"), ("GET", "/strategies/trend"), ("PUT", "/strategies/trend"),
             ("DELETE", "/strategies/trend"), ("GET", "/orders"), ("POST", "/orders"), ("DELETE", "/orders/x"),
             ("GET", "/positions"), ("POST", "/trading/close-all"), ("GET", "/signals"), ("GET", "/signals/x"),
             ("GET", "/dashboard/overview"), ("GET", "/dashboard/performance"), ("GET", "/accounts/x/risk"),
             ("GET", "/reports"), ("POST", "/reports"), ("GET", "/reports/1"), ("GET", "/reports/1/html")]


@pytest.mark.parametrize("method,path", PROTECTED)
async def test_every_endpoint_wants_the_admin_token(api, method, path):
    before = api.rig.snapshot()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {ADMIN}"}):
        r = await api.c.request(method, path, headers=headers, json={})
        assert r.status_code == 401, (method, path, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
    assert api.rig.snapshot() == before
    assert (await api.c.get("/health")).json()["status"] == "ok"  # the only public route


async def test_admin_token_is_generated_into_the_keyring_when_the_env_var_is_absent(rig, monkeypatch,
                                                                                     memory_keyring):
    monkeypatch.delenv("TRADER_APP_API_TOKEN", raising=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services_of(rig))),
                                 base_url="http://api/api/v1") as c:
        assert (await c.get("/accounts")).status_code == 401
        token = memory_keyring.store[("TraderApp", "api:admin_token")]
        assert len(token) == 43
        assert (await c.get("/accounts", headers={"Authorization": f"bearer {token}"})).status_code == 200


async def test_accounts_crud_and_login_all(api, memory_keyring):
    c, rig = api.c, api.rig
    listed = (await c.get("/accounts", headers=H)).json()
    assert [a["name"] for a in listed] == ["P1", "P2", "P3"]
    assert listed[0]["equity"] == {"USD": "100000", "USDT": "100000"}
    r = await c.post("/accounts", headers=H, json={"name": "Swing", "broker": "paper", "initial_cash": {"USDT": "10000"}})
    assert r.status_code == 201
    acc = r.json()
    assert acc["balances"] == [{"currency": "USDT", "total": "10000", "locked": "0", "free": "10000"}]
    # paper takes no credentials: refused, nothing stored anywhere
    r = await c.post("/accounts", headers=H, json={"name": "Keyed paper", "broker": "paper",
                                                    "credentials": {"api_key": "k-123", "api_secret": "s-456"}})
    assert r.status_code == 400 and "s-456" not in r.text and "k-123" not in r.text
    assert not [k for k in memory_keyring.store if k[1].startswith("account:")]
    r = await c.post("/accounts", headers=H, json={"name": "Live", "broker": "binance", "credentials": {"k": "v"}})
    assert r.status_code == 400 and "v" not in r.json()["detail"].split()
    r = await c.post("/accounts", headers=H, json={"name": "Bad", "initial_cash": {"USDT": "-5"}})
    assert r.status_code == 400 and r.json()["detail"] == "initial cash USDT must be >= 0, got -5"
    r = await c.put(f"/accounts/{acc['account_id']}", headers=H, json={"name": "Swing 2"})
    assert r.json()["name"] == "Swing 2"
    assert (await c.get(f"/accounts/{acc['account_id']}", headers=H)).json()["name"] == "Swing 2"
    assert (await c.get(f"/accounts/{acc['account_id']}", headers=H)).json()["error"] == ""  # trading
    assert (await c.post("/accounts/login-all", headers=H)).json() == {a: "CONNECTED" for a in
                                                                      rig.ids + [acc["account_id"]]}
    assert (await c.delete(f"/accounts/{acc['account_id']}", headers=H)).json() == {"deleted": acc["account_id"]}
    r = await c.get(f"/accounts/{acc['account_id']}", headers=H)
    assert r.status_code == 404 and r.json()["detail"] == f"unknown account {acc['account_id']!r}"
    r = await c.post("/accounts", headers=H, json={"broker": "paper"})
    assert r.status_code == 422 and r.json()["errors"] == [{"field": "name", "reason": "Field required"}]


async def test_strategies_crud_token_and_links(api, memory_keyring):
    c, rig = api.c, api.rig
    body = {"group_name": "swing", "market_type": "SPOT", "description": "d",
            "accounts": [{"account_id": rig.ids[0], "weight": "0.3"}, {"account_id": rig.ids[1], "weight": 0.7,
                                                                       "max_positions": 3}]}
    r = await c.post("/strategies", headers=H, json=body)
    assert r.status_code == 201
    g = r.json()
    assert g["webhook_token"] == memory_keyring.store[("TraderApp", "webhook:swing")] and len(g["webhook_token"]) == 43
    assert g["accounts"] == sorted([{"account_id": rig.ids[0], "weight": "0.3", "leverage": "1", "max_positions": 10},
                                    {"account_id": rig.ids[1], "weight": "0.7", "leverage": "1", "max_positions": 3}],
                                   key=lambda x: x["account_id"])
    r = await c.post("/strategies", headers=H, json={**body, "group_name": "dup",
                                                     "accounts": [body["accounts"][0], body["accounts"][0]]})
    assert r.status_code == 409 and (await c.get("/strategies/dup", headers=H)).status_code == 404
    r = await c.post("/strategies", headers=H, json={"group_name": "lev", "market_type": "SPOT",
                                                     "accounts": [{"account_id": rig.ids[0], "weight": 1, "leverage": 3}]})
    assert r.status_code == 400 and "FUTURES groups only" in r.json()["detail"]
    assert (await c.get("/strategies/lev", headers=H)).status_code == 404  # nothing created
    r = await c.put("/strategies/swing", headers=H, json={"enabled": False, "rotate_token": True,
                                                          "accounts": [{"account_id": rig.ids[2], "weight": "1"},
                                                                       {"account_id": rig.ids[1], "weight": "0.5"}]})
    g2 = r.json()
    assert g2["enabled"] is False and g2["webhook_token"] != g["webhook_token"]
    assert {(x["account_id"], x["weight"]) for x in g2["accounts"]} == {(rig.ids[1], "0.5"), (rig.ids[2], "1")}
    names = [x["group_name"] for x in (await c.get("/strategies", headers=H)).json()]
    assert names == ["swing", "trend"]
    assert (await c.delete("/strategies/swing", headers=H)).json() == {"deleted": "swing"}
    assert (await c.delete("/strategies/swing", headers=H)).status_code == 404
    assert ("TraderApp", "webhook:swing") not in memory_keyring.store


async def test_orders_positions_close_all_and_signals(api):
    c, rig = api.c, api.rig
    r = await c.post("/orders", headers=H, json={"group_name": "trend", "symbol": "BTC/USDT", "order_type": "MARKET",
                                                 "side": "buy", "qty_per": 10})
    out = r.json()
    assert sorted(x["quantity"] for x in out["results"]) == ["0.0666", "0.1666", "0.3333"]
    r = await c.post("/orders", headers=H, json={"account_id": rig.ids[2], "symbol": "BTC/USDT", "order_type": "LIMIT",
                                                 "side": "buy", "qty_per": 10, "price": 20000})
    (limit,) = r.json()["results"]
    # no group: weight 1 -> equity 99997.336 x 10 % / 20000
    assert (limit["account_id"], limit["status"], limit["quantity"]) == (rig.ids[2], "NEW", "0.4999")
    await rig.settle()
    filled = (await c.get("/orders", headers=H, params={"status": "filled", "group_name": "trend"})).json()
    assert len(filled) == 3 and {o["signal_id"] for o in filled} == {out["signal_id"]}
    assert (await c.get("/orders", headers=H, params={"status": "nope"})).status_code == 422
    mine = (await c.get("/orders", headers=H, params={"account_id": rig.ids[2], "open_only": True})).json()
    assert [o["client_order_id"] for o in mine] == [limit["client_order_id"]]
    r = await c.delete(f"/orders/{limit['client_order_id']}", headers=H)
    assert r.json()["status"] == "CANCELLED"
    assert (await c.delete("/orders/unknown", headers=H)).status_code == 404
    positions = (await c.get("/positions", headers=H, params={"account_id": rig.ids[0]})).json()
    assert [(p["symbol"], p["quantity"], p["avg_price"]) for p in positions] == [("BTC/USDT", "0.3333", "30000")]
    r = await c.post("/trading/close-all", headers=H, json={"group_name": "trend"})
    assert sorted((x["order_type"], x["status"]) for x in r.json()["results"]) == [("CANCEL_ALL_ORDER", "CANCELLED")] * 3 + [("MARKET", "FILLED")] * 3
    await rig.settle()
    assert (await c.get("/positions", headers=H)).json() == []
    signals = (await c.get("/signals", headers=H)).json()
    assert [s["source"] for s in signals] == ["manual", "manual", "manual"]
    one = (await c.get(f"/signals/{out['signal_id']}", headers=H)).json()
    assert one["payload"]["qty_per"] == 10 and len(one["results"]) == 3
    assert (await c.get("/signals/nope", headers=H)).status_code == 404
    r = await c.post("/orders", headers=H, json={"symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy", "qty_per": 1})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "group_name"


async def test_dashboard_and_risk(api):
    c, rig = api.c, api.rig
    await c.post("/orders", headers=H, json={"group_name": "trend", "symbol": "BTC/USDT", "order_type": "MARKET",
                                             "side": "buy", "qty_per": 10})
    await rig.settle()
    ov = (await c.get("/dashboard/overview", headers=H)).json()
    assert [a["name"] for a in ov["accounts"]] == ["P1", "P2", "P3"]
    usdt = {t["currency"]: t for t in ov["total"]}["USDT"]
    # cash 89991.001 + 94997.002 + 98000.002; positions marked at last 29990
    assert usdt["cash"] == "282988.01" and usdt["equity"] == "299977.34"
    perf = (await c.get("/dashboard/performance", headers=H, params={"account_id": rig.ids[0]})).json()["accounts"]
    row = {r["currency"]: r for r in perf}["USDT"]
    assert row["net_deposits"] == "100000" and row["equity"] == "99986.668" and row["pnl"] == "-13.332"
    assert row["metrics"]["commissions"] == "9.999" and row["metrics"]["trades"] == 0
    r = await c.put(f"/accounts/{rig.ids[0]}/risk", headers=H, json={"max_order_notional": {"USDT": "1000"}})
    assert r.json()["limits"]["max_order_notional"] == {"USDT": "1000"}
    r = await c.put(f"/accounts/{rig.ids[0]}/risk", headers=H, json={"max_open_orders": 0})
    assert r.status_code == 400 and "max_open_orders" in r.json()["detail"]
    rig.risk_book.trip(rig.ids[0], "test")
    assert (await c.get(f"/accounts/{rig.ids[0]}/risk", headers=H)).json()["kill_switch"]["tripped"] is True
    r = await c.post(f"/accounts/{rig.ids[0]}/risk/reset", headers=H)
    assert r.json()["kill_switch"] == {"tripped": False}


async def test_a_keyed_venue_account_keeps_its_secrets_in_the_keyring_only(api, memory_keyring):
    """Any registered venue goes through the same path: settings checked against its schema, secrets to the
    keyring with the account (and out of it with the account), handed to the venue's factory."""
    from trader_app.brokers.base import SettingField, VenueSpec
    from trader_app.brokers.paper import PaperBroker
    from trader_app.core.enums import AccountMode

    c, rig = api.c, api.rig
    handed = []

    def factory(account, credentials):
        handed.append(dict(credentials))
        return PaperBroker(rig.exchange, account.account_id)

    fields = (SettingField("api_key", "API key", "secret", required=True),
              SettingField("api_secret", "API secret", "secret", required=True),
              SettingField("rest_url", "REST base URL", "url", advanced=True))
    rig.accounts.registry.register(VenueSpec("keyed", "Keyed venue", (AccountMode.TESTNET, AccountMode.LIVE),
                                             fields, factory))
    venues = {v["name"]: v for v in (await c.get("/venues", headers=H)).json()}
    assert [f["name"] for f in venues["keyed"]["fields"] if f["secret"]] == ["api_key", "api_secret"]
    r = await c.post("/accounts", headers=H, json={"name": "Keyed", "broker": "keyed", "mode": "paper",
                                                    "credentials": {"api_key": "k-1", "api_secret": "s-1"}})
    assert r.status_code == 400 and "offers testnet, live accounts, not paper" in r.text
    r = await c.post("/accounts", headers=H, json={"name": "Keyed", "broker": "keyed", "mode": "testnet",
                                                    "credentials": {"api_key": "k-1"}})
    assert r.status_code == 400 and "API secret is required" in r.text
    assert not [k for k in memory_keyring.store if k[1].startswith("account:")]  # nothing written on a refusal
    r = await c.post("/accounts", headers=H, json={"name": "Keyed", "broker": "keyed", "mode": "testnet",
                                                    "settings": {"rest_url": "http://127.0.0.1:1"},
                                                    "credentials": {"api_key": "k-1", "api_secret": "s-1"}})
    assert r.status_code == 201 and "s-1" not in r.text and "k-1" not in r.text
    aid = r.json()["account_id"]
    assert handed == [{"api_key": "k-1", "api_secret": "s-1"}]
    assert memory_keyring.store[("TraderApp", f"account:{aid}:api_secret")] == "s-1"
    saved = rig.store.accounts.get(aid)
    assert saved.mode is AccountMode.TESTNET and saved.settings == {"rest_url": "http://127.0.0.1:1"}
    assert "s-1" not in repr(saved) and "k-1" not in repr(saved)
    assert (await c.delete(f"/accounts/{aid}", headers=H)).status_code == 200
    assert not [k for k in memory_keyring.store if k[1].startswith(f"account:{aid}")]


def test_the_docs_declare_the_bearer_scheme_and_type_every_request_body(rig):
    """Issue 13: /docs had no Authorize button and POST /api/v1/orders an untyped body."""
    spec = create_app(services_of(rig)).openapi()
    assert spec["components"]["securitySchemes"]["AdminToken"] == {
        "type": "http", "scheme": "bearer", "description": "the admin token (Strategies panel, or TRADER_APP_API_TOKEN)"}
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if path.startswith("/api/v1/") and path not in ("/api/v1/health", "/api/v1/trading/signal"):
                assert op.get("security") == [{"AdminToken": []}], (method, path)
            body = op.get("requestBody")
            if body:
                schema = body["content"]["application/json"]["schema"]
                assert "$ref" in schema or "oneOf" in schema or schema.get("properties") or \
                    schema.get("additionalProperties"), (method, path, schema)
    orders = spec["paths"]["/api/v1/orders"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    single, batch = orders["oneOf"]
    assert {"account_id", "group_name", "symbol", "side", "qty_per"} <= set(single["properties"])
    assert {"account_id", "orders"} <= set(batch["properties"])


async def test_an_account_carries_the_reason_it_is_not_trading(api, monkeypatch):
    c, rig = api.c, api.rig
    reason = "BTC/USDT: venue 0, journal 0.00999 (accept the venue's positions to trade again)"
    real = rig.accounts.session_error
    monkeypatch.setattr(rig.accounts, "session_error", lambda a: reason if a == rig.ids[0] else real(a))
    assert (await c.get(f"/accounts/{rig.ids[0]}", headers=H)).json()["error"] == reason
    listed = {a["account_id"]: a["error"] for a in (await c.get("/accounts", headers=H)).json()}
    assert listed[rig.ids[0]] == reason and listed[rig.ids[1]] == ""
