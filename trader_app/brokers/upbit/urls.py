"""Upbit's bases (docs.upbit.com "API Reference"): REST ``https://api.upbit.com`` (``/v1/...``), the public
WebSocket ``wss://api.upbit.com/websocket/v1`` and the private one ``.../websocket/v1/private`` (``myOrder``,
``myAsset``; the JWT in the upgrade request's ``Authorization`` header). Upbit has no testnet: accounts are LIVE
(paper accounts trade on Upbit's live prices with ``--market upbit``). Our venue name is ``upbit``; a market
``KRW-BTC`` (quote first) is our ``BTC/KRW``."""

from __future__ import annotations

from ..live.ticket_feed import TicketEndpoints as Endpoints

VENUE = "upbit"
LIVE = "live"

__all__ = ["LIVE", "VENUE", "Endpoints", "endpoints"]


def endpoints(environment: str = LIVE) -> Endpoints:
    """Upbit's own bases (only ``"live"``). Raises ValueError for another environment."""
    if environment != LIVE:
        raise ValueError(f"Upbit has no {environment!r} environment (live only)")
    return Endpoints("https://api.upbit.com", "wss://api.upbit.com", VENUE, "/websocket/v1", "/websocket/v1/private")
