"""Bithumb's bases (apidocs.bithumb.com, "기본 정보"): REST ``https://api.bithumb.com`` (paths carry ``/v1`` or
``/v2``), the public WebSocket ``wss://ws-api.bithumb.com/websocket/v1`` and the private one (v2, the v1 private
socket closed 2026-10-30) ``.../websocket/v2/private``. Bithumb has no testnet. Our venue name is ``bithumb``; a
market ``KRW-BTC`` (quote first) is our ``BTC/KRW``."""

from __future__ import annotations

from dataclasses import dataclass, replace

VENUE = "bithumb"
LIVE = "live"


@dataclass(frozen=True)
class Endpoints:
    """``rest``: the REST base; ``stream``: the WebSocket base (``/websocket/v1`` and ``/websocket/v2/private``)."""

    rest: str
    stream: str
    venue: str = VENUE

    @property
    def public(self) -> str:
        return f"{self.stream}/websocket/v1"

    @property
    def private(self) -> str:
        return f"{self.stream}/websocket/v2/private"

    def with_overrides(self, rest: str = "", stream: str = "") -> "Endpoints":
        """Other bases (the fake in tests); "" keeps Bithumb's."""
        return replace(self, rest=rest.rstrip("/") or self.rest, stream=stream.rstrip("/") or self.stream)


def endpoints(environment: str = LIVE) -> Endpoints:
    """Bithumb's own bases (only ``"live"``). Raises ValueError for another environment."""
    if environment != LIVE:
        raise ValueError(f"Bithumb has no {environment!r} environment (live only)")
    return Endpoints("https://api.bithumb.com", "wss://ws-api.bithumb.com")
