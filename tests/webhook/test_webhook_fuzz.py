"""Property tests: whatever JSON (or bytes) reaches the webhook, the answer is never a 5xx, always JSON."""

import json
from types import SimpleNamespace

import httpx
import pytest_asyncio
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from trader_app.config import Settings
from trader_app.webhook.app import create_app

scalars = st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats(allow_nan=True) | st.text(max_size=20)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
numbers = (st.integers(-1000, 10**6) | st.floats(-1e20, 1e20, allow_nan=False) | st.sampled_from(
    ["10", "-100", "1e3", "0", "abc", "", " 5 ", "1e400", "-0", "NaN"]) | json_values)
order = st.fixed_dictionaries({}, optional={
    "symbol": st.sampled_from(["BTC/USDT", "btc/usdt", "BINANCE:BTCUSDT", "ETH/USDT", "AAPL", "DOGE/USDT", "",
                               "a b", "/", "X" * 40]) | json_values,
    "order_type": st.sampled_from(["MARKET", "limit", "STOP_MARKET", "STOP_LIMIT", "CANCEL_ALL_ORDER", "OCO", ""])
    | json_values,
    "side": st.sampled_from(["buy", "SELL", "Buy", "hold", ""]) | json_values,
    "qty_per": numbers, "price": numbers, "stop_price": numbers, "extra": json_values})


@pytest_asyncio.fixture
async def client(rig):
    services = SimpleNamespace(settings=Settings(), store=rig.store, bus=rig.bus, executor=rig.executor, groups=rig.groups,
                               accounts=rig.accounts, order_manager=rig.om, portfolio=rig.portfolio, market=None,
                               risk_book=rig.risk_book)
    rig.quote("BTC/USDT", "29990", "30000")
    rig.quote("AAPL", "189.99", "190")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services)),
                                 base_url="http://fuzz") as c:
        yield SimpleNamespace(client=c, rig=rig)


def payloads(token):
    head = st.fixed_dictionaries({}, optional={
        "group_name": st.sampled_from(["trend", "nope", "", "bad name"]) | json_values,
        "token": st.sampled_from([token, token + "x", ""]) | json_values})
    single = st.tuples(head, order).map(lambda t: {**t[0], **t[1]})
    batch = st.tuples(head, st.fixed_dictionaries({"orders": st.lists(order | json_values, max_size=5) | json_values},
                                                  optional={"symbol": st.sampled_from(["BTC/USDT", "AAPL"])
                                                            | json_values})).map(lambda t: {**t[0], **t[1]})
    return single | batch | json_values


SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


async def check(c, body: bytes, content_type: str) -> None:
    r = await c.client.post("/api/webhook", content=body, headers={"content-type": content_type})
    assert r.status_code < 500, (r.status_code, body[:300], r.text[:300])
    assert r.status_code in (200, 401, 404, 409, 413, 422)
    event(f"status {r.status_code}")
    r.json()


@SETTINGS
@given(data=st.data())
async def test_random_json_never_5xx(client, data):
    payload = data.draw(payloads(client.rig.token))
    body = json.dumps(payload).encode()  # may contain NaN/Infinity: not JSON, must be a 422
    await check(client, body, data.draw(st.sampled_from(["application/json", "text/plain", "x/y"])))


@SETTINGS
@given(body=st.binary(max_size=300))
async def test_random_bytes_never_5xx(client, body):
    await check(client, body, "text/plain")


near_valid_order = st.fixed_dictionaries({
    "symbol": st.sampled_from(["BTC/USDT", "AAPL", "ETH/USDT", "btcusdt"]),
    "order_type": st.sampled_from(["MARKET", "LIMIT", "STOP_MARKET", "STOP_LIMIT", "CANCEL_ALL_ORDER"]),
    "side": st.sampled_from(["buy", "sell", "BUY"]),
    "qty_per": st.sampled_from([10, "5", 0.5, -100, "-50", 200, 1e-9, 0]),
}, optional={"price": st.sampled_from([29000, "31000", 0.01, -1, 1e12]),
             "stop_price": st.sampled_from([28000, "32000", 0])})


@SETTINGS
@given(data=st.data())
async def test_near_valid_payloads_execute_or_are_refused_cleanly(client, data):
    rig = client.rig
    rig.clock.now += 5000  # no duplicates: every example is a fresh signal
    if data.draw(st.booleans()):
        payload = {"group_name": "trend", "token": rig.token, **data.draw(near_valid_order)}
    else:
        payload = {"group_name": "trend", "token": rig.token, "symbol": "BTC/USDT",
                   "orders": data.draw(st.lists(near_valid_order.map(lambda o: {k: v for k, v in o.items()
                                                                                if k != "symbol"}),
                                                min_size=1, max_size=4))}
    await check(client, json.dumps(payload).encode(), "text/plain")
