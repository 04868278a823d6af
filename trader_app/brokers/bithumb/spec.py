"""Bithumb in the ``BrokerRegistry``: the account form's fields and the factory (``brokers/base.py`` ``VenueSpec``).

Bithumb has live accounts only (no testnet). The access key and secret key are secrets (OS keyring only); advanced:
base-URL overrides (the tests' fake on 127.0.0.1). Accounts share one network (``PROFILE.networks()``).
"""

from __future__ import annotations

from collections.abc import Mapping

from ...core.enums import AccountMode
from ...core.errors import AuthError
from ...core.portfolio import Account
from ..base import SettingField, VenueSpec
from ..live.network import Networks
from .account import BithumbAccount
from .urls import LIVE, VENUE, endpoints

FIELDS = (
    SettingField("api_key", "Access key", "secret", required=True, help="from Bithumb: API 관리 (the JWT API's key)"),
    SettingField("api_secret", "Secret key", "secret", required=True),
    SettingField("rest_url", "REST base URL", "url", advanced=True, help="default: https://api.bithumb.com"),
    SettingField("stream_url", "WebSocket base URL", "url", advanced=True,
                 help="public and private streams are below it (/websocket/v1, /websocket/v2/private)"),
)


def bithumb_venue(networks: Networks) -> VenueSpec:
    """Bithumb accounts (LIVE). The factory raises AuthError without both keys."""

    def build(account: Account, credentials: Mapping[str, str]) -> BithumbAccount:
        s = account.settings
        ep = endpoints(LIVE).with_overrides(rest=s.get("rest_url", ""), stream=s.get("stream_url", ""))
        key, secret = credentials.get("api_key", ""), credentials.get("api_secret", "")
        if not key or not secret:
            raise AuthError(f"account {account.name}: the access key and secret key are not in the keyring")
        return BithumbAccount(account.account_id, ep, networks.get(VENUE, LIVE), key, secret)

    return VenueSpec(VENUE, "Bithumb (KRW spot)", (AccountMode.LIVE,), FIELDS, build, base_currency="KRW")
