"""Binance ``exchangeInfo`` -> ``Instrument`` (the names both ways: ``live/symbols.py``).

Filters read (https://developers.binance.com/docs/binance-spot-api-docs/filters): ``PRICE_FILTER.tickSize``,
``LOT_SIZE.stepSize/minQty/maxQty``, ``NOTIONAL.minNotional`` (spot; older ``MIN_NOTIONAL.minNotional``),
``MIN_NOTIONAL.notional`` (USD-M futures,
https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Exchange-Information).
Only symbols with ``status`` TRADING are listed (futures: ``contractType`` PERPETUAL as well). The app's symbol
is ``BASE/QUOTE`` (``BTC/USDT``); Binance's is ``BTCUSDT`` (``venue_symbol``), lower case in stream names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...core.enums import MarketType
from ...core.instrument import Instrument
from ..live.numbers import wire_decimal
from ..live.ratelimit import RateLimit
from .urls import SPOT


def _filters(entry: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {f.get("filterType", ""): f for f in entry.get("filters", ()) if isinstance(f, Mapping)}


def instrument_from_symbol(entry: Mapping[str, Any], market: str, venue: str) -> Instrument | None:
    """One ``exchangeInfo.symbols`` entry as an Instrument, or None when it is not trading (or not a perpetual
    on futures) or lacks a price/lot filter."""
    if entry.get("status") != "TRADING":
        return None
    if market != SPOT and entry.get("contractType", "PERPETUAL") != "PERPETUAL":
        return None
    f = _filters(entry)
    price, lot = f.get("PRICE_FILTER"), f.get("LOT_SIZE")
    if price is None or lot is None:
        return None
    base, quote = str(entry["baseAsset"]), str(entry["quoteAsset"])
    if market == SPOT:
        min_notional = wire_decimal((f.get("NOTIONAL") or f.get("MIN_NOTIONAL") or {}).get("minNotional"))
    else:
        min_notional = wire_decimal((f.get("MIN_NOTIONAL") or {}).get("notional"))
    return Instrument(
        symbol=f"{base}/{quote}",
        venue=venue,
        market_type=MarketType.SPOT if market == SPOT else MarketType.FUTURES,
        base=base,
        quote=quote,
        tick_size=wire_decimal(price.get("tickSize")),
        lot_size=wire_decimal(lot.get("stepSize")),
        min_qty=wire_decimal(lot.get("minQty")),
        min_notional=min_notional,
        name=str(entry["symbol"]),
        venue_symbol=str(entry["symbol"]),
        max_qty=wire_decimal(lot.get("maxQty")),
    )


def instruments_from_exchange_info(info: Mapping[str, Any], market: str, venue: str) -> list[Instrument]:
    """Every listed instrument of an ``exchangeInfo`` answer, in the venue's order."""
    out = []
    for entry in info.get("symbols", ()):
        inst = instrument_from_symbol(entry, market, venue)
        if inst is not None:
            out.append(inst)
    return out


def rate_limits(info: Mapping[str, Any]) -> list[RateLimit]:
    """The ``rateLimits`` an ``exchangeInfo`` answer declares (malformed entries skipped)."""
    out = []
    for entry in info.get("rateLimits", ()):
        try:
            out.append(RateLimit.from_binance(entry))
        except (KeyError, ValueError, TypeError):
            continue
    return out
