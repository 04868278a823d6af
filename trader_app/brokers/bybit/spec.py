"""Bybit in the ``BrokerRegistry``: the account form's fields and the factory (``brokers/base.py`` ``VenueSpec``).

One account is one unified trading account (spot and USDT perpetuals); mode TESTNET uses api-testnet.bybit.com,
LIVE the real venue. The API key and secret are secrets (OS keyring only); advanced: base-URL overrides (a
regional host such as api.bytick.com, or the tests' fake on 127.0.0.1). Accounts of one environment share one
network (``PROFILE.networks()``): the IP's 600 requests per 5 s, connections spaced (Bybit limits new connections
per IP).
"""

from __future__ import annotations

from collections.abc import Mapping

from ...core.enums import AccountMode
from ...core.errors import AuthError
from ...core.portfolio import Account
from ..base import SettingField, VenueSpec
from ..live.network import Networks
from .account import BybitAccount
from .urls import LIVE, TESTNET, VENUE, endpoints

FIELDS = (
    SettingField("api_key", "API key", "secret", required=True, help="from Bybit: API management (system-generated, HMAC)"),
    SettingField("api_secret", "API secret", "secret", required=True),
    SettingField("rest_url", "REST base URL", "url", advanced=True, help="default: Bybit's own for the mode"),
    SettingField("stream_url", "WebSocket base URL", "url", advanced=True,
                 help="public, private and trade streams are below it (/v5/...)"),
    SettingField("order_entry", "Order entry", "choice", choices=("ws", "rest"), default="ws", advanced=True,
                 help="ws: orders over the account's trade API connection (faster), REST when it is down"),
)


def bybit_venue(networks: Networks) -> VenueSpec:
    """Bybit unified accounts (TESTNET or LIVE). The factory raises AuthError without a key and secret."""

    def build(account: Account, credentials: Mapping[str, str]) -> BybitAccount:
        environment = TESTNET if account.mode is AccountMode.TESTNET else LIVE
        s = account.settings
        ep = endpoints(environment).with_overrides(rest=s.get("rest_url", ""), stream=s.get("stream_url", ""))
        key, secret = credentials.get("api_key", ""), credentials.get("api_secret", "")
        if not key or not secret:
            raise AuthError(f"account {account.name}: the API key and secret are not in the keyring")
        return BybitAccount(account.account_id, ep, networks.get(VENUE, environment), key, secret,
                            live=environment == LIVE, order_entry=s.get("order_entry", "ws") or "ws")

    return VenueSpec(VENUE, "Bybit (unified: spot and USDT perpetuals)", (AccountMode.TESTNET, AccountMode.LIVE),
                     FIELDS, build)
