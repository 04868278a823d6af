"""The ``VenueSpec`` (``brokers/base.py``) of a KRW exchange of the ``ticket_*`` family: live accounts only (these
venues have no testnet), reporting in KRW; the access key and secret key are secrets (OS keyring only); advanced:
base-URL overrides (a regional host, the tests' fake on 127.0.0.1). Accounts share the venue's network."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ...core.enums import AccountMode
from ...core.errors import AuthError
from ...core.portfolio import Account
from ..base import SettingField, VenueSpec
from .network import Networks
from .ticket_feed import TicketEndpoints


def ticket_fields(key_help: str, ep: TicketEndpoints) -> tuple[SettingField, ...]:
    """The account form: the keys (``key_help``: where the venue issues them) and the bases of ``ep``."""
    return (
        SettingField("api_key", "Access key", "secret", required=True, help=key_help),
        SettingField("api_secret", "Secret key", "secret", required=True),
        SettingField("rest_url", "REST base URL", "url", advanced=True, help=f"default: {ep.rest}"),
        SettingField("stream_url", "WebSocket base URL", "url", advanced=True,
                     help=f"the streams are below it ({ep.public_path}, {ep.private_path})"),
    )


def ticket_venue(networks: Networks, label: str, ep: TicketEndpoints, key_help: str,
                 account: Callable[[str, TicketEndpoints, Any, str, str], Any]) -> VenueSpec:
    """The venue of ``ep.venue``: ``account(account_id, endpoints, network, access_key, secret_key)`` builds one
    account's adapter. The factory raises AuthError without both keys."""

    def build(acc: Account, credentials: Mapping[str, str]) -> Any:
        s = acc.settings
        here = ep.with_overrides(rest=s.get("rest_url", ""), stream=s.get("stream_url", ""))
        key, secret = credentials.get("api_key", ""), credentials.get("api_secret", "")
        if not key or not secret:
            raise AuthError(f"account {acc.name}: the access key and secret key are not in the keyring")
        return account(acc.account_id, here, networks.get(ep.venue, "live"), key, secret)

    return VenueSpec(ep.venue, label, (AccountMode.LIVE,), ticket_fields(key_help, ep), build, base_currency="KRW")
