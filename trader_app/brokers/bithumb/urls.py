"""Bithumb's bases (apidocs.bithumb.com, "기본 정보"): REST ``https://api.bithumb.com`` (paths carry ``/v1`` or
``/v2``), the public WebSocket ``wss://ws-api.bithumb.com/websocket/v1`` and the private one (v2, the v1 private
socket closed 2026-10-30) ``.../websocket/v2/private``. Bithumb has no testnet. Our venue name is ``bithumb``; a
market ``KRW-BTC`` (quote first) is our ``BTC/KRW``."""

from __future__ import annotations

from ..live.ticket_feed import TicketEndpoints as Endpoints

VENUE = "bithumb"
LIVE = "live"

__all__ = ["LIVE", "VENUE", "Endpoints", "endpoints"]


def endpoints(environment: str = LIVE) -> Endpoints:
    """Bithumb's own bases (only ``"live"``). Raises ValueError for another environment."""
    if environment != LIVE:
        raise ValueError(f"Bithumb has no {environment!r} environment (live only)")
    return Endpoints("https://api.bithumb.com", "wss://ws-api.bithumb.com", VENUE, "/websocket/v1",
                     "/websocket/v2/private")
