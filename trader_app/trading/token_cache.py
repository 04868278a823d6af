"""``KeyringTokenCache``: the ``TokenCache`` (``brokers/base.py``) the account service hands an adapter whose venue
keeps tokens (``VenueSpec.tokens``): one OS-keyring entry per account and kind, ``account:<id>:token:<kind>``,
holding the token as JSON (value, expiry, issue time). Keyring calls run off the loop. A token is a secret: it
is never written to the store, a file or a log.
"""

from __future__ import annotations

from .. import secrets as keyring_secrets
from ..brokers.base import CachedToken
from ..core.offloop import run_blocking


def token_secret_name(account_id: str, kind: str) -> str:
    """The keyring user name of an account's token of ``kind``: ``account:<id>:token:<kind>``."""
    return keyring_secrets.account_secret_name(account_id, f"token:{kind}")


class KeyringTokenCache:
    """One account's token of one ``kind`` in the OS keyring. Raises ``SecretStoreError`` when the keyring
    cannot be used (``load`` too: the adapter then asks the venue for a token, as on a first run)."""

    def __init__(self, account_id: str, kind: str) -> None:
        self.name = token_secret_name(account_id, kind)

    async def load(self) -> CachedToken | None:
        text = await run_blocking(keyring_secrets.get_secret, self.name)
        return CachedToken.from_text(text) if text else None

    async def save(self, token: CachedToken) -> None:
        await run_blocking(keyring_secrets.set_secret, self.name, token.to_text())

    async def clear(self) -> None:
        await run_blocking(keyring_secrets.delete_secret, self.name)
