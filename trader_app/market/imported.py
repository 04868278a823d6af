"""Instruments listed for imported or replayed CSV symbols, kept in ``store.kv`` under ``IMPORTED_KEY`` so
they are listed again after a restart (their bars are in the store; without the instrument the symbol could
not be traded or charted until the file was imported again).

Stored value: ``{symbol: {"venue", "market_type", "base", "quote", "tick_size", "lot_size", "min_qty",
"min_notional", "name"}}`` with Decimals as strings.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from trader_app.core.enums import MarketType
from trader_app.core.instrument import Instrument

IMPORTED_KEY = "market.imported_instruments"


def instrument_to_json(inst: Instrument) -> dict[str, str]:
    """``inst`` as the JSON object stored under ``IMPORTED_KEY`` (the symbol is the key, not a field)."""
    return {"venue": inst.venue, "market_type": inst.market_type.value, "base": inst.base, "quote": inst.quote,
            "tick_size": str(inst.tick_size), "lot_size": str(inst.lot_size), "min_qty": str(inst.min_qty),
            "min_notional": str(inst.min_notional), "name": inst.name}


def instrument_from_json(symbol: str, data: Any) -> Instrument:
    """The ``Instrument`` written by ``instrument_to_json``. Raises ``ValueError`` naming the symbol when a
    field is missing or malformed, or a size is not a positive number."""
    try:
        inst = Instrument(symbol, str(data["venue"]), MarketType(data["market_type"]), str(data["base"]),
                          str(data["quote"]), Decimal(data["tick_size"]), Decimal(data["lot_size"]),
                          Decimal(data.get("min_qty", "0")), Decimal(data.get("min_notional", "0")),
                          str(data.get("name", "")))
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
        raise ValueError(f"stored instrument {symbol!r} is malformed: {type(exc).__name__} {exc}") from None
    if not (inst.tick_size > 0 and inst.lot_size > 0):
        raise ValueError(f"stored instrument {symbol!r} has a tick or lot size <= 0")
    return inst
