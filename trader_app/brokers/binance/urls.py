"""Binance base URLs per market (spot, USD-M futures) and environment (live, testnet).

Sources: spot https://developers.binance.com/docs/binance-spot-api-docs/rest-api/general-api-information and
web-socket-streams ("wss://stream.binance.com:9443", combined streams at ``/stream``); spot testnet
https://testnet.binance.vision; USD-M futures https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info
(REST ``https://fapi.binance.com``, streams ``wss://fstream.binance.com``, testnet
``https://testnet.binancefuture.com`` / ``wss://stream.binancefuture.com``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

SPOT = "spot"
FUTURES = "futures"
MARKETS = (SPOT, FUTURES)
LIVE = "live"
TESTNET = "testnet"


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where one market of one environment lives: ``rest`` (REST base), ``stream`` (public market streams base,
    combined streams at ``{stream}/stream``), ``ws_api`` (WebSocket API, spot only; "" = none) and the REST
    path prefix (``/api/v3`` or ``/fapi/v1``)."""

    market: str
    rest: str
    stream: str
    ws_api: str = ""

    @property
    def prefix(self) -> str:
        return "/api/v3" if self.market == SPOT else "/fapi/v1"

    @property
    def venue(self) -> str:
        """The app's venue name of this market: ``binance`` (spot) or ``binanceusdm`` (USD-M futures)."""
        return "binance" if self.market == SPOT else "binanceusdm"

    def with_overrides(self, rest: str = "", stream: str = "", ws_api: str = "") -> "Endpoints":
        """These endpoints with the given bases replaced (an account's advanced settings; the tests' fake)."""
        return replace(self, rest=(rest or self.rest).rstrip("/"), stream=(stream or self.stream).rstrip("/"),
                       ws_api=(ws_api or self.ws_api).rstrip("/"))


ENDPOINTS: dict[tuple[str, str], Endpoints] = {
    (SPOT, LIVE): Endpoints(SPOT, "https://api.binance.com", "wss://stream.binance.com:9443",
                            "wss://ws-api.binance.com:443/ws-api/v3"),
    (SPOT, TESTNET): Endpoints(SPOT, "https://testnet.binance.vision", "wss://stream.testnet.binance.vision",
                               "wss://ws-api.testnet.binance.vision/ws-api/v3"),
    (FUTURES, LIVE): Endpoints(FUTURES, "https://fapi.binance.com", "wss://fstream.binance.com"),
    (FUTURES, TESTNET): Endpoints(FUTURES, "https://testnet.binancefuture.com", "wss://stream.binancefuture.com"),
}


def endpoints(market: str, environment: str = LIVE) -> Endpoints:
    """The endpoints of ``market`` (spot/futures) in ``environment`` (live/testnet). Raises ValueError."""
    try:
        return ENDPOINTS[(market, environment)]
    except KeyError:
        raise ValueError(f"Binance has no {market!r} market in {environment!r}") from None
