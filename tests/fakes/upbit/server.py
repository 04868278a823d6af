"""``FakeUpbitServer``: the fake's REST app and its streams, each on a free 127.0.0.1 port, on the running loop."""

from __future__ import annotations

from ..serving import FakeVenueServer
from .streams import Streams
from .venue import FakeUpbit


class FakeUpbitServer(FakeVenueServer):
    """``async with``; then ``rest_url`` and ``stream_url`` are the bases to point an adapter at."""

    def __init__(self, venue: FakeUpbit | None = None, tick_s: float = 0.05) -> None:
        venue = venue or FakeUpbit()
        super().__init__(venue, Streams(venue, tick_s))
