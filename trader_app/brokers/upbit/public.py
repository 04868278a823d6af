"""``UpbitPublic``: Upbit's public market data without a key: the quotation interface of ``live/ticket_feed.py``
(markets ``GET /v1/market/all?is_details=true``, candles paged backwards with ``to`` in UTC, the
``wss://api.upbit.com/websocket/v1`` ticket stream; docs.upbit.com "시세 조회") with Upbit's profile."""

from __future__ import annotations

from ..live.network import VenueNetwork
from ..live.ticket_feed import TicketFeed
from .profile import PROFILE
from .urls import Endpoints


class UpbitPublic(TicketFeed):
    """Upbit's public market data over the venue's shared ``network``."""

    profile = PROFILE
    market_list_params = {"is_details": "true"}

    def __init__(self, endpoints: Endpoints, network: VenueNetwork, *, stale_after_s: float = 60.0) -> None:
        super().__init__(endpoints.venue, network, endpoints.rest, endpoints.public, stale_after_s=stale_after_s)
        self.endpoints = endpoints


def shared_public(endpoints: Endpoints, network: VenueNetwork) -> UpbitPublic:
    """The one ``UpbitPublic`` on ``network``: every account shares its instruments and stream."""
    key = ("upbit-public", endpoints.rest, endpoints.stream)
    public = network.shared.get(key)
    if public is None:
        public = network.shared[key] = UpbitPublic(endpoints, network)
    return public
