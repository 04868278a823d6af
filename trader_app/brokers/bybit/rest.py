"""``BybitRest``: Bybit v5 REST requests, signed as https://bybit-exchange.github.io/docs/v5/guide
("Authentication for REST API") specifies.

A signed request (the layer's ``HmacHeaders`` strategy) carries ``X-BAPI-API-KEY``, ``X-BAPI-TIMESTAMP`` (ms, the venue's clock), ``X-BAPI-RECV-WINDOW``
and ``X-BAPI-SIGN`` = hex HMAC-SHA256 of ``timestamp + api_key + recv_window + payload``, the payload being the
query string exactly as sent (GET) or the JSON body exactly as sent (POST). Answers are
``{"retCode", "retMsg", "result", ...}``: ``retCode`` 0 returns ``result``; 10002 (timestamp outside the window)
measures the clock again and sends once more (the venue refused it before anything happened); others raise the
contract's error (``codes.error_for``). Limits: every request counts 1 against the IP's 600 per 5 s
(``network``'s budget, shared by the public feed and every account); a 403 ("access too frequent") bans the IP for
10 minutes, as Bybit asks (the profile's status rule, applied by ``network.send``); the account's per-endpoint
limit is read back from ``X-Bapi-Limit-Status`` (requests left) and ``X-Bapi-Limit-Reset-Timestamp`` (the
profile's ``account_usage``): at 0 left, the account's requests wait for the reset.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from ...core.errors import BrokerError
from ..live.network import VenueNetwork, send
from ..live.ratelimit import RateBudget
from ..live.auth import HmacHeaders, Outgoing
from .codes import TIMESTAMP_REJECTED, error_for
from .profile import PROFILE
from .urls import Endpoints



class BybitRest:
    """One account's signed REST (``api_key``/``secret`` from the keyring; "" for public reads) over the venue's
    shared ``network``. ``account``: this account's own budget (paused by the per-endpoint limit headers)."""

    def __init__(self, endpoints: Endpoints, network: VenueNetwork, api_key: str = "", secret: str = "", *,
                 recv_window_ms: int = 5000) -> None:
        self.endpoints = endpoints
        self.network = network
        self.venue = endpoints.venue
        self.api_key = api_key
        self.auth = HmacHeaders(api_key, secret, prefix="X-BAPI-", recv_window_ms=recv_window_ms)
        self.recv_window_ms = recv_window_ms
        self.account = RateBudget(f"{self.venue} account", "ORDERS", clock_ms=self.clock.now_ms)
        self.resyncs = 0
        network.budget(endpoints.rest).set_limits(list(PROFILE.ip_limits))

    @property
    def clock(self):  # noqa: ANN201 - ServerClock
        return self.network.clock(self.endpoints.rest)

    def sign(self, timestamp: int, payload: str) -> str:
        """``X-BAPI-SIGN`` of ``payload`` (query string or JSON body, as sent)."""
        return self.auth.sign(timestamp, payload)

    def sign_ws(self, expires_ms: int) -> str:
        """The private stream's auth signature: hex HMAC-SHA256 of ``"GET/realtime" + expires``
        (https://bybit-exchange.github.io/docs/v5/ws/connect, "Authentication")."""
        return self.auth.sign_text(f"GET/realtime{expires_ms}")

    async def server_time_ms(self) -> int:
        r = await send(self.network, self.endpoints.rest, "GET", "/v5/market/time")
        return int(r.json()["time"])

    async def sync_clock(self) -> int:
        return await self.clock.sync(self.server_time_ms)

    async def request(self, method: str, path: str, params: dict[str, Any] | None = None, *,
                      signed: bool = True, placing: bool = False) -> Any:
        """One request to ``path`` (``/v5/...``); returns ``result``. GET ``params`` go in the query, POST ones
        in the JSON body. Raises the contract's errors; ``placing``: a new order (it may use the reads' reserve
        of the IP budget; a 5xx then leaves its outcome unknown)."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        for attempt in (1, 2):
            if method == "POST":
                out = Outgoing(method, path, body=json.dumps(clean, separators=(",", ":")), params=clean,
                               headers={"Content-Type": "application/json"})
            else:
                out = Outgoing(method, path, query=urlencode(clean), params=clean)
            if signed:
                out = self.auth.apply(out, self.clock.now_ms())
                await self.account.acquire(0, order=placing)  # waits while the per-endpoint limit resets
            r = await send(self.network, self.endpoints.rest, method, out.url, weight=1, headers=dict(out.headers),
                           order_budget=self.account if placing else None, content=out.body or None)
            PROFILE.account_usage(r.headers, self.account, self.clock.now_ms())  # type: ignore[misc]
            try:
                body = r.json()
            except ValueError:
                body = {"retMsg": r.text[:200]}
            code = body.get("retCode") if isinstance(body, dict) else None
            if r.status_code < 400 and code == 0:
                return body.get("result", {})
            if code == TIMESTAMP_REJECTED and attempt == 1 and signed:
                self.resyncs += 1
                await self.sync_clock()
                continue
            raise error_for(r.status_code, body, self.venue, placing=placing)
        raise BrokerError("unreachable")  # pragma: no cover
