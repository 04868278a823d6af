"""Issue 21 (pluggable auth): a venue that keeps tokens (``VenueSpec.tokens``) gets one keyring-backed cache per
token kind from the account service (the adapter never touches the keyring); the token outlives a restart of
the adapter and goes with the account when it is deleted."""

from __future__ import annotations

import keyring

from trader_app.brokers.base import CachedToken, SettingField, VenueSpec
from trader_app.brokers.paper import PaperBroker
from trader_app.core.enums import AccountMode, SessionState
from trader_app.trading.token_cache import KeyringTokenCache


async def test_a_token_venue_gets_keyring_caches_that_outlive_the_adapter_and_go_with_the_account(env):
    handed = []

    def build(account, credentials, *, tokens):
        handed.append(tokens)
        return PaperBroker(env.exchange, account.account_id)

    env.accounts.registry.register(VenueSpec(
        "tokenvenue", "Token venue", (AccountMode.TESTNET,),
        (SettingField("app_secret", "App secret", "secret", required=True),), build, tokens=("access", "approval")))
    account = await env.accounts.create_account("tokenvenue", AccountMode.TESTNET, "T", {}, {"app_secret": "s3"})
    assert env.accounts.session_state(account.account_id) is SessionState.CONNECTED
    caches = handed[0]
    assert sorted(caches) == ["access", "approval"] and all(isinstance(c, KeyringTokenCache) for c in caches.values())
    await caches["access"].save(CachedToken("tok-123", 9_000_000_000_000, 1))
    # a new adapter of the same account (a restart) reads the same entry
    again = KeyringTokenCache(account.account_id, "access")
    assert (await again.load()).value == "tok-123"
    await env.accounts.delete_account(account.account_id)
    assert keyring.get_password("TraderApp", f"account:{account.account_id}:token:access") is None
    assert keyring.get_password("TraderApp", f"account:{account.account_id}:app_secret") is None
