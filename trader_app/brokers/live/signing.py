"""Request signatures the venues specify: HMAC-SHA256 (hex) and Ed25519 (base64).

Which bytes are signed is each venue's rule and lives with the venue (Binance REST: the query string
concatenated with the body, percent-encoded; Binance WebSocket API: the parameters sorted by name, joined
``k=v&...``, not encoded; https://developers.binance.com/docs/binance-spot-api-docs/rest-api/request-security).
This module only turns those bytes into a signature. Keys and secrets never appear in an error text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from ...core.errors import AuthError


def hmac_sha256_hex(secret: str, payload: str) -> str:
    """HMAC-SHA256 of the UTF-8 ``payload`` keyed with the UTF-8 ``secret``, as 64 lower-case hex digits."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def normalize_pem(text: str) -> str:
    """PEM text as pasted into a one-line field (newlines turned into spaces, or lost) made whole again:
    ``-----BEGIN X-----``, the base64 body in 64-character lines, ``-----END X-----``."""
    text = text.strip()
    if "\n" in text or not text.startswith("-----BEGIN "):
        return text if text.endswith("\n") else text + "\n"
    head_end = text.index("-----", len("-----BEGIN ")) + 5
    foot_start = text.rindex("-----END ")
    body = "".join(text[head_end:foot_start].split())
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join([text[:head_end], *lines, text[foot_start:]]) + "\n"


def load_ed25519(private_key_pem: str) -> Ed25519PrivateKey:
    """An Ed25519 private key from its PEM text (PKCS#8, unencrypted; pasted on one line is fine). Raises
    AuthError (without the key's text) when it is not one."""
    try:
        key = load_pem_private_key(normalize_pem(private_key_pem).encode(), password=None)
    except (ValueError, TypeError):
        raise AuthError("the API secret is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise AuthError("the API secret is a private key, but not an Ed25519 one")
    return key


def ed25519_b64(key: Ed25519PrivateKey, payload: str) -> str:
    """The Ed25519 signature of the UTF-8 ``payload``, base64 (standard alphabet, padded)."""
    return base64.b64encode(key.sign(payload.encode())).decode()


def is_pem_key(secret: str) -> bool:
    """True if ``secret`` looks like a PEM private key (an Ed25519/RSA key pair) rather than an HMAC secret."""
    return secret.lstrip().startswith("-----BEGIN")
