"""What the listener exposes and to whom (issue 12): TLS files, source allowlist, trusted proxies.

TradingView's webhook facts (https://www.tradingview.com/support/solutions/43000529348-about-webhooks/):
it posts only to ports 80 and 443, over IPv4, cancels a request that takes over 3 s, sends from four
published addresses (:data:`TRADINGVIEW_ADDRESSES`), and over HTTPS presents a client certificate whose
subject is CN "TradingView Webhooks", O "TradingView, Inc.".

Rules, checked by :func:`exposure_problem` before the listener starts:
- a loopback address (127.0.0.0/8, ::1) may be plain HTTP: only this machine (or a reverse proxy or tunnel
  on it) can reach it;
- any other address needs TLS: certificate and key files, or a self-signed pair generated on request
  (:func:`self_signed_pair`, the ``cryptography`` library) in ``<data dir>/tls/``;
- the allowlist (``webhook.allowlist``: addresses or networks; the word ``tradingview`` stands for its four
  addresses) is checked on the TCP peer, or, when the peer is a trusted proxy (``webhook.trusted_proxies``),
  on the right-most address of ``X-Forwarded-For`` that is not itself a trusted proxy.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import ConfigError

TRADINGVIEW_ADDRESSES = ("52.89.214.238", "34.212.75.30", "54.218.53.128", "52.32.178.7")
TRADINGVIEW_CN = "TradingView Webhooks"
TRADINGVIEW_ORG = "TradingView, Inc."
TLS_DIR = "tls"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(items: list[str] | tuple[str, ...]) -> tuple[Network, ...]:
    """Addresses or CIDR networks (``tradingview`` = its four addresses). Raises ``ConfigError`` naming a
    bad entry."""
    out: list[Network] = []
    for item in items:
        text = item.strip()
        if not text:
            continue
        if text.lower() == "tradingview":
            out.extend(ipaddress.ip_network(a) for a in TRADINGVIEW_ADDRESSES)
            continue
        try:
            out.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ConfigError(f"not an address or network: {text!r} (e.g. 203.0.113.7, 10.0.0.0/8, tradingview)") from None
    return tuple(out)


def is_loopback(host: str) -> bool:
    """True for a loopback address or ``localhost`` (what only this machine can reach)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _in(address: str, nets: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in net for net in nets)


@dataclass(frozen=True)
class ExposurePolicy:
    """The listener's checks, from the settings: ``allow`` (empty = any source), ``proxies`` (trusted for
    ``X-Forwarded-For``), ``api_remote`` (the admin REST API may answer other machines), per-source rate
    limit (``rate_per_s`` requests/s refilling a bucket of ``burst``), and the client certificate subject
    the TLS layer must have verified (``client_cn``; "" = none required)."""

    allow: tuple[Network, ...] = ()
    proxies: tuple[Network, ...] = ()
    api_remote: bool = False
    rate_per_s: float = 10.0
    burst: int = 20
    client_cn: str = ""
    exposed: bool = False

    def source(self, peer: str, forwarded_for: str | None) -> str:
        """The request's source address: the peer, or behind a trusted proxy the right-most
        ``X-Forwarded-For`` entry that is not a trusted proxy itself."""
        if not forwarded_for or not self.proxies or not _in(peer, self.proxies):
            return peer
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        for hop in reversed(hops):
            if not _in(hop, self.proxies):
                return hop
        return hops[0] if hops else peer

    def allowed(self, source: str) -> bool:
        """True when the allowlist is off or holds ``source``."""
        return not self.allow or _in(source, self.allow)

    @staticmethod
    def local(source: str) -> bool:
        return is_loopback(source)


def policy_from(settings: Any) -> ExposurePolicy:
    """The policy of ``settings.webhook`` (``WebhookSettings``). Raises ``ConfigError`` for a bad entry."""
    w = settings.webhook
    return ExposurePolicy(allow=networks(w.allowlist), proxies=networks(w.trusted_proxies), api_remote=w.expose_api,
                          rate_per_s=w.rate_limit_per_s, burst=w.rate_limit_burst,
                          client_cn=TRADINGVIEW_CN if w.verify_tradingview_cert else "",
                          exposed=not is_loopback(w.host))


@dataclass(frozen=True)
class TlsFiles:
    """What uvicorn needs for HTTPS: ``cert``/``key`` PEM files; ``client_ca`` to verify client certificates
    against (None = none asked for)."""

    cert: Path
    key: Path
    client_ca: Path | None = None


def tls_files(settings: Any, data_dir: Path) -> TlsFiles | None:
    """The listener's TLS files from ``settings.webhook`` (None = plain HTTP). Generates the self-signed pair
    when asked and missing. Raises ``ConfigError`` for missing files or a half-given pair."""
    w = settings.webhook
    if w.tls_self_signed:
        cert, key = self_signed_pair(Path(data_dir) / TLS_DIR, w.host)
    elif w.tls_cert_file or w.tls_key_file:
        if not (w.tls_cert_file and w.tls_key_file):
            raise ConfigError("webhook.tls_cert_file and webhook.tls_key_file go together")
        cert, key = Path(w.tls_cert_file).expanduser(), Path(w.tls_key_file).expanduser()
        for p in (cert, key):
            if not p.is_file():
                raise ConfigError(f"no such TLS file: {p}")
    else:
        if w.client_ca_file:
            raise ConfigError("webhook.client_ca_file needs HTTPS (a certificate and key, or tls_self_signed)")
        return None
    ca = Path(w.client_ca_file).expanduser() if w.client_ca_file else None
    if ca is not None and not ca.is_file():
        raise ConfigError(f"no such CA file: {ca}")
    if w.verify_tradingview_cert and ca is None:
        raise ConfigError("verifying TradingView's client certificate needs webhook.client_ca_file (the CA that "
                          "signed it)")
    return TlsFiles(cert, key, ca)


def exposure_problem(settings: Any, data_dir: Path) -> str | None:
    """Why the listener must not start as configured, or None: a non-loopback address without TLS."""
    w = settings.webhook
    if is_loopback(w.host):
        return None
    if tls_files(settings, data_dir) is None:
        return (f"the listener on {w.host} would be reachable from other machines over plain HTTP: give it a "
                "certificate (webhook.tls_cert_file and tls_key_file, or tls_self_signed), or listen on "
                "127.0.0.1 behind a reverse proxy or tunnel (README, \"Receiving TradingView alerts\")")
    return None


def exposure_text(settings: Any, data_dir: Path, port: int | None = None) -> str:
    """One line for the status bar and ``serve``: what is exposed to whom. ``port``: the port actually
    listened on (``--webhook-port``, or the one the system gave for 0), else the settings' port."""
    w = settings.webhook
    scheme = "https" if tls_files(settings, data_dir) is not None else "http"
    who = "this machine only" if is_loopback(w.host) else (
        f"sources {', '.join(w.allowlist)}" if w.allowlist else "ANY source (no allowlist)")
    api = "REST API for other machines too" if w.expose_api else "REST API for this machine only"
    return f"{scheme}://{w.host}:{w.port if port is None else port} open to {who}; {api}"


def self_signed_pair(folder: Path, host: str) -> tuple[Path, Path]:
    """``(cert.pem, key.pem)`` in ``folder``: made once (EC P-256, 825 days, the host as its subject
    alternative name) and reused. The key file is written with mode 0600."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    if cert_path.is_file() and key_path.is_file():
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host or "trader-app")])
    try:
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt = x509.DNSName(host or "localhost")
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=825))
            .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
            .sign(key, hashes.SHA256()))
    import os

    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
