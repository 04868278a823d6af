"""``UpbitRest``: Upbit's REST requests, signed as docs.upbit.com "인증 가능한 요청 만들기" specifies.

Each private request carries ``Authorization: Bearer <JWT>`` (the layer's ``JwtPerRequest``, HS256 as Upbit's own
Python sample signs with PyJWT's default; the docs' example token is HS512, both are accepted per third-party
reports, unverified): ``access_key``, a fresh UUID ``nonce`` (a reused one is refused: ``nonce_used``), and for a request with
parameters ``query_hash`` = SHA-512 hex of the parameters' unencoded ``k=v&...`` form in the order sent (lists as
``k[]=v``), ``query_hash_alg`` "SHA512". GET and DELETE parameters go in the query, POST ones in a JSON body.
Limits: public (quotation) calls weigh 1 on the IP's 10 a second; private calls are counted per account pocket and
group (``default`` 30/s, ``order`` 8/s: ``profile.ACCOUNT_LIMITS``), read back from ``Remaining-Req`` (``sec`` 0:
that group waits for the next second). Answers: 200/201 with the resource, else ``{"error": {"name", "message"}}``
mapped by ``codes.error_for``. Nothing is ever resent here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from ..live.auth import JwtPerRequest, Outgoing, query_pairs
from ..live.network import VenueNetwork, send
from ..live.ratelimit import RateBudget
from .codes import error_for
from .profile import ACCOUNT_LIMITS, PROFILE
from .urls import Endpoints

_REMAINING = re.compile(r"group=([a-z-]+).*?sec=(\d+)")


def remaining_req(headers: Mapping[str, str]) -> tuple[str, int] | None:
    """``(group, calls left this second)`` of a ``Remaining-Req`` header (``group=default; min=1800; sec=29``;
    ``min`` is deprecated and ignored), None without one."""
    value = headers.get("remaining-req")
    m = _REMAINING.search(value or "")
    return (m.group(1), int(m.group(2))) if m else None


class UpbitRest:
    """One account's REST (``access_key``/``secret_key`` from the keyring; "" for public reads) over the venue's
    shared ``network``. ``budgets``: the account pocket's budget per ``Remaining-Req`` group."""

    def __init__(self, endpoints: Endpoints, network: VenueNetwork, access_key: str = "", secret_key: str = "") -> None:
        self.endpoints = endpoints
        self.network = network
        self.venue = endpoints.venue
        self.auth = JwtPerRequest(access_key, secret_key, algorithm="HS256")
        self.budgets = {group: RateBudget(f"{self.venue} account {group}", limit.kind, [limit])
                        for group, limit in ACCOUNT_LIMITS.items()}
        network.budget(endpoints.rest).set_limits(list(PROFILE.ip_limits))

    def stream_token(self) -> str:
        """A JWT for the private stream's upgrade request (no parameters)."""
        return self.auth.token(None, 0)

    async def ping(self) -> None:
        """One light public call (``GET /v1/ticker?markets=KRW-BTC``): Upbit has no time endpoint."""
        await self.public("/v1/ticker", {"markets": "KRW-BTC"})

    async def public(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """A quotation call (no key): weight 1 on the IP budget. Raises the contract's errors."""
        r = await send(self.network, self.endpoints.rest, "GET", path, params=dict(params or {}) or None)
        return self._answer(r, placing=False)

    async def request(self, method: str, path: str, params: Mapping[str, Any] | None = None, *,
                      placing: bool = False) -> Any:
        """One private request (JWT-signed) to ``path``; returns the decoded answer. ``placing``: a new order
        (group ``order``; a 5xx or a timeout then leaves its outcome unknown). Raises the contract's errors."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        if method == "POST":
            out = Outgoing(method, path, body=json.dumps(clean, separators=(",", ":")), params=clean,
                           headers={"Content-Type": "application/json; charset=utf-8"})
        else:
            out = Outgoing(method, path, query=urlencode(query_pairs(clean)), params=clean)
        out = self.auth.apply(out, 0)
        group = "order" if placing else "default"
        r = await send(self.network, self.endpoints.rest, method, out.url, weight=0, headers=dict(out.headers),
                       order_budget=self.budgets[group], content=out.body or None)
        left = remaining_req(r.headers)
        if left is not None and left[1] <= 0 and left[0] in self.budgets:
            budget = self.budgets[left[0]]
            budget.pause(max(0.05, 1 - (budget.clock_ms() % 1000) / 1000))  # none left: wait for the next second
        return self._answer(r, placing=placing)

    def _answer(self, r: Any, *, placing: bool) -> Any:
        try:
            body = r.json()
        except ValueError:
            body = {"error": {"name": "", "message": r.text[:200]}}
        if r.status_code < 300:
            return body
        raise error_for(r.status_code, body, self.venue, placing=placing)
