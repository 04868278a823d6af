"""Secrets (API keys, the admin token, webhook tokens) live only in the OS keyring.

Keys are stored under the service name ``TraderApp`` with user names such as ``account:<id>:api_secret``.
On a machine without a keyring backend, every call raises ``SecretStoreError`` with a plain message; the
app never falls back to writing secrets anywhere else. Headless ``serve`` may be given an encrypted secrets
file instead, explicitly (``secret_file.py``). Values never appear in messages or logs.
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


HEADLESS_FIX = ("On a machine without a desktop (a VPS), run `trader-app serve --secrets-file PATH` with the "
                "file's key in $TRADER_APP_SECRETS_KEY or the systemd credential trader-app-secrets-key "
                "(README, \"Headless serve\").")


def _explain(exc: KeyringError, name: str) -> str:
    if type(exc).__name__ == "SecretsFileError":  # the secrets file's own message names the file and reason
        return str(exc)
    return (
        f"the OS keyring could not store or read {name!r} ({type(exc).__name__}). "
        "Install and unlock a keyring (GNOME Keyring/KWallet on Linux, Keychain on macOS, "
        "Credential Manager on Windows); Trader App does not keep secrets in plain text. " + HEADLESS_FIX
    )


# ---- account credentials -----------------------------------------------------------------------------------
_UNSAFE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


def unsafe_backend_problem() -> str | None:
    """Why the installed keyring backend must not hold live credentials, or None when it is a real OS
    keyring. Refused: no backend (``fail``), the ``null`` backend (forgets everything) and keyrings.alt's
    files (plain text, or an encrypted file that prompts on stdin). The message names the fix per OS."""
    backend = keyring.get_keyring()
    backends = list(getattr(backend, "backends", ()) or [backend])  # a ChainerBackend: its first one writes
    first = backends[0] if backends else backend
    module = type(first).__module__
    if not module.startswith(_UNSAFE_MODULES):
        return None
    return (f"the keyring backend {type(first).__name__} ({module}) does not keep secrets safely, so Trader App "
            "will not store API keys in it. Linux: run a Secret Service (GNOME Keyring or KWallet, unlocked in "
            "your desktop session); macOS: the login Keychain; Windows: Credential Manager. Remove keyrings.alt "
            "or set PYTHON_KEYRING_BACKEND to the OS keyring. Paper accounts need no secret.")


def account_secret_name(account_id: str, field: str) -> str:
    """The keyring user name of an account's secret field: ``account:<id>:<field>``."""
    return f"account:{account_id}:{field}"
