"""An encrypted secrets file, for running ``trader-app serve`` where there is no OS keyring (a VPS, a container).

Chosen explicitly, never a fallback: ``--secrets-file PATH`` or ``$TRADER_APP_SECRETS_FILE``. Its key comes
from one of two places, in this order:

1. ``$TRADER_APP_SECRETS_KEY``: a passphrase of at least 16 characters (``openssl rand -base64 32``);
2. a systemd credential named ``trader-app-secrets-key`` (``LoadCredential=`` or ``LoadCredentialEncrypted=``
   in the unit; systemd exposes it as ``$CREDENTIALS_DIRECTORY/trader-app-secrets-key``, readable only by
   the service).

Without either, the app refuses to start and says how to give one. The file is then installed as the keyring
backend, so every secret (the admin token, webhook tokens, account API keys) goes there and nowhere else.

Format (JSON, one object): ``{"format": "trader-app-secrets/1", "kdf": "scrypt", "salt", "n", "r", "p",
"nonce", "ciphertext"}``, binary fields base64. The plaintext is the JSON map ``{service: {name: value}}``,
encrypted whole with AES-256-GCM (``cryptography``'s AESGCM, a fresh 96-bit nonce per write) under a key
derived with scrypt (RFC 7914; n=2**15, r=8, p=1, a 16-byte random salt per file); the header fields are the
associated data, so a changed parameter fails authentication like a changed byte. Names are encrypted too.
Writes go to a temporary file (mode 0600) that replaces the old one atomically.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from pathlib import Path

import keyring
import keyring.backend
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from keyring.errors import KeyringError, PasswordDeleteError

from .core.errors import ConfigError

ENV_SECRETS_FILE = "TRADER_APP_SECRETS_FILE"
ENV_SECRETS_KEY = "TRADER_APP_SECRETS_KEY"
CREDENTIAL_NAME = "trader-app-secrets-key"
FORMAT = "trader-app-secrets/1"
MIN_PASSPHRASE = 16
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1

HOW_TO_KEY = (f"give its key in ${ENV_SECRETS_KEY} (a passphrase of {MIN_PASSPHRASE}+ characters, e.g. from "
              f"`openssl rand -base64 32`) or as the systemd credential {CREDENTIAL_NAME} "
              f"(LoadCredential={CREDENTIAL_NAME}:/path/to/key in the service unit)")


class SecretsFileError(KeyringError):
    """The secrets file cannot be read or written; the message names the file and the reason (never a value)."""


def secrets_key() -> tuple[bytes, str]:
    """The key material and where it came from (for messages): ``$TRADER_APP_SECRETS_KEY``, else the systemd
    credential. Raises ``ConfigError`` naming both ways when there is none or the passphrase is too short."""
    env = os.environ.get(ENV_SECRETS_KEY, "")
    if env:
        if len(env.strip()) < MIN_PASSPHRASE:
            raise ConfigError(f"${ENV_SECRETS_KEY} is shorter than {MIN_PASSPHRASE} characters: use a long random "
                              "passphrase (`openssl rand -base64 32`)")
        return env.strip().encode("utf-8"), f"${ENV_SECRETS_KEY}"
    directory = os.environ.get("CREDENTIALS_DIRECTORY", "")
    if directory:
        path = Path(directory) / CREDENTIAL_NAME
        try:
            data = path.read_bytes().rstrip(b"\r\n")
        except FileNotFoundError:
            data = b""
        except OSError as exc:
            raise ConfigError(f"cannot read the systemd credential {path}: {exc.strerror}") from None
        if len(data) >= MIN_PASSPHRASE:
            return data, f"the systemd credential {CREDENTIAL_NAME}"
        if data:
            raise ConfigError(f"the systemd credential {CREDENTIAL_NAME} is shorter than {MIN_PASSPHRASE} bytes")
    raise ConfigError(f"a secrets file needs a key: {HOW_TO_KEY}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object, what: str) -> bytes:
    if not isinstance(text, str):
        raise ValueError(what)
    return base64.b64decode(text, validate=True)


class EncryptedFileKeyring(keyring.backend.KeyringBackend):
    """A keyring backend over one encrypted file (see the module docstring for the format).

    ``EncryptedFileKeyring(path, key_material, key_source)``: opening checks the key against an existing
    file at once (``ConfigError``: wrong key or a damaged file). Thread-safe (the app calls the keyring from
    worker threads). Never discovered automatically: its ``priority`` refuses, so only ``install`` uses it.
    """

    @keyring.backend.properties.classproperty
    def priority(cls) -> float:  # noqa: N805 - keyring's classproperty
        raise RuntimeError("the secrets file is chosen explicitly (--secrets-file), never discovered")

    def __init__(self, path: Path, key_material: bytes, key_source: str = "the key") -> None:
        super().__init__()
        self.path = Path(path)
        self.key_source = key_source
        self._material = key_material
        self._lock = threading.Lock()
        self._salt = os.urandom(16)
        self._entries: dict[str, dict[str, str]] = {}
        if self.path.exists():
            self._entries = self._read()
        self._key = self._derive(self._salt)

    # -- keyring API -------------------------------------------------------------------------------------
    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._entries.get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            self._entries.setdefault(service, {})[username] = password
            self._write()

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            names = self._entries.get(service, {})
            if username not in names:
                raise PasswordDeleteError(username)
            del names[username]
            self._write()

    # -- file ----------------------------------------------------------------------------------------------
    def _derive(self, salt: bytes) -> bytes:
        return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(self._material)

    @staticmethod
    def _aad(salt: bytes) -> bytes:
        return json.dumps([FORMAT, "scrypt", _b64(salt), SCRYPT_N, SCRYPT_R, SCRYPT_P]).encode("ascii")

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                raise ValueError("format")
            if (doc.get("kdf"), doc.get("n"), doc.get("r"), doc.get("p")) != ("scrypt", SCRYPT_N, SCRYPT_R, SCRYPT_P):
                raise ValueError("kdf")
            salt = _unb64(doc.get("salt"), "salt")
            nonce = _unb64(doc.get("nonce"), "nonce")
            sealed = _unb64(doc.get("ciphertext"), "ciphertext")
        except OSError as exc:
            raise ConfigError(f"cannot read the secrets file {self.path}: {exc.strerror}") from None
        except (ValueError, UnicodeDecodeError):
            raise ConfigError(f"{self.path} is not a Trader App secrets file ({FORMAT})") from None
        try:
            plain = AESGCM(self._derive(salt)).decrypt(nonce, sealed, self._aad(salt))
        except InvalidTag:
            raise ConfigError(f"cannot decrypt the secrets file {self.path} with {self.key_source}: the key is "
                              "wrong or the file was changed") from None
        entries = json.loads(plain)
        self._salt = salt
        return {str(s): {str(k): str(v) for k, v in names.items()} for s, names in entries.items()}

    def _write(self) -> None:
        nonce = os.urandom(12)
        plain = json.dumps(self._entries, sort_keys=True).encode("utf-8")
        sealed = AESGCM(self._key).encrypt(nonce, plain, self._aad(self._salt))
        doc = {"format": FORMAT, "kdf": "scrypt", "salt": _b64(self._salt), "n": SCRYPT_N, "r": SCRYPT_R,
               "p": SCRYPT_P, "nonce": _b64(nonce), "ciphertext": _b64(sealed)}
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            raise SecretsFileError(f"cannot write the secrets file {self.path}: {exc.strerror}") from None


def install(path: str | Path) -> EncryptedFileKeyring:
    """Open (or prepare to create) the secrets file at ``path`` with :func:`secrets_key` and make it the
    keyring backend of this process. Raises ``ConfigError`` (no key, wrong key, not a secrets file)."""
    material, source = secrets_key()
    backend = EncryptedFileKeyring(Path(path).expanduser(), material, source)
    keyring.set_keyring(backend)
    return backend


def chosen_path(flag: str | None) -> str | None:
    """The secrets file asked for: ``--secrets-file`` if given, else ``$TRADER_APP_SECRETS_FILE``, else None."""
    return flag or os.environ.get(ENV_SECRETS_FILE) or None
