"""Order sizing for signals: turn a signal's ``qty_per`` into a quantity for one account.

Pure functions (no I/O), Decimal in and out. The rules are the webhook contract of issue 3:

- ``qty_per > 0`` on a SPOT/FUTURES group: percent of the group's allocated capital on that account,
  ``allocated = equity x weight x leverage`` (quote currency), so
  ``quantity = equity x weight x leverage x qty_per / 100 / price``, rounded DOWN to the lot size.
  ``qty_per = 200`` therefore means 2x the allocation (only affordable with leverage).
- ``qty_per > 0`` on a STOCK group: the number of shares, rounded DOWN to the lot size (weight and
  leverage do not apply).
- ``qty_per < 0`` (any market type): close ``|qty_per|`` percent of the current position, rounded DOWN to
  the lot size; the side is opposite to the position's sign (a long is sold, a short is bought back).
  ``-100`` closes all of it.

Every function raises ``SizingError`` (a ``TraderError``) with a plain reason instead of returning a zero
or negative quantity.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from ..core.enums import MarketType, OrderType, Side
from ..core.errors import TraderError
from ..core.instrument import Instrument
from ..core.market_data import Quote
from ..core.money import ZERO, fmt, round_qty_down

HUNDRED = Decimal(100)
# currencies quoted in whole units (no minor unit in practice): an amount to spend is rounded to 1
WHOLE_UNIT_CURRENCIES = frozenset({"KRW", "JPY"})


class SizingError(TraderError):
    """A signal order cannot be sized for an account (no price, nothing to close, below one lot...)."""


def allocated_capital(equity: Decimal, weight: Decimal, leverage: Decimal) -> Decimal:
    """Capital a group may use on an account: ``equity x weight x leverage`` (quote currency).

    ``weight`` is a fraction (0 < weight <= 1), ``leverage`` >= 1. Raises ``SizingError`` for a
    non-positive equity, a weight outside (0, 1] or a leverage below 1.
    """
    if equity <= 0:
        raise SizingError(f"account equity is {fmt(equity, 2)}; nothing to allocate")
    if not (ZERO < weight <= 1):
        raise SizingError(f"weight must be in (0, 1], got {fmt(weight)}")
    if leverage < 1:
        raise SizingError(f"leverage must be >= 1, got {fmt(leverage)}")
    return equity * weight * leverage


def sizing_price(order_type: OrderType, side: Side, price: Decimal | None, stop_price: Decimal | None,
                 quote: Quote | None) -> Decimal:
    """The price a new position is sized at (quote currency per unit).

    LIMIT and STOP_LIMIT: the limit ``price``; STOP_MARKET: the ``stop_price``; MARKET: the current ask for a
    buy and bid for a sell (what the order would pay), falling back to ``last`` when that side is empty.
    Raises ``SizingError`` when no positive price is known.
    """
    if order_type in (OrderType.LIMIT, OrderType.STOP_LIMIT):
        chosen = price
    elif order_type is OrderType.STOP_MARKET:
        chosen = stop_price
    else:
        chosen = None
        if quote is not None:
            chosen = quote.ask if side is Side.BUY else quote.bid
            if chosen is None or chosen <= 0:
                chosen = quote.last
    if chosen is None or chosen <= 0:
        what = "no market price" if order_type is OrderType.MARKET else f"no {order_type.value} price"
        raise SizingError(f"{what} to size the order")
    return chosen


def open_quantity(qty_per: Decimal, market_type: MarketType, instrument: Instrument, *, equity: Decimal,
                  weight: Decimal, leverage: Decimal, price: Decimal) -> Decimal:
    """Quantity (base units or shares) for an opening order with ``qty_per > 0``.

    STOCK: ``qty_per`` shares. SPOT/FUTURES: ``equity x weight x leverage x qty_per / 100 / (price x
    multiplier)`` (the contract multiplier is 1 for spot).
    Both rounded DOWN to ``instrument.lot_size``. Raises ``SizingError`` when ``qty_per <= 0`` or the result
    is below one lot (or below the instrument's minimum quantity).
    """
    if qty_per <= 0:
        raise SizingError(f"qty_per must be > 0 to open, got {fmt(qty_per)}")
    if market_type is MarketType.STOCK:
        raw = qty_per
        basis = f"{fmt(qty_per)} shares"
    else:
        if price <= 0:
            raise SizingError(f"price must be > 0, got {fmt(price)}")
        capital = allocated_capital(equity, weight, leverage)
        notional = capital * qty_per / HUNDRED
        raw = notional / (price * instrument.multiplier)
        basis = (f"{fmt(qty_per)}% of {fmt(capital, 2)} {instrument.quote} allocated "
                 f"= {fmt(notional, 2)} at {fmt(price)}")
    qty = round_qty_down(raw, instrument.lot_size)
    _check_min(qty, instrument, basis)
    return qty


def open_amount(qty_per: Decimal, instrument: Instrument, *, equity: Decimal, weight: Decimal,
                leverage: Decimal) -> Decimal:
    """The quote amount (Decimal, ``instrument.quote``) an opening market buy spends on a venue that buys by
    amount: ``equity x weight x leverage x qty_per / 100``, the notional of ``open_quantity`` before any lot
    rounding, rounded down to the quote's smallest unit (8 decimals; whole units for currencies without minor
    units such as KRW and JPY). Raises ``SizingError`` as ``allocated_capital`` does, or below the instrument's
    minimum notional."""
    if qty_per <= 0:
        raise SizingError(f"qty_per must be > 0 to open, got {fmt(qty_per)}")
    capital = allocated_capital(equity, weight, leverage)
    unit = Decimal(1) if instrument.quote in WHOLE_UNIT_CURRENCIES else Decimal("0.00000001")
    amount = (capital * qty_per / HUNDRED).quantize(unit, rounding=ROUND_DOWN)
    if amount <= 0 or (instrument.min_notional and amount < instrument.min_notional):
        raise SizingError(f"{fmt(qty_per)}% of {fmt(capital, 2)} {instrument.quote} allocated = {fmt(amount)}, "
                          f"below the minimum order value {fmt(instrument.min_notional)}")
    return amount


def close_order(qty_per: Decimal, position_qty: Decimal, instrument: Instrument) -> tuple[Side, Decimal]:
    """Side and quantity that close ``|qty_per|`` percent of a position (``qty_per < 0``, -100 = all).

    ``position_qty`` is signed (> 0 long, < 0 short). Returns ``(SELL, q)`` for a long, ``(BUY, q)`` for a
    short, with ``q = |position_qty| x |qty_per| / 100`` rounded DOWN to the lot size (closing 100 percent
    returns the whole position as is). Raises ``SizingError`` for ``qty_per`` outside [-100, 0), a flat
    position or a result below one lot.
    """
    if not (-HUNDRED <= qty_per < 0):
        raise SizingError(f"qty_per must be in [-100, 0) to close, got {fmt(qty_per)}")
    if position_qty == 0:
        raise SizingError(f"no {instrument.symbol} position to close")
    side = Side.SELL if position_qty > 0 else Side.BUY
    held = abs(position_qty)
    raw = held if qty_per == -HUNDRED else held * (-qty_per) / HUNDRED
    qty = min(held, round_qty_down(raw, instrument.lot_size)) if qty_per != -HUNDRED else held
    _check_min(qty, instrument, f"{fmt(-qty_per)}% of a {fmt(held)} position")
    return side, qty


def _check_min(qty: Decimal, instrument: Instrument, basis: str) -> None:
    if qty <= 0:
        raise SizingError(f"{basis} is below one lot ({fmt(instrument.lot_size)} {instrument.symbol})")
    if instrument.min_qty and qty < instrument.min_qty:
        raise SizingError(f"{basis} gives {fmt(qty)}, below the minimum quantity {fmt(instrument.min_qty)}")
