"""Bybit's bases (https://bybit-exchange.github.io/docs/v5/guide, "Base endpoint"; WebSocket: .../v5/ws/connect):
REST ``https://api.bybit.com`` (testnet ``https://api-testnet.bybit.com``); public streams
``wss://stream.bybit.com/v5/public/{spot,linear}``, the private stream ``.../v5/private``, order entry
``.../v5/trade`` (testnet ``stream-testnet.bybit.com``). Our venue name is ``bybit``; a linear perpetual's symbol is
``BTC/USDT:USDT`` (settled in USDT), a spot pair's ``BTC/USDT``, one account trading both."""

from __future__ import annotations

from dataclasses import dataclass, replace

VENUE = "bybit"
SPOT, LINEAR = "spot", "linear"
LIVE, TESTNET = "live", "testnet"

_REST = {LIVE: "https://api.bybit.com", TESTNET: "https://api-testnet.bybit.com"}
_STREAM = {LIVE: "wss://stream.bybit.com", TESTNET: "wss://stream-testnet.bybit.com"}


@dataclass(frozen=True)
class Endpoints:
    """``rest``: the REST base; ``stream``: the WebSocket base (``/v5/public/<category>``, ``/v5/private`` and
    ``/v5/trade`` are below it)."""

    rest: str
    stream: str
    venue: str = VENUE

    def public(self, category: str) -> str:
        return f"{self.stream}/v5/public/{category}"

    @property
    def private(self) -> str:
        return f"{self.stream}/v5/private"

    @property
    def trade(self) -> str:
        return f"{self.stream}/v5/trade"

    def with_overrides(self, rest: str = "", stream: str = "") -> "Endpoints":
        """Other bases (a regional host, the fake in tests); "" keeps Bybit's."""
        return replace(self, rest=rest.rstrip("/") or self.rest, stream=stream.rstrip("/") or self.stream)


def endpoints(environment: str = LIVE) -> Endpoints:
    """Bybit's own bases for ``environment`` ("live" or "testnet"). Raises KeyError for another."""
    return Endpoints(_REST[environment], _STREAM[environment])
