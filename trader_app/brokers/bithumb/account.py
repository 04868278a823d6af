"""``BithumbAccount``: one Bithumb account (KRW spot) on the KRW exchanges' shared account
(``live/ticket_account.py``) with Bithumb's wire (apidocs.bithumb.com, the JWT API; ``bithumb.md``):

- ``POST /v2/orders`` (``order_type``, ``client_order_id`` = our client order id); ``DELETE /v2/order`` by
  ``client_order_id`` or ``order_id`` only accepts the cancel: the order is read back with ``GET /v1/order`` (by
  ``client_order_id`` or ``uuid``);
- ``GET /v2/orders/pending`` (``state`` wait, then watch; paged with ``next_key``), ``GET /v2/orders/history``
  (``states[]`` done and cancel, ``start_time``/``end_time`` at most 7 days apart, paged with ``next_key``): answers
  ``{"data": [...], "has_next", "next_key"}``;
- the private stream v2 ``wss://ws-api.bithumb.com/websocket/v2/private`` (``orders.translate``).
"""

from __future__ import annotations

from typing import Any

from ...core.errors import AuthError
from ..live.network import VenueNetwork
from ..live.ticket_account import TicketAccount
from .orders import KEYS, translate
from .profile import PROFILE
from .public import shared_public
from .rest import BithumbRest
from .urls import Endpoints

PAGES = 50


class BithumbAccount(TicketAccount):
    """One Bithumb account. ``access_key``/``secret_key`` come from the OS keyring."""

    profile = PROFILE
    keys = KEYS
    translate = staticmethod(translate)
    order_path = "/v2/orders"
    cancel_path = "/v2/order"
    query_keys = ("client_order_id", "uuid")
    cancel_keys = ("client_order_id", "order_id")

    def __init__(self, account_id: str, endpoints: Endpoints, network: VenueNetwork, access_key: str,
                 secret_key: str) -> None:
        if not access_key or not secret_key:
            raise AuthError("a Bithumb account needs an access key and a secret key")
        super().__init__(account_id, endpoints.venue, network, shared_public(endpoints, network), endpoints.rest)
        self.endpoints = endpoints
        self.private_url = endpoints.private
        self.rest = BithumbRest(endpoints, network, access_key, secret_key)

    def ban_reason(self) -> str:
        return f"{self.venue} blocked this IP's requests for a while (HTTP 429)"

    def warnings(self) -> list[str]:
        return []  # key scopes are not read yet (GET /v1/api_keys): see the README

    async def _paged(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        key = None
        for _ in range(PAGES):
            answer = await self.rest.request("GET", path, {**params, "next_key": key})
            rows += answer.get("data") or []
            key = answer.get("next_key")
            if not answer.get("has_next") or not key:
                break
        return rows

    async def _open_rows(self, market: str | None) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for state in ("wait", "watch"):  # one state per call: watch cannot be mixed with wait
            rows += await self._paged("/v2/orders/pending", {"market": market, "state": state, "limit": 100})
        return rows

    async def _closed_rows(self, market: str, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        return await self._paged("/v2/orders/history", {
            "market": market, "states": ["done", "cancel"], "start_time": start_ms, "end_time": end_ms,
            "limit": 1000})
