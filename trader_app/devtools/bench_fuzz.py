"""``trader-app bench fuzz --cases N``: hostile input against the real app, counted (issue 12).

The app is ``build_services`` on a temporary data directory (paper account, the webhook app in process over
httpx's ASGI transport, no network). Two strategy groups: ``trend`` (enabled) and ``halted`` (disabled, so
a payload with its right token goes through parsing, the token check and every validation rule, and is then
refused with 409 instead of trading). Each case is drawn from a seeded generator (``random``) out of:

- webhook bodies: random JSON (nested lists/objects, numbers, unicode, look-alike symbols), near-valid
  orders for ``halted`` with its token, the right group with a wrong token, unknown groups, raw bytes,
  bodies nested 33 to 5,000 deep, bodies over 64 KiB, content types JSON/text/other;
- REST API calls (``/api/v1``) with no, a wrong or the right bearer token and random JSON bodies on the
  routes that refuse them (every route validates before it writes);
- CSV files (random header and rows, real layouts mutated) read by the importer.

Printed: cases tried, the status-code histogram (HTTP) and importer outcomes, 5xx count (must be 0), cases
that raised anything but a clean refusal, and state changes: a digest of every order, fill, signal, balance,
position, account and group row, taken before and after the campaign (must be equal: no hostile case may
change anything).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

LOOK_ALIKES = ["ſol/uſdt", "ＢＴＣ/USDT", "ВТС/USDT", "btc/usdt\u200b", "ﬁl/usdt", "BTC／USDT"]
SYMBOLS = ["BTC/USDT", "btc/usdt", "BINANCE:BTCUSDT", "ETH/USDT", "AAPL", "", "a b", "/", "X" * 40, "NOPE/USDT"]
TYPES = ["MARKET", "limit", "STOP_MARKET", "STOP_LIMIT", "CANCEL_ALL_ORDER", "OCO", ""]
SIDES = ["buy", "SELL", "Buy", "hold", ""]
NUMBERS: list[Any] = [10, "5", 0.5, -100, "-50", 200, 1e-9, 0, "1e400", "NaN", "abc", None, True, 10**30, -0.0]


def _scalar(r: random.Random) -> Any:
    kind = r.randrange(7)
    if kind == 0:
        return None
    if kind == 1:
        return r.random() < 0.5
    if kind == 2:
        return r.randint(-10**20, 10**20)
    if kind == 3:
        return r.uniform(-1e20, 1e20)
    if kind == 4:
        return "".join(chr(r.randrange(0x20, 0x2FFF)) for _ in range(r.randrange(12)))
    if kind == 5:
        return r.choice(LOOK_ALIKES + SYMBOLS)
    return r.choice(NUMBERS)


def _value(r: random.Random, depth: int = 0) -> Any:
    if depth > 4 or r.random() < 0.5:
        return _scalar(r)
    if r.random() < 0.5:
        return [_value(r, depth + 1) for _ in range(r.randrange(4))]
    return {str(_scalar(r))[:8]: _value(r, depth + 1) for _ in range(r.randrange(4))}


def _order(r: random.Random) -> dict[str, Any]:
    fields = {"symbol": lambda: r.choice(SYMBOLS + LOOK_ALIKES), "order_type": lambda: r.choice(TYPES),
              "side": lambda: r.choice(SIDES), "qty_per": lambda: r.choice(NUMBERS),
              "price": lambda: r.choice(NUMBERS), "stop_price": lambda: r.choice(NUMBERS),
              "extra": lambda: _value(r)}
    out = {k: (make() if r.random() < 0.85 else _value(r)) for k, make in fields.items() if r.random() < 0.8}
    return out


def _deep(r: random.Random) -> bytes:
    n = r.randrange(33, 5000)
    return ('{"group_name": "halted", "x": ' + "[" * n + "]" * n + "}").encode()


def webhook_case(r: random.Random, tokens: dict[str, str]) -> tuple[bytes, str]:
    """One hostile webhook request: (body, content type)."""
    kind = r.randrange(9)
    ctype = r.choice(["application/json", "text/plain", "x/y", "application/json; charset=utf-8"])
    if kind == 0:
        return json.dumps(_value(r)).encode(), ctype
    if kind == 1:
        return bytes(r.randrange(256) for _ in range(r.randrange(300))), ctype
    if kind == 2:
        return _deep(r), ctype
    if kind == 3:
        return b'{"group_name": "halted", "pad": "' + b"x" * (64 * 1024) + b'"}', ctype
    head: dict[str, Any]
    if kind in (4, 5, 6):  # the disabled group with its right token: every rule runs, nothing trades
        head = {"group_name": "halted", "token": tokens["halted"]}
    elif kind == 7:
        head = {"group_name": "trend", "token": r.choice(["", "x", tokens["trend"] + "x", _scalar(r)])}
    else:
        head = {"group_name": r.choice(["nope", "", "bad name", _scalar(r)]), "token": tokens["trend"]}
    if r.random() < 0.5:
        body: Any = {**head, **_order(r)}
    else:
        body = {**head, "symbol": r.choice(SYMBOLS), "orders": [_order(r) if r.random() < 0.8 else _value(r)
                                                               for _ in range(r.randrange(6))]}
    return json.dumps(body).encode(), ctype


REST_ROUTES = [("POST", "/strategies"), ("PUT", "/strategies/trend"), ("POST", "/accounts"),
               ("PUT", "/accounts/{aid}"), ("PUT", "/accounts/{aid}/risk"), ("POST", "/orders"),
               ("POST", "/trading/close-all"), ("DELETE", "/orders/nope"), ("GET", "/orders"),
               ("DELETE", "/strategies/nope"), ("DELETE", "/accounts/nope")]


def rest_case(r: random.Random, admin: str, account_id: str) -> tuple[str, str, dict[str, str], bytes]:
    """One REST request (method, path, headers, body): no, a wrong or the right bearer token; bodies random
    or near-valid with a wrong part. With the right token only routes that validate before writing, with
    bodies they refuse (unknown ids, bad fields), are used."""
    method, path = r.choice(REST_ROUTES)
    path = "/api/v1" + path.replace("{aid}", account_id if r.random() < 0.7 else "nope")
    auth = r.randrange(3)
    headers = {"content-type": "application/json"}
    if auth == 1:
        headers["authorization"] = "Bearer " + r.choice(["", "x", admin + "x", admin[:-1]])
    elif auth == 2:
        headers["authorization"] = f"Bearer {admin}"
    body = _value(r)
    if auth == 2 and isinstance(body, dict):
        body.pop("name", None)  # POST /accounts needs a name: never a valid account
        body["group_name"] = "bad name!"  # never a valid group; never a known one for /orders
        body["account_id"] = "nope"
        body["market_type"] = r.choice(["SPOT", "nope", _scalar(r)])
    raw = json.dumps(body).encode() if method != "GET" else b""
    return method, path, headers, raw


def csv_case(r: random.Random) -> str:
    """A CSV text: a real layout mutated, or noise."""
    headers = ["Date,Open,High,Low,Close,Volume", ",Open,High,Low,Close,Volume", "time,open,high,low,close",
               "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>", "Date,Open,High,Low,Close,Adj Close,Volume",
               "".join(chr(r.randrange(32, 0x3000)) for _ in range(r.randrange(30)))]
    lines = [r.choice(headers)]
    for i in range(r.randrange(12)):
        if r.random() < 0.7:
            o = r.uniform(-5, 200)
            row = [f"2024-01-{(i % 28) + 1:02d}", f"{o:.2f}", f"{o + r.uniform(-3, 5):.2f}", f"{o - r.uniform(-3, 5):.2f}",
                   f"{o + r.uniform(-2, 2):.2f}", str(r.choice([100, -5, 0, "x", "", 1e30]))]
            r.shuffle(row) if r.random() < 0.1 else None
            lines.append(",".join(row[: r.randrange(3, 7)]))
        else:
            lines.append(",".join(str(_scalar(r)) for _ in range(r.randrange(8))))
    return "\n".join(lines) + ("\n" if r.random() < 0.8 else "")


async def _digest(services: Any) -> str:
    store = services.store

    def snapshot() -> str:
        rows = {
            "orders": [o.client_order_id + o.status.value for o in store.orders.list()],
            "fills": len(store.fills.list()),
            "ledger": len(store.ledger.list()),
            "positions": sorted((p.account_id, p.symbol, str(p.quantity)) for p in store.positions.list()),
            "links": sorted((k.group_name, k.account_id, str(k.weight)) for k in store.links.list()),
            "signals": len(store.signals.list(limit=None)),
            "groups": sorted(g.group_name for g in store.groups.list()),
            "accounts": sorted(a.account_id for a in store.accounts.list()),
            "balances": sorted((b.account_id, b.currency, str(b.total)) for a in store.accounts.list()
                               for b in store.balances.list(a.account_id)),
        }
        return json.dumps(rows, sort_keys=True, default=str)

    return await store.run(snapshot)


async def run_campaign(cases: int, seed: int = 1, data_dir: Path | None = None) -> dict[str, Any]:
    """Run ``cases`` cases (about 70 % webhook, 20 % REST, 10 % CSV); returns the figures."""
    import httpx

    from ..app import build_services
    from ..core.enums import MarketType
    from ..core.errors import DataImportError
    from ..market.csv_import import read_ohlcv_csv
    from ..webhook.app import create_app

    folder = Path(data_dir or tempfile.mkdtemp(prefix="trader-fuzz-"))
    services = build_services(folder / "data", demo=False, start_webhook=False)
    await services.start()
    r = random.Random(seed)
    statuses: Counter[str] = Counter()
    csv_outcomes: Counter[str] = Counter()
    crashes: list[str] = []
    server_errors = 0
    try:
        account = services.accounts.list()[0].account_id
        tokens = {}
        for name, enabled in (("trend", True), ("halted", False)):
            _group, tokens[name] = await services.groups.create_group(name, MarketType.SPOT, enabled=enabled)
            await services.groups.link(name, account, "1")
        import os

        admin = os.environ.get("TRADER_APP_API_TOKEN") or "fuzz-admin-" + "x" * 32
        os.environ["TRADER_APP_API_TOKEN"] = admin
        before = await _digest(services)
        app = create_app(services)
        t0 = time.perf_counter()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://fuzz") as client:
            for i in range(cases):
                pick = r.random()
                try:
                    if pick < 0.7:
                        body, ctype = webhook_case(r, tokens)
                        resp = await client.post("/api/webhook", content=body, headers={"content-type": ctype})
                    elif pick < 0.9:
                        method, path, headers, body = rest_case(r, admin, account)
                        resp = await client.request(method, path, content=body or None, headers=headers)
                    else:
                        path = folder / f"case{i % 16}.csv"
                        path.write_text(csv_case(r), encoding="utf-8")
                        try:
                            read_ohlcv_csv(path)
                            csv_outcomes["imported"] += 1
                        except DataImportError:
                            csv_outcomes["refused (DataImportError)"] += 1
                        continue
                    statuses[str(resp.status_code)] += 1
                    if resp.status_code >= 500:
                        server_errors += 1
                        crashes.append(f"case {i}: {resp.status_code} {resp.text[:200]}")
                    resp.json()  # every answer is JSON
                except Exception as exc:  # noqa: BLE001 - counted: a case must never raise
                    crashes.append(f"case {i}: {type(exc).__name__}: {str(exc)[:200]}")
        seconds = time.perf_counter() - t0
        await services.bus.drain()
        after = await _digest(services)
    finally:
        await services.stop()
    return {"cases": cases, "seed": seed, "seconds": round(seconds, 1), "http_statuses": dict(sorted(statuses.items())),
            "csv": dict(csv_outcomes), "server_errors": server_errors, "crashes": len(crashes),
            "crash_examples": crashes[:5], "state_changes": 0 if before == after else 1}


def lines(f: dict[str, Any]) -> list[str]:
    """The figures as text."""
    hist = ", ".join(f"{k}: {v:,}" for k, v in f["http_statuses"].items())
    csv = ", ".join(f"{k}: {v:,}" for k, v in f["csv"].items())
    out = [f"bench fuzz: {f['cases']:,} cases (seed {f['seed']}) in {f['seconds']} s",
           f"HTTP status codes: {hist}",
           f"CSV importer: {csv}",
           f"5xx: {f['server_errors']}   cases that raised: {f['crashes']}   state changes: {f['state_changes']}"]
    out += [f"  {c}" for c in f["crash_examples"]]
    return out


def register_bench(bench_subparsers: Any) -> None:
    """Add ``bench fuzz``."""
    p = bench_subparsers.add_parser("fuzz", help="hostile webhook, REST and CSV input: status codes, 5xx, state")
    p.add_argument("--cases", type=int, default=100_000, help="cases to try (default 100,000)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``bench fuzz``; 0 when nothing failed, 1 when a case gave a 5xx, raised or changed state."""
    out = out or sys.stdout
    if args.cases < 1:
        sys.stderr.write("trader-app bench fuzz: error: --cases must be >= 1\n")
        return 2
    from ..devtools.smoke import install_memory_keyring

    install_memory_keyring()  # the campaign's tokens never reach the trader's keyring
    figures = asyncio.run(run_campaign(args.cases, args.seed))
    out.write(json.dumps(figures) + "\n" if args.json else "\n".join(lines(figures)) + "\n")
    return 0 if not (figures["server_errors"] or figures["crashes"] or figures["state_changes"]) else 1
