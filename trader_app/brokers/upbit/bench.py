"""What the benches (``trader-app bench venue|fanout --venue upbit``) need of Upbit: its fake (``tests/fakes/upbit``,
run from a source checkout as ``python -m fakes.upbit``), the adapter of bench account ``i`` and the bare signed
order call the adapter is measured against (the same ``POST /v1/orders`` with a JWT built by PyJWT: access key, a
fresh nonce and the body's query hash, nothing else). Buys are by KRW amount, as Upbit takes market buys."""

from __future__ import annotations

import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

import jwt

from ...core.ids import new_client_order_id
from ..live.bench import BenchKit
from ..live.network import VenueNetwork
from ..live.ratelimit import RateLimit
from .account import UpbitAccount
from .urls import endpoints

BUY_AMOUNT = Decimal("10000")  # KRW


def account(rest: str, stream: str, index: int, network: VenueNetwork, order_entry: str = "rest") -> UpbitAccount:
    """Bench account ``index`` of the fake (keys ``bench-key-<i>`` / ``bench-secret-<i>``); its order budget is lifted
    for the bench (Upbit's 8 orders a second would pace it: the venue's rule, not the adapter's cost)."""
    ep = endpoints().with_overrides(rest=rest, stream=stream)
    broker = UpbitAccount(f"bench-{index:03d}", ep, network, f"bench-key-{index}", f"bench-secret-{index}")
    for budget in broker.rest.budgets.values():
        budget.set_limits([RateLimit("REQUEST", 1000, 1_000_000)])
    return broker


async def bare_order(client: Any, index: int, i: int) -> None:
    """One signed market order of bench account ``index`` with a plain ``httpx.AsyncClient``."""
    buy = i % 2 == 0
    body = {"market": "KRW-BTC", "side": "bid" if buy else "ask"}
    body.update({"ord_type": "price", "price": str(BUY_AMOUNT)} if buy else {"ord_type": "market", "volume": "0.0001"})
    body["identifier"] = new_client_order_id("bare")
    form = "&".join(f"{k}={v}" for k, v in body.items())
    token = jwt.encode({"access_key": f"bench-key-{index}", "nonce": str(uuid.uuid4()),
                        "query_hash": hashlib.sha512(form.encode()).hexdigest(), "query_hash_alg": "SHA512"},
                       f"bench-secret-{index}", algorithm="HS256")
    r = await client.post("/v1/orders", content=json.dumps(body, separators=(",", ":")),
                          headers={"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {token}"})
    r.json()


KIT = BenchKit(venue="upbit", label="Upbit KRW market", fake_module="fakes.upbit", account=account,
               bare_order=bare_order, symbol="BTC/KRW", quantity=Decimal("0.0001"), price=Decimal("95000000"),
               buy_amount=BUY_AMOUNT)
