"""Signatures against the venues' published vectors (tests/reference/test_vectors.json) and random keys."""

from __future__ import annotations

import secrets

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from trader_app.brokers.live.signing import ed25519_b64, hmac_sha256_hex, is_pem_key, load_ed25519
from fakes.reference import vectors
from trader_app.core.errors import AuthError

VECTORS = vectors()


@pytest.mark.parametrize("vector", [v for v in VECTORS if v["id"].startswith("BIN-") and "HMAC" in v["id"]],
                         ids=lambda v: v["id"])
def test_binance_hmac_vectors(vector):
    assert hmac_sha256_hex(vector["secret"], vector["input"]) == vector["expected"]


def test_ed25519_signature_verifies_with_the_public_key_and_a_bad_key_is_refused_without_its_text():
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    assert is_pem_key(pem) and not is_pem_key(secrets.token_hex(32))
    loaded = load_ed25519(pem)
    assert load_ed25519(pem.replace("\n", " ")).public_key().public_bytes_raw() == key.public_key().public_bytes_raw()
    payload = "apiKey=abc&timestamp=1649729878532"
    import base64

    key.public_key().verify(base64.b64decode(ed25519_b64(loaded, payload)), payload.encode())  # raises if wrong
    bogus = "-----BEGIN PRIVATE KEY-----\nnot-a-key-SECRETTEXT\n-----END PRIVATE KEY-----\n"
    with pytest.raises(AuthError) as err:
        load_ed25519(bogus)
    assert "SECRETTEXT" not in str(err.value)
