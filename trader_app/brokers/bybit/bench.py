"""What the benches (``trader-app bench venue|fanout --venue bybit``) need of Bybit: its fake (``tests/fakes/bybit``,
run from a source checkout as ``python -m fakes.bybit``), the adapter of bench account ``i`` and the bare signed
order call the adapter is measured against (the same ``POST /v5/order/create``, signed with HMAC in the
``X-BAPI-*`` headers, nothing else)."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

from ...core.ids import new_client_order_id
from ..live.bench import BenchKit
from ..live.network import VenueNetwork
from ..live.ratelimit import RateLimit
from ..live.signing import hmac_sha256_hex
from .account import BybitAccount
from .urls import endpoints


def account(rest: str, stream: str, index: int, network: VenueNetwork, order_entry: str = "ws") -> BybitAccount:
    """Bench account ``index`` of the fake (keys ``bench-key-<i>`` / ``bench-secret-<i>``); the IP budget is lifted
    for the bench (Bybit's 600 requests per 5 s would pace it: the venue's rule, not the adapter's cost)."""
    ep = endpoints().with_overrides(rest=rest, stream=stream)
    broker = BybitAccount(f"bench-{index:03d}", ep, network, f"bench-key-{index}", f"bench-secret-{index}", live=False,
                          order_entry=order_entry)
    network.budget(rest).set_limits([RateLimit("REQUEST_WEIGHT", 5000, 10_000_000)])
    return broker


async def bare_order(client: Any, index: int, i: int) -> None:
    """One signed MARKET order of bench account ``index`` with a plain ``httpx.AsyncClient``."""
    body = json.dumps({"category": "spot", "symbol": "BTCUSDT", "side": "Buy" if i % 2 == 0 else "Sell",
                       "orderType": "Market", "qty": "0.0001", "marketUnit": "baseCoin",
                       "orderLinkId": new_client_order_id("bare")}, separators=(",", ":"))
    ts, key = int(time.time() * 1000), f"bench-key-{index}"
    sign = hmac_sha256_hex(f"bench-secret-{index}", f"{ts}{key}5000{body}")
    r = await client.post("/v5/order/create", content=body, headers={
        "Content-Type": "application/json", "X-BAPI-API-KEY": key, "X-BAPI-TIMESTAMP": str(ts),
        "X-BAPI-RECV-WINDOW": "5000", "X-BAPI-SIGN": sign})
    r.json()


KIT = BenchKit(venue="bybit", label="Bybit unified account (spot side)", fake_module="fakes.bybit",
               account=account, bare_order=bare_order, symbol="BTC/USDT", quantity=Decimal("0.0001"),
               price=Decimal("65000"))
