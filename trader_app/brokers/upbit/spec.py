"""Upbit in the ``BrokerRegistry``: the account form's fields and the factory (``brokers/base.py`` ``VenueSpec``).

Upbit has live accounts only (no testnet). The access key and secret key are secrets (OS keyring only); advanced:
base-URL overrides (a regional host such as sg-api.upbit.com, or the tests' fake on 127.0.0.1). Accounts share one
network (``PROFILE.networks()``): the IP's 10 public calls a second, WebSocket connections spaced.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...core.enums import AccountMode
from ...core.errors import AuthError
from ...core.portfolio import Account
from ..base import SettingField, VenueSpec
from ..live.network import Networks
from .account import UpbitAccount
from .urls import LIVE, VENUE, endpoints

FIELDS = (
    SettingField("api_key", "Access key", "secret", required=True, help="from Upbit: Open API management"),
    SettingField("api_secret", "Secret key", "secret", required=True),
    SettingField("rest_url", "REST base URL", "url", advanced=True, help="default: https://api.upbit.com"),
    SettingField("stream_url", "WebSocket base URL", "url", advanced=True,
                 help="public and private streams are below it (/websocket/v1...)"),
)


def upbit_venue(networks: Networks) -> VenueSpec:
    """Upbit accounts (LIVE). The factory raises AuthError without both keys."""

    def build(account: Account, credentials: Mapping[str, str]) -> UpbitAccount:
        s = account.settings
        ep = endpoints(LIVE).with_overrides(rest=s.get("rest_url", ""), stream=s.get("stream_url", ""))
        key, secret = credentials.get("api_key", ""), credentials.get("api_secret", "")
        if not key or not secret:
            raise AuthError(f"account {account.name}: the access key and secret key are not in the keyring")
        return UpbitAccount(account.account_id, ep, networks.get(VENUE, LIVE), key, secret)

    return VenueSpec(VENUE, "Upbit (KRW, BTC and USDT spot)", (AccountMode.LIVE,), FIELDS, build, base_currency="KRW")
