"""Signed Binance REST requests (spot ``/api/v3``, USD-M ``/fapi/v1``).

Signing (https://developers.binance.com/docs/binance-spot-api-docs/rest-api/request-security): every
parameter goes in the query string, URL-encoded, with ``timestamp`` (the venue's clock: the host's
``ServerClock``) and ``recvWindow``; the signature is HMAC-SHA256 (hex) of exactly that query string, or,
for an Ed25519 key (a PEM secret), its base64 Ed25519 signature, URL-encoded; it is appended as
``&signature=``. The API key goes in the ``X-MBX-APIKEY`` header (the layer's ``HmacQuery`` strategy). A ``-1021`` answer (timestamp outside the
window: nothing was done) resyncs the clock and is sent once more with a fresh timestamp; nothing else is
ever resent here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from ...core.errors import BrokerError
from ..live.network import VenueNetwork, send
from ..live.ratelimit import RateBudget
from ..live.auth import HmacQuery, Outgoing
from .codes import TIMESTAMP_REJECTED, error_for
from .urls import Endpoints

USED_WEIGHT = "x-mbx-used-weight-"
ORDER_COUNT = "x-mbx-order-count-"


class BinanceRest:
    """One account's REST session: ``api_key``/``secret`` (an HMAC secret or an Ed25519 PEM key) over the
    venue's shared ``network``. ``orders``: the account's order-count budget (``X-MBX-ORDER-COUNT-*``)."""

    def __init__(self, endpoints: Endpoints, network: VenueNetwork, api_key: str, secret: str, *,
                 recv_window_ms: int = 5000) -> None:
        self.endpoints = endpoints
        self.network = network
        self.venue = endpoints.venue
        self.auth = HmacQuery(api_key, secret, key_header="X-MBX-APIKEY", recv_window_ms=recv_window_ms)
        self.recv_window_ms = recv_window_ms
        self.orders = RateBudget(f"{self.venue} account orders", "ORDERS", clock_ms=self.clock.now_ms)
        self.resyncs = 0

    @property
    def clock(self):  # noqa: ANN201 - ServerClock
        return self.network.clock(self.endpoints.rest)

    @property
    def ed25519(self) -> bool:
        return self.auth.ed25519

    def sign(self, payload: str) -> str:
        """The signature of ``payload`` as it goes in a REST query string (URL-encoded for Ed25519)."""
        return self.auth.sign(payload)

    def sign_ws(self, params: dict[str, Any]) -> str:
        """A WebSocket API signature: the parameters sorted by name, ``k=v&...``, unencoded
        (https://developers.binance.com/docs/binance-spot-api-docs/web-socket-api/request-security)."""
        return self.auth.sign_sorted(params)

    @property
    def api_key(self) -> str:
        return self.auth.api_key

    async def server_time_ms(self) -> int:
        r = await send(self.network, self.endpoints.rest, "GET", f"{self.endpoints.prefix}/time")
        return int(r.json()["serverTime"])

    async def sync_clock(self) -> int:
        return await self.clock.sync(self.server_time_ms)

    async def request(self, method: str, path: str, params: dict[str, Any] | None = None, *, weight: int = 1,
                      signed: bool = True, placing: bool = False, symbol: str = "", prefix: str = "") -> Any:
        """Send one request; returns the JSON body of a 2xx answer. ``path`` is below the market's prefix
        (``order``), or absolute with ``prefix`` "" and a leading ``/``. Raises the contract's errors
        (``codes.error_for``); a placement (``placing``) also counts against the order budget."""
        full = path if path.startswith("/") else f"{prefix or self.endpoints.prefix}/{path}"
        for attempt in (1, 2):
            out = Outgoing(method, full, urlencode({k: v for k, v in (params or {}).items() if v is not None}))
            if signed:
                out = self.auth.apply(out, self.clock.now_ms())
            elif self.auth.api_key:
                out = out.with_headers(**{self.auth.key_header: self.auth.api_key})
            r = await send(self.network, self.endpoints.rest, method, out.url, weight=weight, headers=dict(out.headers),
                           order_budget=self.orders if placing else None, order_prefix=ORDER_COUNT)
            try:
                body = r.json()
            except ValueError:
                body = {"msg": r.text[:200]}
            if r.status_code < 400:
                return body
            if isinstance(body, dict) and body.get("code") == TIMESTAMP_REJECTED and attempt == 1 and signed:
                self.resyncs += 1
                await self.sync_clock()
                continue
            raise error_for(r.status_code, body, self.venue, placing=placing, symbol=symbol)
        raise BrokerError("unreachable")  # pragma: no cover
