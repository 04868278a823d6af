"""Secrets (API keys, the admin token, webhook tokens) live only in the OS keyring.

Keys are stored under the service name ``TraderApp`` with user names such as ``account:<id>:api_secret``.
On a machine without a keyring backend, every call raises ``SecretStoreError`` with a plain message; the
app never falls back to writing secrets anywhere else. Values never appear in messages or logs.
"""

from __future__ import annotations

import keyring
from keyring.errors import KeyringError, PasswordDeleteError

from .core.errors import SecretStoreError

SERVICE = "TraderApp"


def get_secret(name: str) -> str | None:
    """The secret stored under ``name``, or None if there is none. Raises ``SecretStoreError``."""
    try:
        return keyring.get_password(SERVICE, name)
    except KeyringError as exc:
        raise SecretStoreError(_explain(exc, name)) from None


def set_secret(name: str, value: str) -> None:
    """Store ``value`` under ``name``. Raises ``SecretStoreError`` when no keyring is available."""
    try:
        keyring.set_password(SERVICE, name, value)
    except KeyringError as exc:
        raise SecretStoreError(_explain(exc, name)) from None


def delete_secret(name: str) -> None:
    """Remove the secret; a missing one is fine. Raises ``SecretStoreError`` when no keyring is available."""
    try:
        keyring.delete_password(SERVICE, name)
    except PasswordDeleteError:
        return
    except KeyringError as exc:
        raise SecretStoreError(_explain(exc, name)) from None


def keyring_available() -> bool:
    """True if a real keyring backend is installed (not keyring's ``fail`` backend)."""
    backend = keyring.get_keyring()
    return "fail" not in type(backend).__module__


def _explain(exc: KeyringError, name: str) -> str:
    return (
        f"the OS keyring could not store or read {name!r} ({type(exc).__name__}). "
        "Install and unlock a keyring (GNOME Keyring/KWallet on Linux, Keychain on macOS, "
        "Credential Manager on Windows); Trader App does not keep secrets in plain text."
    )
