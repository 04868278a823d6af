"""Every example payload of issue 3 posted to the webhook against three paper accounts (weights 1, 0.5,
0.2; 100,000 USDT each; commission 0.1 %), asserting the exact orders, quantities, positions and
cancellations. Sizes: equity x weight x qty_per / 100 / price, rounded down to the 0.0001 BTC lot."""

import json
from decimal import Decimal as D
from types import SimpleNamespace

import httpx
import pytest
import pytest_asyncio

from trader_app.config import Settings
from trader_app.webhook.app import create_app


@pytest_asyncio.fixture
async def hook(rig):
    services = SimpleNamespace(settings=Settings(), store=rig.store, bus=rig.bus, executor=rig.executor, groups=rig.groups,
                               accounts=rig.accounts, order_manager=rig.om, portfolio=rig.portfolio, market=None,
                               risk_book=rig.risk_book)
    app = create_app(services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hook") as client:
        yield SimpleNamespace(rig=rig, client=client, services=services)


async def post(hook, payload, content_type="application/json"):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    r = await hook.client.post("/api/webhook", content=body, headers={"content-type": content_type})
    await hook.rig.settle()
    return r


def by_account(rig, results, key="quantity"):
    """{account index: [(order_type, status, key)]} in the order the account ran them."""
    out = {}
    for r in results:
        out.setdefault(rig.ids.index(r["account_id"]), []).append((r["order_type"], r["status"], r.get(key)))
    return out


def pos(rig, i, symbol="BTC/USDT"):
    p = rig.store.positions.get(rig.ids[i], symbol)
    return None if p is None else p.quantity


def open_orders(rig, i):
    return sorted((o.side.value, o.order_type.value, o.price, o.stop_price, o.quantity)
                  for o in rig.store.orders.list(account_id=rig.ids[i], open_only=True))


def cash(rig, i, ccy="USDT"):
    return {b.currency: b.total for b in rig.store.balances.list(rig.ids[i])}[ccy]


def single(rig, **fields):
    return {"group_name": "trend", "token": rig.token, "symbol": "BTC/USDT", **fields}


async def market_buy(hook):
    hook.rig.quote("BTC/USDT", "29990", "30000")
    r = await post(hook, single(hook.rig, order_type="MARKET", side="buy", qty_per=10), "text/plain")
    assert r.status_code == 200, r.text
    return r.json()


async def test_market_buy_text_plain(hook):
    rig = hook.rig
    out = await market_buy(hook)
    assert by_account(rig, out["results"]) == {0: [("MARKET", "FILLED", "0.3333")], 1: [("MARKET", "FILLED", "0.1666")],
                                               2: [("MARKET", "FILLED", "0.0666")]}
    assert [pos(rig, i) for i in range(3)] == [D("0.3333"), D("0.1666"), D("0.0666")]
    assert [rig.store.positions.get(a, "BTC/USDT").avg_price for a in rig.ids] == [D("30000")] * 3
    # cash = 100000 - q x 30000 x 1.001 (fill at the ask plus commission)
    assert [cash(rig, i) for i in range(3)] == [D("89991.001"), D("94997.002"), D("98000.002")]
    assert all(r["client_order_id"] and r["venue_order_id"] for r in out["results"])
    record = rig.store.signals.get(out["signal_id"])
    assert record.payload == {"group_name": "trend", "symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy",
                              "qty_per": 10} and not record.duplicate
    assert [r["status"] for r in record.results] == ["FILLED"] * 3
    assert {o.signal_id for o in rig.store.orders.list()} == {out["signal_id"]}


async def test_limit_sell_rests_then_fills_at_the_limit(hook):
    rig = hook.rig
    await market_buy(hook)
    r = await post(hook, single(rig, order_type="LIMIT", side="SELL", qty_per="5", price="31000"))
    # equity marked at last 29990: 99986.668 / 99993.336 / 99997.336; x w x 5 % / 31000
    assert by_account(rig, r.json()["results"]) == {0: [("LIMIT", "NEW", "0.1612")], 1: [("LIMIT", "NEW", "0.0806")],
                                                    2: [("LIMIT", "NEW", "0.0322")]}
    assert open_orders(rig, 0) == [("SELL", "LIMIT", D("31000"), None, D("0.1612"))]
    rig.quote("BTC/USDT", "31000", "31010")
    await rig.settle()
    assert [pos(rig, i) for i in range(3)] == [D("0.1721"), D("0.0860"), D("0.0344")]
    sells = [o for o in rig.store.orders.list() if o.side.value == "SELL"]
    assert {(o.status.value, o.avg_fill_price) for o in sells} == {("FILLED", D("31000"))}


async def test_stop_limit_waits_for_the_trigger(hook):
    rig = hook.rig
    rig.quote("BTC/USDT", "29990", "30000")
    r = await post(hook, single(rig, order_type="STOP_LIMIT", side="buy", qty_per=10, price=30600, stop_price="30500"))
    # sized at the limit price: 100000 x w x 10 % / 30600
    assert by_account(rig, r.json()["results"]) == {0: [("STOP_LIMIT", "NEW", "0.3267")],
                                                    1: [("STOP_LIMIT", "NEW", "0.1633")],
                                                    2: [("STOP_LIMIT", "NEW", "0.0653")]}
    assert open_orders(rig, 2) == [("BUY", "STOP_LIMIT", D("30600"), D("30500"), D("0.0653"))]
    rig.quote("BTC/USDT", "30400", "30450")  # below the stop: nothing
    await rig.settle()
    assert [pos(rig, i) for i in range(3)] == [None, None, None]
    rig.quote("BTC/USDT", "30540", "30550")  # ask >= stop: becomes LIMIT 30600, marketable at the ask
    await rig.settle()
    assert [pos(rig, i) for i in range(3)] == [D("0.3267"), D("0.1633"), D("0.0653")]
    assert {(o.status.value, o.avg_fill_price) for o in rig.store.orders.list()} == {("FILLED", D("30550"))}


async def test_minus_100_closes_every_position(hook):
    rig = hook.rig
    await market_buy(hook)
    r = await post(hook, single(rig, order_type="MARKET", side="sell", qty_per=-100))
    assert by_account(rig, r.json()["results"], "side") == {i: [("MARKET", "FILLED", "SELL")] for i in range(3)}
    assert [pos(rig, i) for i in range(3)] == [D("0"), D("0"), D("0")]
    # sold at the bid 29990: realized (29990 - 30000) x q
    assert [rig.store.positions.get(a, "BTC/USDT").realized_pnl for a in rig.ids] == [D("-3.333"), D("-1.666"),
                                                                                       D("-0.666")]
    r = await post(hook, single(rig, order_type="MARKET", qty_per=-100, price=1))  # nothing left to close
    assert {x["status"] for x in r.json()["results"]} == {"REJECTED"}
    assert {x["error"] for x in r.json()["results"]} == {"no BTC/USDT position to close"}


async def test_cancel_all_by_side_then_all(hook):
    rig = hook.rig
    await market_buy(hook)
    await post(hook, single(rig, order_type="LIMIT", side="buy", qty_per=5, price=29000))
    await post(hook, single(rig, order_type="LIMIT", side="sell", qty_per=-50, price=31000))
    assert open_orders(rig, 0) == [("BUY", "LIMIT", D("29000"), None, D("0.1723")),
                                   ("SELL", "LIMIT", D("31000"), None, D("0.1666"))]
    assert open_orders(rig, 1) == [("BUY", "LIMIT", D("29000"), None, D("0.0862")),
                                   ("SELL", "LIMIT", D("31000"), None, D("0.0833"))]
    assert open_orders(rig, 2) == [("BUY", "LIMIT", D("29000"), None, D("0.0344")),
                                   ("SELL", "LIMIT", D("31000"), None, D("0.0333"))]
    r = await post(hook, single(rig, order_type="CANCEL_ALL_ORDER", side="buy"))
    assert by_account(rig, r.json()["results"], "cancelled") == {i: [("CANCEL_ALL_ORDER", "CANCELLED", 1)]
                                                                 for i in range(3)}
    assert [[o[0] for o in open_orders(rig, i)] for i in range(3)] == [["SELL"]] * 3
    assert cash(rig, 0) == D("89991.001")  # the buy's reserved cash is released (total unchanged, nothing locked)
    assert {b.locked for b in rig.store.balances.list(rig.ids[0])} == {D("0")}
    r = await post(hook, single(rig, order_type="CANCEL_ALL_ORDER"))
    assert by_account(rig, r.json()["results"], "cancelled") == {i: [("CANCEL_ALL_ORDER", "CANCELLED", 1)]
                                                                 for i in range(3)}
    assert [open_orders(rig, i) for i in range(3)] == [[], [], []]
    cancelled = [o for o in rig.store.orders.list() if o.status.value == "CANCELLED"]
    assert len(cancelled) == 6


async def test_ladder_batch_runs_in_priority_order_per_account(hook):
    rig = hook.rig
    rig.quote("BTC/USDT", "29990", "30000")
    batch = {"group_name": "trend", "symbol": "BTC/USDT", "token": rig.token, "orders": [
        {"order_type": "LIMIT", "side": "buy", "qty_per": 5, "price": 29500},
        {"order_type": "LIMIT", "side": "buy", "qty_per": 5, "price": "29000"},
        {"order_type": "STOP_MARKET", "side": "sell", "qty_per": -100, "stop_price": 28000},
        {"order_type": "CANCEL_ALL_ORDER"},
        {"symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy", "qty_per": 10},
    ]}
    r = await post(hook, batch)
    assert r.status_code == 200
    got = by_account(rig, r.json()["results"])
    assert got == {
        0: [("MARKET", "FILLED", "0.3333"), ("CANCEL_ALL_ORDER", "CANCELLED", None), ("LIMIT", "NEW", "0.1694"),
            ("LIMIT", "NEW", "0.1723"), ("STOP_MARKET", "NEW", "0.3333")],
        1: [("MARKET", "FILLED", "0.1666"), ("CANCEL_ALL_ORDER", "CANCELLED", None), ("LIMIT", "NEW", "0.0847"),
            ("LIMIT", "NEW", "0.0862"), ("STOP_MARKET", "NEW", "0.1666")],
        2: [("MARKET", "FILLED", "0.0666"), ("CANCEL_ALL_ORDER", "CANCELLED", None), ("LIMIT", "NEW", "0.0338"),
            ("LIMIT", "NEW", "0.0344"), ("STOP_MARKET", "NEW", "0.0666")],
    }
    assert open_orders(rig, 1) == [("BUY", "LIMIT", D("29000"), None, D("0.0862")),
                                   ("BUY", "LIMIT", D("29500"), None, D("0.0847")),
                                   ("SELL", "STOP_MARKET", None, D("28000"), D("0.1666"))]
    rig.quote("BTC/USDT", "27990", "28000")  # through every level: both buys fill, then the stop sells all
    await rig.settle()
    assert open_orders(rig, 0) == []
    sells = [o for o in rig.store.orders.list(account_id=rig.ids[0]) if o.side.value == "SELL"]
    assert [(o.status.value, o.quantity) for o in sells] == [("FILLED", D("0.3333"))]
    assert pos(rig, 0) == D("0.1694") + D("0.1723")


async def test_stock_group_qty_per_is_shares(hook):
    rig = hook.rig
    _, token = await rig.groups.create_group("stocks", "STOCK")
    for acc, w in zip(rig.ids, ("1", "0.5", "0.2")):
        await rig.groups.link("stocks", acc, w)
    rig.quote("AAPL", "189.99", "190.00")
    r = await post(hook, {"group_name": "stocks", "token": token, "symbol": "aapl", "order_type": "MARKET",
                          "side": "buy", "qty_per": "3.7"})
    assert by_account(rig, r.json()["results"]) == {i: [("MARKET", "FILLED", "3")] for i in range(3)}
    assert [pos(rig, i, "AAPL") for i in range(3)] == [D("3")] * 3
    assert cash(rig, 2, "USD") == D("100000") - D("570.00") - D("0.57")


async def test_tradingview_ticker_without_slash_is_resolved(hook):
    rig = hook.rig
    rig.quote("BTC/USDT", "29990", "30000")
    r = await post(hook, single(rig, symbol="BINANCE:BTCUSDT", order_type="MARKET", side="buy", qty_per=1))
    assert {(x["symbol"], x["status"]) for x in r.json()["results"]} == {("BTC/USDT", "FILLED")}


async def test_an_identical_alert_within_the_window_is_answered_with_the_first_outcome(hook):
    rig = hook.rig
    first = await market_buy(hook)
    r = await post(hook, single(rig, order_type="MARKET", side="buy", qty_per=10))
    assert r.status_code == 200
    assert r.json() == {"signal_id": r.json()["signal_id"], "results": first["results"], "duplicate": True,
                        "duplicate_of": first["signal_id"]}
    assert len(rig.store.orders.list()) == 3
    assert [pos(rig, i) for i in range(3)] == [D("0.3333"), D("0.1666"), D("0.0666")]
    records = rig.store.signals.list()
    assert [(x.signal_id, x.duplicate) for x in records][::-1] == [(first["signal_id"], False),
                                                                   (r.json()["signal_id"], True)]
    rig.clock.now += 30_001  # after the window (webhook.idempotency_window_s, 30 s) the same alert executes again
    r = await post(hook, single(rig, order_type="MARKET", side="buy", qty_per=10))
    assert "duplicate" not in r.json() and len(rig.store.orders.list()) == 6


async def test_an_alert_with_its_own_id_executes_once_per_id(hook):
    rig = hook.rig
    rig.quote("BTC/USDT", "29990", "30000")
    first = await post(hook, single(rig, order_type="MARKET", side="buy", qty_per=10, signal_id="tv-42"))
    rig.clock.now += 3_600_000  # an hour later, the same id: still the same alert
    again = await post(hook, single(rig, order_type="MARKET", side="buy", qty_per=10, signal_id="tv-42"))
    assert again.json()["duplicate"] is True and again.json()["duplicate_of"] == first.json()["signal_id"]
    other = await post(hook, single(rig, order_type="MARKET", side="buy", qty_per=10, id=43))
    assert "duplicate" not in other.json()
    assert len(rig.store.orders.list()) == 6
    bad = await post(hook, single(rig, order_type="MARKET", side="buy", qty_per=10, signal_id="has space"))
    assert bad.status_code == 422 and "signal_id" in bad.text


async def test_json_nested_900_levels_deep_is_a_4xx_and_changes_nothing(hook):
    rig = hook.rig
    rig.quote("BTC/USDT", "29990", "30000")
    deep = '{"a":' * 900 + "1" + "}" * 900
    body = ('{"group_name": "trend", "token": "%s", "symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy", '
            '"qty_per": 10, "extra": %s}' % (rig.token, deep)).encode()
    r = await post(hook, body)
    assert r.status_code == 422
    assert "nested deeper than 32 levels" in r.text
    deeper = ("[" * 5000 + "]" * 5000).encode()  # past Python's own recursion limit
    assert (await post(hook, deeper)).status_code == 422
    assert rig.store.orders.list() == [] and rig.store.signals.list() == []


def tok(rig):
    return rig.token


BAD = [
    ("not JSON", b"buy BTC please", 422, "body"),
    ("JSON array", b"[1, 2]", 422, "body"),
    ("empty", b"", 422, "body"),
    ("missing group", {"symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy", "qty_per": 1, "token": tok}, 422,
     "group_name"),
    ("unknown group", {"group_name": "nope", "symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy",
                       "qty_per": 1, "token": tok}, 404, None),
    ("missing token", {"group_name": "trend", "symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy",
                       "qty_per": 1}, 401, None),
    ("wrong token", {"group_name": "trend", "symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy",
                     "qty_per": 1, "token": "x" * 43}, 401, None),
    ("token wrong type", {"group_name": "trend", "symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy",
                          "qty_per": 1, "token": 12345}, 401, None),
    ("unknown order_type", {"group_name": "trend", "symbol": "BTC/USDT", "order_type": "OCO", "side": "buy",
                            "qty_per": 1, "token": tok}, 422, "order_type"),
    ("qty_per wrong type", {"group_name": "trend", "symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy",
                            "qty_per": [1], "token": tok}, 422, "qty_per"),
    ("missing qty_per", {"group_name": "trend", "symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy",
                         "token": tok}, 422, "qty_per"),
    ("limit without price", {"group_name": "trend", "symbol": "BTC/USDT", "order_type": "LIMIT", "side": "buy",
                             "qty_per": 1, "token": tok}, 422, "price"),
    ("bad side", {"group_name": "trend", "symbol": "BTC/USDT", "order_type": "MARKET", "side": "hold",
                  "qty_per": 1, "token": tok}, 422, "side"),
    ("unknown symbol", {"group_name": "trend", "symbol": "DOGE/USDT", "order_type": "MARKET", "side": "buy",
                        "qty_per": 1, "token": tok}, 422, "symbol"),
    ("batch with a bad order", {"group_name": "trend", "symbol": "BTC/USDT", "token": tok, "orders": [
        {"order_type": "MARKET", "side": "buy", "qty_per": 1}, {"order_type": "STOP_LIMIT", "side": "buy",
                                                                "qty_per": 1, "price": 1}]}, 422,
     "orders[1].stop_price"),
    ("huge body", b'{"group_name": "trend", "pad": "' + b"x" * (64 * 1024) + b'"}', 413, None),
]


@pytest.mark.parametrize("name,payload,status,field", BAD, ids=[b[0] for b in BAD])
async def test_bad_requests_get_their_status_and_change_nothing(hook, name, payload, status, field):
    rig = hook.rig
    rig.quote("BTC/USDT", "29990", "30000")
    await rig.settle()
    before = rig.snapshot()
    if isinstance(payload, dict):
        payload = {k: (v(rig) if callable(v) else v) for k, v in payload.items()}
    r = await post(hook, payload)
    assert r.status_code == status, r.text
    if field is not None:
        assert field in [e["field"] for e in r.json()["errors"]]
    assert "detail" in r.json()
    assert rig.snapshot() == before
    assert rig.om.open_orders() == []


async def test_disabled_group_is_refused(hook):
    rig = hook.rig
    await rig.groups.update_group("trend", enabled=False)
    before = rig.snapshot()
    r = await post(hook, single(rig, order_type="MARKET", side="buy", qty_per=1))
    assert r.status_code == 409 and r.json() == {"detail": "strategy group 'trend' is disabled"}
    assert rig.snapshot() == before


async def test_alias_route_and_content_length_lie(hook):
    rig = hook.rig
    rig.quote("BTC/USDT", "29990", "30000")
    r = await hook.client.post("/api/v1/trading/signal", content=json.dumps(
        single(rig, order_type="MARKET", side="buy", qty_per=1)))
    assert r.status_code == 200 and len(r.json()["results"]) == 3
    r = await hook.client.post("/api/webhook", content=b"{}", headers={"content-length": str(10**9)})
    assert r.status_code == 413


async def test_an_unknown_symbol_is_answered_with_what_is_tradable(hook):
    """Issue 13: an alert naming a symbol the paper venue does not list says which symbols it does, and how
    to trade more (import a file, or price the paper venue with Binance)."""
    rig = hook.rig
    r = await post(hook, {"group_name": "trend", "symbol": "DOGE/USDT", "order_type": "MARKET", "side": "buy",
                          "qty_per": 1, "token": tok(rig)})
    assert r.status_code == 422
    assert "unknown symbol 'DOGE/USDT'" in r.text and "BTC/USDT" in r.text and "View > Market" in r.text
