"""``BithumbRest``: Bithumb's private REST requests, signed as apidocs.bithumb.com "인증 헤더 만들기" specifies (and
the official AI trade kit's CLI builds them): ``Authorization: Bearer <JWT>`` signed HS256 with the secret key as
raw bytes, claims ``access_key``, a fresh UUID ``nonce``, ``timestamp`` (ms, required) and, for a request with
parameters, ``query_hash`` = SHA-512 hex of the parameters' unencoded ``k=v&...`` form in the order sent (lists
``k[]=v``) with ``query_hash_alg`` "SHA512" (the layer's ``JwtPerRequest`` with ``timestamp``). GET and DELETE
parameters go in the query, POST ones in a JSON body. Limits: per IP and category (140 a second each for
placing, cancelling and the rest), no usage header: the account paces itself (orders 10 a second, as the official
CLI does; the rest 140). Answers: 2xx with the resource, else ``{"error": {"name", "message"}}`` mapped by
``codes.error_for``. Nothing is ever resent here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from ..live.auth import JwtPerRequest, Outgoing, query_pairs
from ..live.network import VenueNetwork, send
from ..live.ratelimit import RateBudget, RateLimit
from .codes import error_for
from .profile import PROFILE
from .urls import Endpoints

ACCOUNT_LIMITS = {"order": RateLimit("ORDERS", 1000, 10), "default": RateLimit("REQUEST", 1000, 140)}


class BithumbRest:
    """One account's private REST (``access_key``/``secret_key`` from the keyring) over the venue's ``network``."""

    def __init__(self, endpoints: Endpoints, network: VenueNetwork, access_key: str, secret_key: str) -> None:
        self.endpoints = endpoints
        self.network = network
        self.venue = endpoints.venue
        self.auth = JwtPerRequest(access_key, secret_key, algorithm="HS256", timestamp=True)
        self.budgets = {group: RateBudget(f"{self.venue} account {group}", limit.kind, [limit])
                        for group, limit in ACCOUNT_LIMITS.items()}
        network.budget(endpoints.rest).set_limits(list(PROFILE.ip_limits))

    def stream_token(self) -> str:
        """A JWT for the private stream's upgrade request (no parameters)."""
        return self.auth.token(None, self.network.clock(self.endpoints.rest).now_ms())

    async def ping(self) -> None:
        """One light public call (Bithumb has no time endpoint)."""
        await send(self.network, self.endpoints.rest, "GET", "/v1/market/all")

    async def request(self, method: str, path: str, params: Mapping[str, Any] | None = None, *,
                      placing: bool = False) -> Any:
        """One private request to ``path``; returns the decoded answer. ``placing``: a new order (paced as orders;
        a 5xx or a timeout then leaves its outcome unknown). Raises the contract's errors."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        if method == "POST":
            out = Outgoing(method, path, body=json.dumps(clean, separators=(",", ":")), params=clean,
                           headers={"Content-Type": "application/json; charset=utf-8"})
        else:
            out = Outgoing(method, path, query=urlencode(query_pairs(clean)), params=clean)
        out = self.auth.apply(out, self.network.clock(self.endpoints.rest).now_ms())
        budget = self.budgets["order" if placing else "default"]
        r = await send(self.network, self.endpoints.rest, method, out.url, weight=0, headers=dict(out.headers),
                       order_budget=budget, content=out.body or None)
        try:
            body = r.json()
        except ValueError:
            body = {"error": {"name": "", "message": r.text[:200]}}
        if r.status_code < 300:
            return body
        raise error_for(r.status_code, body, self.venue, placing=placing)
