"""Identifier helpers."""

from __future__ import annotations

import secrets
import time


def new_client_order_id(prefix: str = "ta") -> str:
    """A unique client order id: ``<prefix>-<epoch ms base36>-<10 hex>`` (<= 32 chars, ASCII, venue-safe).

    Binance allows ``^[.A-Za-z0-9_-]{1,36}$`` for ``newClientOrderId``, other venues as many (36 at most).
    """
    ms = int(time.time() * 1000)
    return f"{prefix}-{_base36(ms)}-{secrets.token_hex(5)}"


def new_id(prefix: str) -> str:
    """A random id such as ``sig-1a2b3c4d5e6f7a8b`` for signals, fills and ledger rows."""
    return f"{prefix}-{secrets.token_hex(8)}"


def now_ms() -> int:
    """Current UTC time in epoch milliseconds."""
    return int(time.time() * 1000)


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out or "0"
