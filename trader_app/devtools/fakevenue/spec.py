"""The fake venue as a ``VenueSpec`` (``brokers/base.py``), for the dev tools that run the whole app against
it (the crash harness): accounts of mode TESTNET whose settings name the venue's REST and WebSocket bases.
Never registered by the product's composition root; a dev tool registers it on the services it builds."""

from __future__ import annotations

from collections.abc import Mapping

from ...brokers.base import SettingField, VenueSpec
from ...core.enums import AccountMode
from ...core.portfolio import Account
from .broker import ORDER_ENTRY, FakeVenueBroker
from .venue import VENUE

FIELDS = (
    SettingField("rest_url", "REST base URL", "url", required=True, help="http://127.0.0.1:PORT"),
    SettingField("ws_url", "WebSocket API base URL", "url", help="ws://127.0.0.1:PORT (order entry over WebSocket)"),
    SettingField("order_entry", "Order entry", "choice", choices=ORDER_ENTRY, default="ws"),
)


def fake_venue_spec() -> VenueSpec:
    """The fake venue's spec: the account's id is its account name at the venue."""

    def build(account: Account, credentials: Mapping[str, str]) -> FakeVenueBroker:
        entry = account.settings.get("order_entry", "ws")
        return FakeVenueBroker(account.settings["rest_url"], account.account_id,
                               ws_url=account.settings.get("ws_url") or None,
                               order_entry=entry if account.settings.get("ws_url") else "rest")

    return VenueSpec(VENUE, "Fake venue (dev tools)", (AccountMode.TESTNET,), FIELDS, build)
