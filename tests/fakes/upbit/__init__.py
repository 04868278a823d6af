"""A fake Upbit for the tests (see ``venue.py``, ``streams.py``)."""

from .server import FakeUpbitServer
from .venue import FakeUpbit

__all__ = ["FakeUpbit", "FakeUpbitServer"]
