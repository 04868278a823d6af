"""``SymbolMap``: both ways between the app's symbols (``BTC/USDT``, ``BTC/KRW``) and a venue's wire names
(``BTCUSDT``, ``KRW-BTC``) for a venue's listed instruments (``Instrument.wire_symbol``).
Wire names are matched in any case (the venues' streams send them lower case, their REST upper case)."""

from __future__ import annotations

from collections.abc import Iterable

from ...core.instrument import Instrument


class SymbolMap:
    """The venue's listed instruments by our symbol (``by_symbol``) and by wire name (``by_wire``, upper case)."""

    def __init__(self, instruments: Iterable[Instrument] = ()) -> None:
        self.by_symbol: dict[str, Instrument] = {}
        self.by_wire: dict[str, Instrument] = {}
        self.update(instruments)

    def update(self, instruments: Iterable[Instrument]) -> None:
        for inst in instruments:
            self.by_symbol[inst.symbol] = inst
            self.by_wire[inst.wire_symbol.upper()] = inst

    def wire(self, symbol: str) -> str:
        """The venue's name of ``symbol``. Raises KeyError for an unlisted one."""
        return self.by_symbol[symbol].wire_symbol

    def symbol(self, wire: str) -> str | None:
        """Our name of the venue's ``wire`` (any case), None if unlisted."""
        inst = self.by_wire.get(wire.upper())
        return inst.symbol if inst is not None else None
