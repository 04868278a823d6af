"""Authentication of the local HTTP API.

- Webhook requests carry the strategy group's token in the payload (``token``), checked by
  ``GroupService.verify_token`` (constant time).
- The REST API under ``/api/v1`` wants ``Authorization: Bearer <admin token>``. The admin token comes from
  ``TRADER_APP_API_TOKEN`` when set; otherwise it is generated on first use (``secrets.token_urlsafe(32)``,
  256 bits) and kept in the OS keyring under ``api:admin_token``. It is compared with
  ``hmac.compare_digest`` and never logged.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import secrets as _random

from .. import secrets as keyring_secrets
from ..core.errors import SecretStoreError
from ..core.offloop import run_blocking

ENV_API_TOKEN = "TRADER_APP_API_TOKEN"
ADMIN_SECRET = "api:admin_token"


def load_admin_token() -> str:
    """The admin token: ``$TRADER_APP_API_TOKEN`` if set, else the keyring's (created there on first use).

    Blocking (keyring I/O): call it through ``run_blocking`` from the loop. Raises ``SecretStoreError``
    when no keyring is available and the environment variable is not set.
    """
    env = os.environ.get(ENV_API_TOKEN, "").strip()
    if env:
        return env
    try:
        token = keyring_secrets.get_secret(ADMIN_SECRET)
        if not token:
            token = _random.token_urlsafe(32)
            keyring_secrets.set_secret(ADMIN_SECRET, token)
    except SecretStoreError as exc:
        raise SecretStoreError(f"the REST API has no admin token: {exc} For the REST API alone, {ENV_API_TOKEN} "
                               "may hold one (a long random string).") from None
    return token


def rotate_admin_token() -> str:
    """Replace the keyring's admin token with a new one and return it (the environment variable, when set,
    still wins in ``load_admin_token``)."""
    token = _random.token_urlsafe(32)
    keyring_secrets.set_secret(ADMIN_SECRET, token)
    return token


class AdminAuth:
    """Checks bearer tokens against the admin token (loaded once, lazily, off the loop)."""

    def __init__(self, token: str | None = None) -> None:
        self._token = token
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        if self._token is None:
            async with self._lock:
                if self._token is None:
                    self._token = await run_blocking(load_admin_token)
        return self._token

    async def check(self, authorization: str | None) -> bool:
        """True if ``authorization`` is ``Bearer <admin token>`` (scheme case-insensitive)."""
        expected = (await self.token()).encode("utf-8")
        provided = b""
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() == "bearer":
                provided = value.strip().encode("utf-8")
        return hmac.compare_digest(provided, expected)

    def forget(self) -> None:
        """Drop the cached token (after a rotation)."""
        self._token = None
