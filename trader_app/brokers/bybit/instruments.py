"""Bybit ``GET /v5/market/instruments-info`` -> ``Instrument`` (https://bybit-exchange.github.io/docs/v5/market/instrument).

Spot (``category=spot``): ``priceFilter.tickSize``; ``lotSizeFilter.basePrecision`` (the quantity step),
``minOrderQty``, ``maxOrderQty``, ``minOrderAmt`` (the smallest order value, quote currency). Linear
(``category=linear``, USDT perpetuals only: ``contractType`` LinearPerpetual, ``settleCoin`` USDT):
``priceFilter.tickSize``, ``lotSizeFilter.qtyStep``, ``minOrderQty``, ``maxOrderQty``, ``minNotionalValue``. Only
``status`` Trading is listed. Our symbols: ``BTC/USDT`` (spot), ``BTC/USDT:USDT`` (the perpetual); Bybit's is
``BTCUSDT`` for both, told apart by category.
"""

from __future__ import annotations

from typing import Any

from ...core.enums import MarketType
from ...core.instrument import Instrument
from ..live.numbers import wire_decimal
from .urls import LINEAR, SPOT, VENUE


def symbol_of(base: str, quote: str, category: str) -> str:
    """Our symbol of a Bybit instrument: ``BASE/QUOTE``, with ``:SETTLE`` for a linear perpetual."""
    return f"{base}/{quote}" if category == SPOT else f"{base}/{quote}:{quote}"


def instruments_from_info(rows: list[dict[str, Any]], category: str, venue: str = VENUE) -> list[Instrument]:
    """The tradable instruments of one category's ``result.list``."""
    out = []
    for row in rows:
        if row.get("status") != "Trading":
            continue
        if category == LINEAR and (row.get("contractType") != "LinearPerpetual" or row.get("settleCoin") != "USDT"):
            continue
        lot, price = row.get("lotSizeFilter", {}), row.get("priceFilter", {})
        base, quote = row["baseCoin"], row["quoteCoin"]
        if category == SPOT:
            step, notional, kind = wire_decimal(lot.get("basePrecision"), "0.000001"), wire_decimal(lot.get("minOrderAmt")), MarketType.SPOT
        else:
            step, notional, kind = wire_decimal(lot.get("qtyStep"), "0.001"), wire_decimal(lot.get("minNotionalValue")), MarketType.FUTURES
        out.append(Instrument(symbol_of(base, quote, category), venue, kind, base, quote, wire_decimal(price.get("tickSize"), "0.01"),
                              step, wire_decimal(lot.get("minOrderQty")), notional, name=row["symbol"],
                              venue_symbol=row["symbol"], max_qty=wire_decimal(lot.get("maxOrderQty"))))
    return out
