"""The fake venue of ``trader-app bench fanout`` and its tests: ``FakeVenue`` (its books, REST app and
WebSocket API methods, every answer after a fixed latency; ``venue.py``), ``WsApiServer`` (the WebSocket order
entry on picows; ``ws_api.py``), ``FakeVenueServer`` (both on 127.0.0.1; ``server.py``), ``FakeVenueBroker``
(the ``Broker`` adapter for one account on it; ``broker.py``) and ``WsApiSession`` (an account's WebSocket
request/response session; ``ws_session.py``)."""

from .broker import ORDER_ENTRY, FakeVenueBroker
from .server import FakeVenueServer
from .venue import VENUE, FakeVenue
from .ws_api import WsApiServer
from .ws_session import WsApiSession

__all__ = ["ORDER_ENTRY", "VENUE", "FakeVenue", "FakeVenueBroker", "FakeVenueServer", "WsApiServer",
           "WsApiSession"]
