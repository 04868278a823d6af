"""Upbit's markets as instruments: ``GET /v1/market/all?is_details=true`` lists ``{market, korean_name,
english_name, market_event: {warning, caution}}`` (docs.upbit.com "마켓 코드 조회"); the API states no tick size or
minimum per market, so the price ladder and the minimum order total come from the profile's tables
(``profile.py``: by quote currency, with their source dates). Volumes have 8 decimals."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ...core.enums import MarketType
from ...core.instrument import Instrument
from .profile import PROFILE
from .urls import VENUE, symbol_of

LOT = Decimal("0.00000001")
BTC_TICK = Decimal("0.00000001")


def instrument_of(row: Mapping[str, Any]) -> Instrument | None:
    """The instrument of one ``/v1/market/all`` row; None for a malformed market id."""
    market = str(row.get("market", ""))
    if market.count("-") != 1:
        return None
    symbol = symbol_of(market)
    base, quote = symbol.split("/")
    bands = PROFILE.tick_bands.get(quote, ())
    tick = bands[0][1] if bands else BTC_TICK
    return Instrument(symbol, VENUE, MarketType.SPOT, base, quote, tick, LOT, min_qty=LOT,
                      min_notional=PROFILE.min_total.get(quote, Decimal(0)),
                      name=str(row.get("english_name") or row.get("korean_name") or ""),
                      venue_symbol=market, tick_bands=bands)


def instruments_from(rows: Iterable[Mapping[str, Any]]) -> list[Instrument]:
    """Every listed market as an instrument (malformed rows skipped)."""
    return [inst for inst in (instrument_of(r) for r in rows) if inst is not None]
