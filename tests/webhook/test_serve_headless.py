"""Headless ``serve`` (issue 13): an encrypted secrets file chosen explicitly, its key from the environment
or a systemd credential; with neither a keyring nor a file, messages that name the fix."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time

import httpx
import keyring
import pytest

from trader_app import secrets as app_secrets
from trader_app.core.errors import ConfigError, SecretStoreError
from trader_app.secret_file import CREDENTIAL_NAME, ENV_SECRETS_KEY, EncryptedFileKeyring, install, secrets_key

KEY = "correct horse battery staple 42"


def test_the_file_keeps_secrets_encrypted_and_reopens_with_the_key(tmp_path, monkeypatch):
    path = tmp_path / "secrets.json"
    backend = EncryptedFileKeyring(path, KEY.encode())
    backend.set_password("TraderApp", "account:a1:api_secret", "s3cr3t-VALUE-xyz")
    backend.set_password("TraderApp", "webhook:trend", "tok-abc-123")
    raw = path.read_bytes()
    for plain in (b"s3cr3t-VALUE-xyz", b"tok-abc-123", b"account:a1", b"webhook:trend"):
        assert plain not in raw  # values and names are encrypted
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = json.loads(raw)
    assert doc["format"] == "trader-app-secrets/1" and doc["kdf"] == "scrypt"
    again = EncryptedFileKeyring(path, KEY.encode())
    assert again.get_password("TraderApp", "account:a1:api_secret") == "s3cr3t-VALUE-xyz"
    again.delete_password("TraderApp", "webhook:trend")
    assert EncryptedFileKeyring(path, KEY.encode()).get_password("TraderApp", "webhook:trend") is None
    with pytest.raises(keyring.errors.PasswordDeleteError):
        again.delete_password("TraderApp", "webhook:trend")


def test_a_wrong_key_or_a_changed_file_is_refused_and_named(tmp_path):
    path = tmp_path / "secrets.json"
    EncryptedFileKeyring(path, KEY.encode()).set_password("TraderApp", "x", "y")
    with pytest.raises(ConfigError, match="cannot decrypt the secrets file .* the key is wrong or the file was changed"):
        EncryptedFileKeyring(path, b"another key of enough length")
    doc = json.loads(path.read_text())
    doc["n"] = 2**14  # a weaker parameter is not accepted silently
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match="not a Trader App secrets file"):
        EncryptedFileKeyring(path, KEY.encode())
    path.write_text("not json")
    with pytest.raises(ConfigError, match="not a Trader App secrets file"):
        EncryptedFileKeyring(path, KEY.encode())


def test_the_key_comes_from_the_environment_or_a_systemd_credential(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_SECRETS_KEY, raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(ConfigError, match=r"TRADER_APP_SECRETS_KEY.*systemd credential trader-app-secrets-key"):
        secrets_key()
    monkeypatch.setenv(ENV_SECRETS_KEY, "short")
    with pytest.raises(ConfigError, match="shorter than 16"):
        secrets_key()
    monkeypatch.delenv(ENV_SECRETS_KEY)
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / CREDENTIAL_NAME).write_bytes(os.urandom(32) + b"\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    material, source = secrets_key()
    assert len(material) >= 32 and source == "the systemd credential trader-app-secrets-key"
    monkeypatch.setenv(ENV_SECRETS_KEY, KEY)
    assert secrets_key() == (KEY.encode(), "$TRADER_APP_SECRETS_KEY")  # the environment comes first


def test_installed_it_is_the_keyring_of_the_app_and_never_discovered(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_SECRETS_KEY, KEY)
    backend = install(tmp_path / "s.json")
    app_secrets.set_secret("account:a1:api_key", "k")
    assert backend.get_password("TraderApp", "account:a1:api_key") == "k"
    assert app_secrets.unsafe_backend_problem() is None  # encrypted: fit for live credentials
    assert not EncryptedFileKeyring.viable  # keyring's discovery never picks it on its own


def test_without_a_keyring_the_message_names_the_headless_fix(monkeypatch):
    from keyring.backends import fail

    monkeypatch.setattr(keyring.core, "_keyring_backend", fail.Keyring())
    with pytest.raises(SecretStoreError, match=r"--secrets-file PATH.*TRADER_APP_SECRETS_KEY"):
        app_secrets.get_secret("api:admin_token")


def _serve(tmp_path, *extra, env_extra=None):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
               **(env_extra or {}))
    env.pop("TRADER_APP_API_TOKEN", None)
    return subprocess.Popen([sys.executable, "-m", "trader_app", "serve", "--data-dir", str(tmp_path / "d"),
                             "--webhook-port", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_serve_on_a_machine_without_a_keyring_runs_from_a_secrets_file_and_a_webhook_fills(tmp_path):
    secrets_path = tmp_path / "secrets.json"
    proc = _serve(tmp_path, "--secrets-file", str(secrets_path), "--print-admin-token",
                  env_extra={ENV_SECRETS_KEY: KEY})
    try:
        first = proc.stdout.readline()
        assert first.startswith("listening on http://127.0.0.1:"), (first, proc.stderr.read() if proc.poll() else "")
        url = first.split()[-1]
        proc.stdout.readline()  # the webhook / REST API line
        token_line = proc.stdout.readline()
        assert token_line.startswith("admin token: ")
        admin = token_line.split()[-1]
        h = {"Authorization": f"Bearer {admin}"}
        with httpx.Client(base_url=url, timeout=20) as client:
            deadline = time.monotonic() + 60
            while client.get("/api/v1/health").status_code != 200:  # the demo market prices BTC/USDT
                assert time.monotonic() < deadline, client.get("/api/v1/health").text
                time.sleep(0.2)
            account = client.get("/api/v1/accounts", headers=h).json()[0]["account_id"]
            r = client.post("/api/v1/strategies", headers=h, json={
                "group_name": "trend", "market_type": "SPOT", "accounts": [{"account_id": account, "weight": 1}]})
            assert r.status_code == 201, r.text
            webhook_token = r.json()["webhook_token"]
            r = client.post("/api/webhook", json={"group_name": "trend", "token": webhook_token, "symbol": "BTC/USDT",
                                                  "order_type": "MARKET", "side": "buy", "qty_per": 10})
            assert r.status_code == 200, r.text
            assert [x["status"] for x in r.json()["results"]] == ["FILLED"]
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        raw = secrets_path.read_bytes()
        assert admin.encode() not in raw and webhook_token.encode() not in raw
        assert admin not in err and webhook_token not in err
        # the tokens survive a restart from the same file and key
        backend = EncryptedFileKeyring(secrets_path, KEY.encode())
        assert backend.get_password("TraderApp", "api:admin_token") == admin
        assert backend.get_password("TraderApp", "webhook:trend") == webhook_token
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_refuses_a_secrets_file_without_its_key_or_with_a_wrong_one(tmp_path):
    secrets_path = tmp_path / "secrets.json"
    EncryptedFileKeyring(secrets_path, KEY.encode()).set_password("TraderApp", "x", "y")
    env = {k: v for k, v in os.environ.items() if k not in (ENV_SECRETS_KEY, "CREDENTIALS_DIRECTORY")}
    proc = subprocess.run([sys.executable, "-m", "trader_app", "serve", "--data-dir", str(tmp_path / "d"),
                           "--webhook-port", "0", "--no-demo", "--secrets-file", str(secrets_path)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2 and "listening" not in proc.stdout
    assert "TRADER_APP_SECRETS_KEY" in proc.stderr and "trader-app-secrets-key" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "trader_app", "serve", "--data-dir", str(tmp_path / "d"),
                           "--webhook-port", "0", "--no-demo", "--secrets-file", str(secrets_path)],
                          capture_output=True, text=True, env={**env, ENV_SECRETS_KEY: "a wrong key of enough length"},
                          timeout=120)
    assert proc.returncode == 2 and "cannot decrypt the secrets file" in proc.stderr


def test_serve_without_keyring_or_file_says_how_to_run_headless(tmp_path):
    proc = _serve(tmp_path, "--no-demo", "--print-admin-token")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert "listening" not in out  # it no longer says "listening" and then exits
    assert "--secrets-file" in err and "TRADER_APP_API_TOKEN" in err and "TRADER_APP_SECRETS_KEY" in err
