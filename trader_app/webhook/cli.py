"""``trader-app serve``: the engine without a window (webhook listener, REST API, strategies, brokers, and the
demo market unless ``--no-demo``), on a plain asyncio loop.

Prints the listener URL on stdout (one line, ``listening on http://127.0.0.1:8780``), then runs until
SIGINT or SIGTERM, then stops every service cleanly and exits 0. Exit 1 when the listener cannot start
(port in use, ...), 2 for a bad data directory or settings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add ``serve`` to the ``trader-app`` sub-commands."""
    p = subparsers.add_parser("serve", help="run the engine without a window: webhook listener, REST API, strategies",
                              description="Run the trading engine without a window: the TradingView webhook listener, the REST API, "
                                          "strategies, the accounts, and the demo market unless --no-demo. Prints the "
                                          "listener URL, runs until Ctrl+C or SIGTERM, then stops cleanly (exit 0; 1 when "
                                          "the listener cannot start, 2 for a bad data directory or settings).")
    # SUPPRESS: when not given here, the top-level --data-dir/--webhook-port (if any) stay in effect.
    p.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS, help="data directory")
    p.add_argument("--webhook-port", type=int, metavar="N", default=argparse.SUPPRESS,
                   help="listener port (default from settings, 8780; 0 = any free port)")
    p.add_argument("--host", metavar="ADDR", default=None, help="listener address (default from settings, 127.0.0.1)")
    p.add_argument("--no-demo", action="store_true", help="do not run the demo market")
    p.add_argument("--tls-cert", metavar="FILE", default=None, help="HTTPS certificate (PEM); with --tls-key")
    p.add_argument("--tls-key", metavar="FILE", default=None, help="HTTPS private key (PEM)")
    p.add_argument("--tls-self-signed", action="store_true",
                   help="HTTPS with a self-signed certificate made in the data directory's tls/ folder")
    p.add_argument("--allow", metavar="ADDR", action="append", default=None,
                   help="accept requests only from this address or network (repeat it; 'tradingview' = "
                        "TradingView's four webhook addresses)")
    p.add_argument("--trusted-proxy", metavar="ADDR", action="append", default=None,
                   help="a reverse proxy whose X-Forwarded-For is believed (repeat it)")
    p.add_argument("--client-ca", metavar="FILE", default=None,
                   help="require client certificates signed by this CA (HTTPS only)")
    p.add_argument("--verify-tradingview-cert", action="store_true",
                   help="also require the client certificate's subject to be CN 'TradingView Webhooks'")
    p.add_argument("--expose-api", action="store_true",
                   help="let the admin REST API answer other machines too (it answers this machine only)")
    p.add_argument("--print-admin-token", action="store_true",
                   help="also print the REST API's bearer admin token (it is a secret: mind your logs)")
    p.add_argument("--secrets-file", metavar="PATH", default=None,
                   help="keep secrets in this encrypted file instead of the OS keyring (a machine without a "
                        "desktop); its key comes from $TRADER_APP_SECRETS_KEY or the systemd credential "
                        "trader-app-secrets-key. Also $TRADER_APP_SECRETS_FILE")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Entry point of ``serve``; returns the exit code."""
    from ..core.errors import TraderError

    try:
        return asyncio.run(serve(args))
    except TraderError as exc:
        print(f"trader-app serve: {exc}", file=sys.stderr)
        return 2


async def serve(args: argparse.Namespace) -> int:
    from ..app import build_services
    from ..store.instance import hold_data_dir
    from ..config import Settings, open_log_file, resolve_data_dir
    from ..core.offloop import run_blocking
    from ..heap import settle_heap
    from ..secret_file import chosen_path
    from ..secret_file import install as install_secrets_file
    from ..secrets import HEADLESS_FIX, keyring_available
    from .auth import ENV_API_TOKEN, load_admin_token
    from .exposure import exposure_text

    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    settings = Settings.load(data_dir, create=True)
    open_log_file(data_dir)
    secrets_path = chosen_path(getattr(args, "secrets_file", None))
    if secrets_path:
        await run_blocking(install_secrets_file, secrets_path)  # scrypt: off the loop; ConfigError -> exit 2
    elif not keyring_available() and not os.environ.get(ENV_API_TOKEN, "").strip():
        print(f"trader-app serve: warning: no OS keyring here, so the REST API cannot keep its admin token and "
              f"strategy groups cannot keep their webhook tokens. {HEADLESS_FIX} Or set {ENV_API_TOKEN} for the "
              "REST API alone.", file=sys.stderr, flush=True)
    if args.host:
        settings.webhook.host = args.host
    w = settings.webhook
    if args.tls_cert or args.tls_key:
        w.tls_cert_file, w.tls_key_file = args.tls_cert or "", args.tls_key or ""
    w.tls_self_signed = w.tls_self_signed or args.tls_self_signed
    if args.allow:
        w.allowlist = list(args.allow)
    if args.trusted_proxy:
        w.trusted_proxies = list(args.trusted_proxy)
    if args.client_ca:
        w.client_ca_file = args.client_ca
    w.verify_tradingview_cert = w.verify_tradingview_cert or args.verify_tradingview_cert
    w.expose_api = w.expose_api or args.expose_api
    settings.webhook.enabled = True
    port = getattr(args, "webhook_port", None)
    if port is not None and not 0 <= port <= 65535:
        print(f"trader-app serve: port must be 0..65535, got {port}", file=sys.stderr)
        return 2
    lock = hold_data_dir(data_dir)  # ConfigError -> exit 2 when another app runs on this data directory
    try:
        services = build_services(data_dir, settings, demo=not args.no_demo, webhook_port=port)
    except BaseException:  # StoreCorrupt names the newest backup and `trader-app restore`
        lock.release()
        raise
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: no add_signal_handler
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    code = 0
    try:
        await services.start()
        settle_heap()
        if services.webhook is None:
            print(f"trader-app serve: listener not started: {services.listener_error or 'disabled'}", file=sys.stderr)
            code = 1
        else:
            admin_token = await run_blocking(load_admin_token) if args.print_admin_token else ""
            print(f"listening on {services.webhook.url}", flush=True)
            print(f"exposure: {exposure_text(settings, data_dir, services.webhook.port)}", file=sys.stderr,
                  flush=True)
            print(f"webhook: POST {services.webhook.url}/api/webhook   REST API: {services.webhook.url}/api/v1 "
                  f"(docs: {services.webhook.url}/docs)", flush=True)
            if admin_token:
                print(f"admin token: {admin_token}", flush=True)
            if not installed:
                print("(press Ctrl+C to stop)", flush=True)
            await stop.wait()
    except asyncio.CancelledError:
        pass
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        await services.stop()
        lock.release()
    print("stopped", flush=True)
    return code
