"""The fake venue of ``trader-app bench fanout`` and its tests: ``FakeVenue`` (the server: REST and a
WebSocket order-entry API on 127.0.0.1, every answer after a fixed latency; ``venue.py``) and
``FakeVenueBroker`` (the ``Broker`` adapter for one account on it; ``broker.py``)."""

from .broker import ORDER_ENTRY, FakeVenueBroker
from .venue import VENUE, FakeVenue
from .ws_session import WsApiSession

__all__ = ["ORDER_ENTRY", "VENUE", "FakeVenue", "FakeVenueBroker", "WsApiSession"]
