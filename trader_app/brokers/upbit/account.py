"""``UpbitAccount``: one Upbit account (KRW, BTC and USDT spot markets) on the KRW exchanges' shared account
(``live/ticket_account.py``) with Upbit's wire (docs.upbit.com):

- ``POST /v1/orders`` (``ord_type``, ``identifier`` = our client order id), ``GET /v1/order`` and
  ``DELETE /v1/order`` by ``identifier`` or ``uuid`` (the cancel only accepted: read back);
- ``GET /v1/orders/open`` (``states[]`` wait and watch, paged by ``page``, 100 a page), ``GET /v1/orders/closed``
  (``states[]`` done and cancel, ``start_time``/``end_time`` at most 7 days apart, 1,000 at most);
- the private stream ``wss://api.upbit.com/websocket/v1/private`` (``orders.translate``).
"""

from __future__ import annotations

from typing import Any

from ...core.errors import AuthError
from ..live.network import VenueNetwork
from ..live.ticket_account import TicketAccount
from .orders import KEYS, translate
from .profile import PROFILE
from .public import shared_public
from .rest import UpbitRest
from .urls import Endpoints


class UpbitAccount(TicketAccount):
    """One Upbit account. ``access_key``/``secret_key`` come from the OS keyring."""

    profile = PROFILE
    keys = KEYS
    translate = staticmethod(translate)

    def __init__(self, account_id: str, endpoints: Endpoints, network: VenueNetwork, access_key: str,
                 secret_key: str) -> None:
        if not access_key or not secret_key:
            raise AuthError("an Upbit account needs an access key and a secret key")
        super().__init__(account_id, endpoints.venue, network, shared_public(endpoints, network), endpoints.rest)
        self.endpoints = endpoints
        self.private_url = endpoints.private
        self.rest = UpbitRest(endpoints, network, access_key, secret_key)

    def ban_reason(self) -> str:
        return f"{self.venue} blocked this IP for going on after HTTP 429 (HTTP 418)"

    def warnings(self) -> list[str]:
        return []  # Upbit's API does not tell a key's permissions (GET /v1/api_keys lists keys and expiry only)

    async def _open_rows(self, market: str | None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for page in range(1, 51):
            batch = await self.rest.request("GET", "/v1/orders/open", {
                "market": market, "states": ["wait", "watch"], "page": page, "limit": 100})
            rows += batch
            if len(batch) < 100:
                break
        return rows

    async def _closed_rows(self, market: str, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        return await self.rest.request("GET", "/v1/orders/closed", {
            "market": market, "states": ["done", "cancel"], "start_time": start_ms, "end_time": end_ms,
            "limit": 1000})
