"""``FakeBinanceServer``: the fake's REST app and its market streams, each on a free 127.0.0.1 port, on the
running loop."""

from __future__ import annotations

from ..serving import FakeVenueServer
from .streams import MarketStreams
from .venue import FakeBinance


class FakeBinanceServer(FakeVenueServer):
    """``await start()`` or ``async with``; then ``rest_url`` and ``stream_url`` are the bases to point an
    adapter at."""

    def __init__(self, venue: FakeBinance | None = None, tick_s: float = 0.05) -> None:
        venue = venue or FakeBinance()
        super().__init__(venue, MarketStreams(venue, tick_s))
