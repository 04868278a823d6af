"""A fake Bybit v5 for the tests (see ``venue.py``, ``streams.py``)."""

from .server import FakeBybitServer
from .venue import FakeBybit

__all__ = ["FakeBybit", "FakeBybitServer"]
