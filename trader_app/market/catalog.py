"""The demo catalog: instruments the paper venue lists out of the box, and how the demo market moves them.

Tick and lot sizes follow the real venues (checked against the published rules):
- Binance spot ``exchangeInfo`` filters: BTCUSDT PRICE_FILTER tickSize 0.01, LOT_SIZE stepSize 0.00001;
  ETHUSDT 0.01 / 0.0001; SOLUSDT 0.01 / 0.001; NOTIONAL minNotional 5 USDT.
- KRX (Korea Exchange) price bands since 2023-01-25: a stock priced 50,000 to 200,000 KRW moves in 100 KRW
  ticks; one share is the lot. 005930 is Samsung Electronics.
- US equities (Reg NMS rule 612): 0.01 USD ticks above 1 USD; whole shares on the paper venue.

Synthetic ``SYMnnn/USDT`` instruments exist only to load the machine in benchmarks (500 symbols x 20,000
quotes/s); their prices and volatilities are derived from their index, so they are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trader_app.core.enums import MarketType
from trader_app.core.instrument import HOME_VENUE, Instrument

PAPER_VENUE = HOME_VENUE


@dataclass(frozen=True, slots=True)
class DemoProfile:
    """How the demo market moves one instrument.

    price: starting price (quote currency); volatility: annualised volatility as a fraction (0.6 = 60 %/yr,
    applied to wall-clock time as in geometric Brownian motion); trade_notional: typical size of one trade
    in the quote currency (sets the tick volume).
    """

    price: Decimal
    volatility: float
    trade_notional: Decimal


def _spot(base: str, tick: str, lot: str, name: str) -> Instrument:
    return Instrument(
        symbol=f"{base}/USDT",
        venue=PAPER_VENUE,
        market_type=MarketType.SPOT,
        base=base,
        quote="USDT",
        tick_size=Decimal(tick),
        lot_size=Decimal(lot),
        min_qty=Decimal(lot),
        min_notional=Decimal("5"),
        name=name,
    )


def _base_instruments() -> list[Instrument]:
    return [
        _spot("BTC", "0.01", "0.00001", "Bitcoin"),
        _spot("ETH", "0.01", "0.0001", "Ethereum"),
        _spot("SOL", "0.01", "0.001", "Solana"),
        Instrument(
            symbol="005930",
            venue=PAPER_VENUE,
            market_type=MarketType.STOCK,
            base="005930",
            quote="KRW",
            tick_size=Decimal("100"),
            lot_size=Decimal("1"),
            min_qty=Decimal("1"),
            name="Samsung Electronics",
        ),
        Instrument(
            symbol="AAPL",
            venue=PAPER_VENUE,
            market_type=MarketType.STOCK,
            base="AAPL",
            quote="USD",
            tick_size=Decimal("0.01"),
            lot_size=Decimal("1"),
            min_qty=Decimal("1"),
            name="Apple Inc.",
        ),
    ]


_BASE_PROFILES: dict[str, DemoProfile] = {
    "BTC/USDT": DemoProfile(Decimal("65000"), 0.60, Decimal("800")),
    "ETH/USDT": DemoProfile(Decimal("3200"), 0.75, Decimal("500")),
    "SOL/USDT": DemoProfile(Decimal("150"), 1.00, Decimal("300")),
    "005930": DemoProfile(Decimal("72000"), 0.45, Decimal("3000000")),
    "AAPL": DemoProfile(Decimal("190"), 0.35, Decimal("5000")),
}


def synthetic_symbol(index: int) -> str:
    """``SYM001/USDT`` for index 1 (three digits up to 999, more digits beyond)."""
    return f"SYM{index:03d}/USDT"


def demo_instruments(extra_symbols: int = 0) -> list[Instrument]:
    """The demo catalog: BTC/USDT, ETH/USDT, SOL/USDT (spot, USDT), 005930 (KRW), AAPL (USD), all on the
    ``paper`` venue, followed by ``extra_symbols`` synthetic spot pairs SYM001/USDT, SYM002/USDT, ...
    (tick 0.01, lot 0.001, min notional 5 USDT).

    Raises ``ValueError`` if ``extra_symbols`` is negative.
    """
    if extra_symbols < 0:
        raise ValueError(f"extra_symbols must be >= 0, got {extra_symbols}")
    out = _base_instruments()
    for i in range(1, extra_symbols + 1):
        base = f"SYM{i:03d}"
        out.append(
            Instrument(
                symbol=synthetic_symbol(i),
                venue=PAPER_VENUE,
                market_type=MarketType.SPOT,
                base=base,
                quote="USDT",
                tick_size=Decimal("0.01"),
                lot_size=Decimal("0.001"),
                min_qty=Decimal("0.001"),
                min_notional=Decimal("5"),
                name=f"Synthetic {i}",
            )
        )
    return out


def demo_profile(instrument: Instrument) -> DemoProfile:
    """The demo movement profile of ``instrument``: the table above for the catalog's named instruments,
    a deterministic one derived from the index for ``SYMnnn`` pairs, and for anything else a starting
    price of 10,000 ticks (at least 1 unit of the quote currency), 50 %/yr volatility.
    """
    known = _BASE_PROFILES.get(instrument.symbol)
    if known is not None:
        return known
    base = instrument.base
    if base.startswith("SYM") and base[3:].isdigit():
        i = int(base[3:])
        price = Decimal(5 + (i * 7919) % 995)  # 5 .. 999 USDT, spread over the range by a prime stride
        vol = 0.40 + ((i * 31) % 81) / 100.0  # 0.40 .. 1.20
        return DemoProfile(price, vol, Decimal("200"))
    price = max(instrument.tick_size * 10_000, Decimal(1))
    return DemoProfile(price, 0.50, price * 10)
