"""A fake Binance on 127.0.0.1 for the adapter's tests: REST (spot ``/api/v3``, USD-M ``/fapi/v1``) and the
public market streams, in Binance's documented wire format, with the faults the venue really produces.
It lives under ``tests/``: the product never imports it."""

from .server import FakeBinanceServer
from .venue import FakeBinance, SymbolSpec

__all__ = ["FakeBinance", "FakeBinanceServer", "SymbolSpec"]
