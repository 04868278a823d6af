"""Bars for backtests: from a CSV file (the market package's reader) or from stored bars, and the
instrument rules (lot size, crypto or stock) that size the orders."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ..core.enums import MarketType
from ..core.instrument import Instrument
from ..core.market_data import Bar
from ..market.catalog import demo_instruments
from ..market.csv_import import read_ohlcv_frame
from ..strategies.base import BarData

# Lot used for a crypto symbol the catalog does not know: the finest lot of the demo catalog (BTC/USDT).
DEFAULT_CRYPTO_LOT = Decimal("0.00001")


@dataclass(frozen=True, slots=True)
class InstrumentRules:
    """What the backtester needs of an instrument: quantity step, minimum quantity, crypto or stock."""

    symbol: str
    lot_size: Decimal
    min_qty: Decimal
    is_crypto: bool

    @classmethod
    def from_instrument(cls, inst: Instrument) -> "InstrumentRules":
        return cls(inst.symbol, inst.lot_size, inst.min_qty, inst.market_type is not MarketType.STOCK)


def instrument_rules(symbol: str, lot_size: Decimal | None = None) -> InstrumentRules:
    """Rules for ``symbol``: the demo catalog's instrument when it lists the symbol; otherwise a crypto
    pair (``BASE/QUOTE``) with lot :data:`DEFAULT_CRYPTO_LOT` or a stock in whole units. ``lot_size``
    overrides the lot (and the minimum quantity)."""
    known = {i.symbol: i for i in demo_instruments()}
    if symbol in known:
        rules = InstrumentRules.from_instrument(known[symbol])
    else:
        crypto = "/" in symbol
        lot = DEFAULT_CRYPTO_LOT if crypto else Decimal(1)
        rules = InstrumentRules(symbol, lot, lot, crypto)
    if lot_size is not None:
        rules = InstrumentRules(symbol, lot_size, lot_size, rules.is_crypto)
    return rules


def load_csv(path: str | Path, symbol: str | None = None) -> BarData:
    """Bars of an OHLCV CSV (``read_ohlcv_frame``: Date/Datetime/Timestamp + OHLCV, Binance klines) as
    :class:`BarData`; ``symbol`` defaults to the one derived from the file name.
    Raises ``DataImportError`` naming the first bad line."""
    frame = read_ohlcv_frame(path)
    sym = symbol or str(frame.attrs.get("symbol") or Path(path).stem)
    return BarData.from_frame(frame, sym)


def from_bars(bars: list[Bar]) -> BarData:
    """Stored bars (``store.bars.load(...)``, ascending) as :class:`BarData`."""
    return BarData.from_bars(bars)
