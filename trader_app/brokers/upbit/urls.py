"""Upbit's bases (docs.upbit.com "API Reference"): REST ``https://api.upbit.com`` (``/v1/...``), the public
WebSocket ``wss://api.upbit.com/websocket/v1`` and the private one ``.../websocket/v1/private`` (``myOrder``,
``myAsset``; the JWT in the upgrade request's ``Authorization`` header). Upbit has no testnet: accounts are LIVE
(paper accounts trade on Upbit's live prices with ``--market upbit``). Our venue name is ``upbit``; a market
``KRW-BTC`` (quote first) is our ``BTC/KRW``."""

from __future__ import annotations

from dataclasses import dataclass, replace

VENUE = "upbit"
LIVE = "live"


@dataclass(frozen=True)
class Endpoints:
    """``rest``: the REST base; ``stream``: the WebSocket base (``/websocket/v1`` and ``/websocket/v1/private``
    below it)."""

    rest: str
    stream: str
    venue: str = VENUE

    @property
    def public(self) -> str:
        return f"{self.stream}/websocket/v1"

    @property
    def private(self) -> str:
        return f"{self.stream}/websocket/v1/private"

    def with_overrides(self, rest: str = "", stream: str = "") -> "Endpoints":
        """Other bases (a regional host such as sg-api.upbit.com, the fake in tests); "" keeps Upbit's."""
        return replace(self, rest=rest.rstrip("/") or self.rest, stream=stream.rstrip("/") or self.stream)


def endpoints(environment: str = LIVE) -> Endpoints:
    """Upbit's own bases (only ``"live"``). Raises ValueError for another environment."""
    if environment != LIVE:
        raise ValueError(f"Upbit has no {environment!r} environment (live only)")
    return Endpoints("https://api.upbit.com", "wss://api.upbit.com")
