"""Signed Binance REST requests (spot ``/api/v3``, USD-M ``/fapi/v1``).

Signing (https://developers.binance.com/docs/binance-spot-api-docs/rest-api/request-security): every
parameter goes in the query string, URL-encoded, with ``timestamp`` (the venue's clock: the host's
``ServerClock``) and ``recvWindow``; the signature is HMAC-SHA256 (hex) of exactly that query string, or,
for an Ed25519 key (a PEM secret), its base64 Ed25519 signature, URL-encoded; it is appended as
``&signature=``. The API key goes in the ``X-MBX-APIKEY`` header. A ``-1021`` answer (timestamp outside the
window: nothing was done) resyncs the clock and is sent once more with a fresh timestamp; nothing else is
ever resent here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from ...core.errors import BrokerError
from ..live.network import VenueNetwork, send
from ..live.ratelimit import RateBudget
from ..live.signing import ed25519_b64, hmac_sha256_hex, is_pem_key, load_ed25519
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
        self._api_key = api_key
        self._ed25519 = load_ed25519(secret) if is_pem_key(secret) else None
        self._secret = "" if self._ed25519 is not None else secret
        self.recv_window_ms = recv_window_ms
        self.orders = RateBudget(f"{self.venue} account orders", "ORDERS", clock_ms=self.clock.now_ms)
        self.resyncs = 0

    @property
    def clock(self):  # noqa: ANN201 - ServerClock
        return self.network.clock(self.endpoints.rest)

    @property
    def ed25519(self) -> bool:
        return self._ed25519 is not None

    def sign(self, payload: str) -> str:
        """The signature of ``payload`` as it goes in a REST query string (URL-encoded for Ed25519)."""
        if self._ed25519 is not None:
            return quote(ed25519_b64(self._ed25519, payload), safe="")
        return hmac_sha256_hex(self._secret, payload)

    def sign_ws(self, params: dict[str, Any]) -> str:
        """A WebSocket API signature: the parameters sorted by name, ``k=v&...``, unencoded
        (https://developers.binance.com/docs/binance-spot-api-docs/web-socket-api/request-security)."""
        payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
        if self._ed25519 is not None:
            return ed25519_b64(self._ed25519, payload)
        return hmac_sha256_hex(self._secret, payload)

    @property
    def api_key(self) -> str:
        return self._api_key

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
            query = urlencode({k: v for k, v in (params or {}).items() if v is not None})
            if signed:
                stamped = f"timestamp={self.clock.now_ms()}&recvWindow={self.recv_window_ms}"
                query = f"{query}&{stamped}" if query else stamped
                query = f"{query}&signature={self.sign(query)}"
            url = f"{full}?{query}" if query else full
            headers = {"X-MBX-APIKEY": self._api_key} if self._api_key else {}
            r = await send(self.network, self.endpoints.rest, method, url, weight=weight, headers=headers,
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
