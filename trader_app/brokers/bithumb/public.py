"""``BithumbPublic``: Bithumb's public market data without a key: the quotation interface of
``live/ticket_feed.py``, which Bithumb's JWT API follows (markets ``GET /v1/market/all?isDetails=false``, candles
``/v1/candles/minutes/{unit}`` and ``/days`` paged backwards with ``to`` in KST without an offset, the
``wss://ws-api.bithumb.com/websocket/v1`` ticket stream; apidocs.bithumb.com "Public"), with Bithumb's profile."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ..live.network import VenueNetwork
from ..live.ticket_feed import TicketFeed
from .profile import PROFILE
from .urls import Endpoints

KST = timezone(timedelta(hours=9))


class BithumbPublic(TicketFeed):
    """Bithumb's public market data over the venue's shared ``network``."""

    profile = PROFILE
    market_list_params = {"isDetails": "false"}

    def __init__(self, endpoints: Endpoints, network: VenueNetwork, *, stale_after_s: float = 60.0) -> None:
        super().__init__(endpoints.venue, network, endpoints.rest, endpoints.public, stale_after_s=stale_after_s)
        self.endpoints = endpoints

    def _to_param(self, to_ms: int) -> str:
        """``to`` as Bithumb takes it: KST without an offset (``2024-06-13 10:26:00``)."""
        return datetime.fromtimestamp(to_ms / 1000, KST).strftime("%Y-%m-%d %H:%M:%S")


def shared_public(endpoints: Endpoints, network: VenueNetwork) -> BithumbPublic:
    """The one ``BithumbPublic`` on ``network``."""
    key = ("bithumb-public", endpoints.rest, endpoints.stream)
    public = network.shared.get(key)
    if public is None:
        public = network.shared[key] = BithumbPublic(endpoints, network)
    return public
