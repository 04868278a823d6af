"""Binance in the ``BrokerRegistry``: the account form's fields and the factory (``brokers/base.py`` ``VenueSpec``).

Spot accounts are venue ``binance``, USD-M futures accounts venue ``binanceusdm``; mode TESTNET uses https://testnet.binance.vision, LIVE the real venue. The
API key and secret are secrets (OS keyring only). Advanced: base-URL overrides (a regional host, or the tests'
fake on 127.0.0.1). Every account of the venue shares one ``VenueNetwork`` (connections, weight budget, clock,
public market data), made by the venue profile's ``networks()`` (``profile.py``).
"""

from __future__ import annotations

from collections.abc import Mapping

from ...core.enums import AccountMode
from ...core.errors import AuthError
from ...core.portfolio import Account
from ..base import SettingField, VenueSpec
from ..live.network import Networks
from .futures import BinanceFutures
from .spot import BinanceSpot
from .urls import FUTURES, LIVE, SPOT, TESTNET, endpoints

SPOT_FIELDS = (
    SettingField("api_key", "API key", "secret", required=True, help="from Binance: API Management"),
    SettingField("api_secret", "API secret", "secret", required=True,
                 help="the HMAC secret, or the PEM private key of an Ed25519 key"),
    SettingField("rest_url", "REST base URL", "url", advanced=True, help="default: Binance's own for the mode"),
    SettingField("stream_url", "Market streams URL", "url", advanced=True),
    SettingField("ws_api_url", "WebSocket API URL", "url", advanced=True, help="user data (orders, fills, balances)"),
    SettingField("order_entry", "Order entry", "choice", choices=("ws", "rest"), default="ws", advanced=True,
                 help="ws: orders over the account's WebSocket API connection (faster); rest: over HTTPS"),
)


def binance_spot_venue(networks: Networks) -> VenueSpec:
    """Binance spot accounts (TESTNET or LIVE). The factory raises AuthError without a key and secret."""

    def build(account: Account, credentials: Mapping[str, str]) -> BinanceSpot:
        environment = TESTNET if account.mode is AccountMode.TESTNET else LIVE
        s = account.settings
        ep = endpoints(SPOT, environment).with_overrides(rest=s.get("rest_url", ""), stream=s.get("stream_url", ""),
                                                         ws_api=s.get("ws_api_url", ""))
        key, secret = credentials.get("api_key", ""), credentials.get("api_secret", "")
        if not key or not secret:
            raise AuthError(f"account {account.name}: the API key and secret are not in the keyring")
        return BinanceSpot(account.account_id, ep, networks.get(ep.venue, environment), key, secret,
                           live=environment == LIVE, order_entry=s.get("order_entry", "ws") or "ws")

    return VenueSpec("binance", "Binance spot", (AccountMode.TESTNET, AccountMode.LIVE), SPOT_FIELDS, build)


FUTURES_FIELDS = SPOT_FIELDS[:3] + (
    SettingField("stream_url", "Streams URL", "url", advanced=True, help="market data and the listenKey user data"),
)


def binance_futures_venue(networks: Networks) -> VenueSpec:
    """Binance USD-M futures accounts (TESTNET: testnet.binancefuture.com, or LIVE), one-way mode."""

    def build(account: Account, credentials: Mapping[str, str]) -> BinanceFutures:
        environment = TESTNET if account.mode is AccountMode.TESTNET else LIVE
        s = account.settings
        ep = endpoints(FUTURES, environment).with_overrides(rest=s.get("rest_url", ""), stream=s.get("stream_url", ""))
        key, secret = credentials.get("api_key", ""), credentials.get("api_secret", "")
        if not key or not secret:
            raise AuthError(f"account {account.name}: the API key and secret are not in the keyring")
        return BinanceFutures(account.account_id, ep, networks.get(ep.venue, environment), key, secret,
                              live=environment == LIVE)

    return VenueSpec("binanceusdm", "Binance USD-M futures", (AccountMode.TESTNET, AccountMode.LIVE), FUTURES_FIELDS,
                     build)
