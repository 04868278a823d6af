"""The bench kit (``bench.BenchKit``) of a KRW exchange of the ``ticket_*`` family: its fake (``tests/fakes/<venue>``,
run from a source checkout as ``python -m fakes.<venue>``), the adapter of bench account ``i`` with its budgets lifted
(the venue's order pacing would measure the venue's rule, not the adapter's cost) and the bare signed order call the
adapter is measured against: the same new-order request with a JWT built by PyJWT (access key, a fresh nonce, the
venue's timestamp claim where it has one, the body's query hash), nothing else. Buys are by KRW amount."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import jwt

from ...core.ids import new_client_order_id
from .bench import BenchKit
from .network import VenueNetwork
from .ratelimit import RateLimit
from .ticket_orders import Keys

BUY_AMOUNT = Decimal("10000")  # KRW


def ticket_kit(venue: str, label: str, make: Callable[[str, str, str, VenueNetwork, str, str], Any],
               order_path: str, keys: Keys, *, timestamp: bool) -> BenchKit:
    """The kit of ``venue``: ``make(account_id, rest, stream, network, key, secret)`` builds its adapter;
    ``order_path``/``keys``: its new-order call and names; ``timestamp``: its JWT carries a ms timestamp."""

    def account(rest: str, stream: str, index: int, network: VenueNetwork, order_entry: str = "rest") -> Any:
        broker = make(f"bench-{index:03d}", rest, stream, network, f"bench-key-{index}", f"bench-secret-{index}")
        for budget in broker.rest.budgets.values():
            budget.set_limits([RateLimit("REQUEST", 1000, 1_000_000)])
        return broker

    async def bare_order(client: Any, index: int, i: int) -> None:
        buy = i % 2 == 0
        body: dict[str, Any] = {"market": "KRW-BTC", "side": "bid" if buy else "ask"}
        body.update({keys.order_type: "price", "price": str(BUY_AMOUNT)} if buy else
                    {keys.order_type: "market", "volume": "0.0001"})
        body[keys.client_id] = new_client_order_id("bare")
        form = "&".join(f"{k}={v}" for k, v in body.items())
        claims: dict[str, Any] = {"access_key": f"bench-key-{index}", "nonce": str(uuid.uuid4())}
        if timestamp:
            claims["timestamp"] = int(time.time() * 1000)
        claims.update(query_hash=hashlib.sha512(form.encode()).hexdigest(), query_hash_alg="SHA512")
        token = jwt.encode(claims, f"bench-secret-{index}", algorithm="HS256")
        r = await client.post(order_path, content=json.dumps(body, separators=(",", ":")), headers={
            "Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {token}"})
        r.json()

    return BenchKit(venue=venue, label=label, fake_module=f"fakes.{venue}", account=account, bare_order=bare_order,
                    symbol="BTC/KRW", quantity=Decimal("0.0001"), price=Decimal("95000000"), buy_amount=BUY_AMOUNT)
