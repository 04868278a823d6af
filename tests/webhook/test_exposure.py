"""The exposed listener (issue 12): TLS required off loopback, allowlist before the body, trusted proxies,
the REST API on this machine only, a rate limit per source logged once a minute, and TradingView's client
certificate checked, driven by a real HTTPS client against a real listener."""

from __future__ import annotations

import datetime as dt
import logging
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from trader_app.app import build_services
from trader_app.config import Settings
from trader_app.core.errors import ConfigError
from trader_app.webhook.exposure import (
    TRADINGVIEW_ADDRESSES,
    ExposurePolicy,
    exposure_problem,
    networks,
    policy_from,
)
from trader_app.webhook.guard import ListenerGuard, json_depth


async def _ok(scope, receive, send):
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b"{}"})


def _client(app, source: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(source, 40000)), base_url="http://t")


def test_sources_allowlist_and_proxies():
    p = ExposurePolicy(allow=networks(["tradingview", "10.0.0.0/8"]), proxies=networks(["127.0.0.1"]))
    assert all(p.allowed(a) for a in TRADINGVIEW_ADDRESSES) and p.allowed("10.1.2.3")
    assert not p.allowed("203.0.113.9") and not p.allowed("not an ip")
    assert p.source("127.0.0.1", "203.0.113.9, 52.89.214.238") == "52.89.214.238"  # the proxy's own hop
    assert p.source("127.0.0.1", "52.89.214.238, 127.0.0.1") == "52.89.214.238"  # trusted hops skipped
    assert p.source("198.51.100.1", "52.89.214.238") == "198.51.100.1"  # an untrusted peer's header is ignored
    with pytest.raises(ConfigError, match="not an address or network"):
        networks(["10.0.0.0/33"])
    assert json_depth(b'{"a": [[["]]]]]"]]]}') == 4 and json_depth(b"[" * 900) == 900 and json_depth(b"7") == 0


async def test_the_allowlist_and_the_api_rule_refuse_before_the_body_is_read():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["path"])
        await _ok(scope, receive, send)

    guard = ListenerGuard(app, ExposurePolicy(allow=networks(["tradingview", "127.0.0.1"])))
    async with _client(guard, "203.0.113.9") as c:
        r = await c.post("/api/webhook", content=b"x" * 10)
        assert r.status_code == 403 and "allowlist" in r.json()["detail"]
    async with _client(guard, TRADINGVIEW_ADDRESSES[0]) as c:
        assert (await c.post("/api/webhook", content=b"{}")).status_code == 200
        r = await c.get("/api/v1/accounts")
        assert r.status_code == 403 and "this machine only" in r.json()["detail"]
        assert (await c.get("/api/v1/health")).status_code == 200
    async with _client(guard, "127.0.0.1") as c:
        assert (await c.get("/api/v1/accounts")).status_code == 200
    assert seen == ["/api/webhook", "/api/v1/health", "/api/v1/accounts"]


async def test_a_flood_is_rate_limited_per_source_and_logged_once_a_minute(caplog):
    now = [1000.0]
    guard = ListenerGuard(_ok, ExposurePolicy(rate_per_s=2.0, burst=5), clock=lambda: now[0])
    caplog.set_level(logging.WARNING, logger="trader_app.webhook.guard")
    async with _client(guard, "198.51.100.7") as c:
        codes = [(await c.post("/api/webhook", content=b"{}")).status_code for _ in range(200)]
        assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}
        r = await c.post("/api/webhook", content=b"{}")
        assert r.headers["retry-after"] == "1"
        now[0] += 1.0  # two tokens back
        assert [(await c.post("/api/webhook", content=b"{}")).status_code for _ in range(3)] == [200, 200, 429]
    async with _client(guard, "198.51.100.8") as c:  # another source has its own bucket
        assert (await c.post("/api/webhook", content=b"{}")).status_code == 200
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "198.51.100.7" in lines[0] and "429" in lines[0]  # not 196 lines
    now[0] += 61
    async with _client(guard, "198.51.100.7") as c:
        for _ in range(20):
            await c.post("/api/webhook", content=b"{}")
    assert len(caplog.records) == 2 and "refused " in caplog.records[1].getMessage()


def test_off_loopback_the_listener_needs_tls(tmp_path):
    settings = Settings()
    settings.webhook.host = "0.0.0.0"
    assert "plain HTTP" in exposure_problem(settings, tmp_path)
    settings.webhook.tls_self_signed = True
    assert exposure_problem(settings, tmp_path) is None
    assert (tmp_path / "tls" / "cert.pem").is_file() and (tmp_path / "tls" / "key.pem").stat().st_mode & 0o077 == 0
    settings.webhook.host = "127.0.0.1"
    settings.webhook.tls_self_signed = False
    assert exposure_problem(settings, tmp_path) is None and not policy_from(settings).exposed


# ---- a real HTTPS listener -----------------------------------------------------------------------------
def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TradingView, Inc.")])


def _cert(subject: str, key, issuer_name, issuer_key, *, ca: bool = False, ip: str | None = None):
    now = dt.datetime.now(dt.timezone.utc)
    b = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer_name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ip:
        import ipaddress

        b = b.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def _write(folder: Path, name: str, cert, key) -> tuple[str, str]:
    c, k = folder / f"{name}.pem", folder / f"{name}.key"
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    return str(c), str(k)


def _listen_address() -> tuple[str, bool]:
    """A non-loopback address on this machine (added to lo, needs root) or a second loopback address."""
    addr = "10.213.77.1"
    try:
        done = subprocess.run(["ip", "addr", "add", f"{addr}/32", "dev", "lo"], capture_output=True, timeout=10)
        shown = subprocess.run(["ip", "addr", "show", "dev", "lo"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):  # no `ip` on this machine
        return "127.0.0.2", False
    if addr in shown.stdout:
        return addr, done.returncode == 0
    return "127.0.0.2", False


async def test_https_with_tradingviews_client_certificate_and_the_allowlist(tmp_path):
    host, added = _listen_address()
    try:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = _name("Test CA")
        ca = _cert("Test CA", ca_key, ca_name, ca_key, ca=True)
        server_key = ec.generate_private_key(ec.SECP256R1())
        server = _cert(host, server_key, ca_name, ca_key, ip=host)
        tv_key, rogue_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        tv = _cert("TradingView Webhooks", tv_key, ca_name, ca_key)
        rogue = _cert("Mallory", rogue_key, ca_name, ca_key)
        ca_file, _ = _write(tmp_path, "ca", ca, ca_key)
        server_files = _write(tmp_path, "server", server, server_key)
        tv_files = _write(tmp_path, "tv", tv, tv_key)
        rogue_files = _write(tmp_path, "rogue", rogue, rogue_key)

        settings = Settings()
        w = settings.webhook
        w.host, w.port = host, 0
        w.tls_cert_file, w.tls_key_file = server_files
        w.client_ca_file, w.verify_tradingview_cert = ca_file, True
        w.allowlist = [host, "tradingview"]
        services = build_services(tmp_path / "data", settings, demo=False, webhook_port=0)
        await services.start()
        try:
            assert services.webhook is not None, services.listener_error
            url = services.webhook.url
            assert url.startswith(f"https://{host}:")
            def verify(cert_files=None):  # a fresh context per client: httpx loads the client cert into it
                ctx = ssl.create_default_context(cafile=ca_file)
                if cert_files:
                    ctx.load_cert_chain(*cert_files)
                return ctx

            async with httpx.AsyncClient(base_url=url, verify=verify(tv_files), timeout=10) as c:
                r = await c.post("/api/webhook", json={"group_name": "nope", "token": "x", "symbol": "BTC/USDT",
                                                       "order_type": "MARKET", "side": "buy", "qty_per": 1})
                assert r.status_code == 404  # through TLS, the certificate and the allowlist to the app
                if added:  # a non-loopback source: the admin API stays closed to it
                    assert (await c.get("/api/v1/accounts")).status_code == 403
            async with httpx.AsyncClient(base_url=url, verify=verify(rogue_files), timeout=10) as c:
                r = await c.post("/api/webhook", json={})
                assert r.status_code == 403 and "TradingView Webhooks" in r.json()["detail"]
            async with httpx.AsyncClient(base_url=url, verify=verify(), timeout=10) as c:  # no certificate at all
                with pytest.raises((httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)):
                    await c.post("/api/webhook", json={})
            async with httpx.AsyncClient(base_url=url.replace("https", "http"), timeout=10) as c:  # plain HTTP
                with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError)):
                    await c.post("/api/webhook", json={})
        finally:
            await services.stop()
        # the allowlist without this address: refused before the body
        w.allowlist = ["tradingview"]
        w.verify_tradingview_cert, w.client_ca_file = False, ""
        services = build_services(tmp_path / "data2", settings, demo=False, webhook_port=0)
        await services.start()
        try:
            async with httpx.AsyncClient(base_url=services.webhook.url, verify=ssl.create_default_context(
                    cafile=ca_file), timeout=10) as c:
                r = await c.post("/api/webhook", json={})
                assert r.status_code == 403 and "allowlist" in r.json()["detail"]
        finally:
            await services.stop()
    finally:
        if added:
            subprocess.run(["ip", "addr", "del", f"{host}/32", "dev", "lo"], capture_output=True)


async def test_a_non_loopback_listener_without_tls_does_not_start(tmp_path):
    settings = Settings()
    settings.webhook.host = "0.0.0.0"
    services = build_services(tmp_path / "data", settings, demo=False, webhook_port=0)
    await services.start()
    try:
        assert services.webhook is None
        assert "plain HTTP" in services.listener_error
    finally:
        await services.stop()
