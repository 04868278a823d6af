"""``TicketRest``: the private REST of the KRW exchanges of the ``ticket_*`` family, on the layer's network: each
request carries ``Authorization: Bearer <JWT>`` (``auth.JwtPerRequest``: a fresh nonce, the query hash of the
parameters in the order sent, a millisecond ``timestamp`` where the venue wants one); GET and DELETE parameters go
in the query (a list as ``key[]``), POST ones in a JSON body; the account's own pace per group (``order``: new
orders; ``default``: the rest) is a budget; a venue's usage header is read back by ``observe`` (a per-group
"calls left" header); answers are 2xx with the resource, else ``{"error": {"name", "message"}}`` mapped by the
venue's ``error_for``. Nothing is ever resent here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from ...core.errors import BrokerError
from .auth import JwtPerRequest, Outgoing, query_pairs
from .network import VenueNetwork, send
from .profile import VenueProfile
from .ratelimit import RateBudget, RateLimit


class TicketRest:
    """One account's private REST (``access_key``/``secret_key`` from the keyring) over the venue's ``network`` at
    ``rest`` (its base URL). ``limits``: the account's pace per group; ``timestamp``: the JWT carries the venue's
    time in ms; ``error_for(status, body, venue, placing=)``: the venue's error table."""

    def __init__(self, venue: str, rest: str, network: VenueNetwork, profile: VenueProfile, access_key: str,
                 secret_key: str, *, limits: Mapping[str, RateLimit], timestamp: bool,
                 error_for: Callable[..., BrokerError]) -> None:
        self.venue = venue
        self.rest_url = rest
        self.network = network
        self.error_for = error_for
        self.auth = JwtPerRequest(access_key, secret_key, algorithm="HS256", timestamp=timestamp)
        self.budgets = {group: RateBudget(f"{venue} account {group}", limit.kind, [limit])
                        for group, limit in limits.items()}
        network.budget(rest).set_limits(list(profile.ip_limits))

    def now_ms(self) -> int:
        return self.network.clock(self.rest_url).now_ms()

    def stream_token(self) -> str:
        """A JWT for the private stream's upgrade request (no parameters)."""
        return self.auth.token(None, self.now_ms())

    async def ping(self) -> None:
        """One light public call (these venues have no time endpoint)."""
        await send(self.network, self.rest_url, "GET", "/v1/market/all")

    def observe(self, headers: Mapping[str, str]) -> None:
        """Read a venue's usage header back into ``budgets`` (none by default)."""

    async def request(self, method: str, path: str, params: Mapping[str, Any] | None = None, *,
                      placing: bool = False) -> Any:
        """One private request to ``path``; returns the decoded answer. ``placing``: a new order (group ``order``;
        a 5xx or a timeout then leaves its outcome unknown). Raises the contract's errors."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        if method == "POST":
            out = Outgoing(method, path, body=json.dumps(clean, separators=(",", ":")), params=clean,
                           headers={"Content-Type": "application/json; charset=utf-8"})
        else:
            out = Outgoing(method, path, query=urlencode(query_pairs(clean)), params=clean)
        out = self.auth.apply(out, self.now_ms())
        r = await send(self.network, self.rest_url, method, out.url, weight=0, headers=dict(out.headers),
                       order_budget=self.budgets["order" if placing else "default"], content=out.body or None)
        self.observe(r.headers)
        try:
            body = r.json()
        except ValueError:
            body = {"error": {"name": "", "message": r.text[:200]}}
        if r.status_code < 300:
            return body
        raise self.error_for(r.status_code, body, self.venue, placing=placing)
