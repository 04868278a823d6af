"""Pure matching rules of the paper venue (no state, no I/O): is an order marketable, at what price does it
fill, has a stop triggered, how much cash does an open buy reserve.

The rules (issue 2 item 6, API.md "Paper rules"):

- MARKET fills at once at the ask (buy) / bid (sell), moved against the trader by ``slippage_rate`` (a
  fraction: 0.001 = 0.1 %) and rounded to the tick away from the trader (buy up, sell down).
- LIMIT buy marketable on arrival (ask <= limit) fills at the ask (price improvement); a resting one fills at
  its limit once ask <= limit. Sells mirror it with the bid (bid >= limit).
- STOP_MARKET buy triggers when ask >= stop (sell: bid <= stop) and then fills as MARKET.
- STOP_LIMIT becomes a LIMIT at ``price`` on trigger; at the triggering quote it is treated as arriving
  (fills at the ask/bid if marketable), afterwards as resting (fills at its limit).
- Quotes with a non-positive bid or ask carry no usable price and never fill anything.

The backtester fills on bars with the same rules, seen through a bar's open, high and low (``match_bar``): a
price that gaps through the level at the open fills at the open (the first quote of the bar), one that only
touches it inside the bar fills at the level itself (a resting order at its limit or stop).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from ...core.enums import OrderType, Side
from ...core.market_data import Quote
from ...core.money import ONE, round_to_step


@dataclass(frozen=True, slots=True)
class Match:
    """Outcome of checking one order against one quote.

    ``triggered``: a stop order's stop price was reached at this quote (it stays True afterwards).
    ``fill_price``: the price (quote currency, on tick) the whole order fills at now, or None to keep resting.
    """

    triggered: bool
    fill_price: Decimal | None


NO_MATCH = Match(False, None)


def usable(quote: Quote | None) -> bool:
    """True if the quote has a positive bid and ask (a price the paper venue can trade at)."""
    return quote is not None and quote.bid > 0 and quote.ask > 0


def market_price(side: Side, quote: Quote, slippage_rate: Decimal, tick_size: Decimal) -> Decimal:
    """Fill price of a market order: ``ask x (1 + slippage)`` rounded up to the tick for a buy,
    ``bid x (1 - slippage)`` rounded down for a sell (slippage always costs the trader)."""
    if side is Side.BUY:
        return round_to_step(quote.ask * (ONE + slippage_rate), tick_size, ROUND_UP)
    return round_to_step(quote.bid * (ONE - slippage_rate), tick_size, ROUND_DOWN)


def limit_marketable(side: Side, limit: Decimal, quote: Quote) -> bool:
    """A buy limit is marketable when ask <= limit; a sell limit when bid >= limit."""
    return quote.ask <= limit if side is Side.BUY else quote.bid >= limit


def arrival_limit_price(side: Side, quote: Quote) -> Decimal:
    """Fill price of a limit order that is marketable when it arrives: the ask (buy) or bid (sell),
    which is at or better than the limit."""
    return quote.ask if side is Side.BUY else quote.bid


def stop_triggered(side: Side, stop: Decimal, quote: Quote) -> bool:
    """A buy stop triggers when ask >= stop; a sell stop when bid <= stop."""
    return quote.ask >= stop if side is Side.BUY else quote.bid <= stop


def match(
    order_type: OrderType,
    side: Side,
    price: Decimal | None,
    stop_price: Decimal | None,
    triggered: bool,
    quote: Quote | None,
    *,
    arriving: bool,
    slippage_rate: Decimal,
    tick_size: Decimal,
) -> Match:
    """Check one order against one quote.

    ``arriving`` is True when the order is being placed (limit orders then fill at the quote, not at their
    limit). MARKET orders always fill when the quote is usable (the caller rejects them without one).
    Returns ``Match(triggered, fill_price)``; ``triggered`` is only True for stop orders whose stop was reached
    at this quote (or earlier, when ``triggered`` was passed in True).
    """
    if not usable(quote):
        return Match(triggered, None)
    assert quote is not None
    if order_type is OrderType.MARKET:
        return Match(False, market_price(side, quote, slippage_rate, tick_size))
    if order_type is OrderType.LIMIT:
        return Match(False, _limit_fill(side, price, quote, arriving))
    # stop orders
    if not triggered:
        if stop_price is None or not stop_triggered(side, stop_price, quote):
            return NO_MATCH
        if order_type is OrderType.STOP_MARKET:
            return Match(True, market_price(side, quote, slippage_rate, tick_size))
        return Match(True, _limit_fill(side, price, quote, True))  # a limit arriving at the triggering quote
    if order_type is OrderType.STOP_MARKET:
        return Match(True, market_price(side, quote, slippage_rate, tick_size))
    return Match(True, _limit_fill(side, price, quote, arriving))


def _limit_fill(side: Side, limit: Decimal | None, quote: Quote, arriving: bool) -> Decimal | None:
    if limit is None or not limit_marketable(side, limit, quote):
        return None
    return arrival_limit_price(side, quote) if arriving else limit


@dataclass(frozen=True, slots=True)
class BarMatch:
    """Outcome of checking one resting order against one bar: ``fill_price`` (None: keep resting),
    ``market`` (the fill is a market fill: slippage applies), ``triggered`` (a stop was reached)."""

    triggered: bool
    fill_price: float | None
    market: bool = False


def match_bar(order_type: OrderType, side: Side, limit: float | None, stop: float | None, triggered: bool,
              bar_open: float, bar_high: float, bar_low: float) -> BarMatch:
    """The quote rules above applied to a bar (floats, the backtester's arrays). MARKET fills at the open; a
    LIMIT (or triggered STOP_LIMIT) fills at the open when the open is marketable, else at its limit when the
    bar reaches it; a STOP_MARKET fills at the open when the open is through the stop, else at the stop when
    the bar touches it; a STOP_LIMIT triggers the same way and then fills as a limit arriving at the trigger
    price (the open, or the stop)."""
    buy = side is Side.BUY
    if order_type is OrderType.MARKET:
        return BarMatch(False, bar_open, True)
    if order_type is OrderType.LIMIT or (order_type is OrderType.STOP_LIMIT and triggered):
        assert limit is not None
        if buy and bar_open <= limit or not buy and bar_open >= limit:
            return BarMatch(triggered, bar_open)
        if buy and bar_low <= limit or not buy and bar_high >= limit:
            return BarMatch(triggered, limit)
        return BarMatch(triggered, None)
    assert stop is not None
    gap = bar_open >= stop if buy else bar_open <= stop
    touched = bar_high >= stop if buy else bar_low <= stop
    if order_type is OrderType.STOP_MARKET:
        if gap:
            return BarMatch(True, bar_open, True)
        return BarMatch(touched, stop if touched else None, touched)
    assert limit is not None  # STOP_LIMIT, not yet triggered
    if not (gap or touched):
        return BarMatch(False, None)
    at = bar_open if gap else stop
    return BarMatch(True, at if (buy and at <= limit or not buy and at >= limit) else None)


def commission(notional: Decimal, rate: Decimal) -> Decimal:
    """Commission of one fill: ``notional x rate`` (quote currency, not rounded)."""
    return notional * rate


def buy_reservation(
    order_type: OrderType, quantity: Decimal, price: Decimal | None, stop_price: Decimal | None, commission_rate: Decimal
) -> Decimal:
    """Cash an open (resting) buy reserves: ``quantity x (limit | stop) x (1 + commission_rate)``.

    LIMIT and STOP_LIMIT reserve at their limit ``price``; STOP_MARKET at its ``stop_price``. MARKET orders
    never rest, so they reserve nothing. Quote currency.
    """
    if order_type is OrderType.MARKET:
        return Decimal(0)
    ref = stop_price if order_type is OrderType.STOP_MARKET else price
    if ref is None:
        raise ValueError(f"{order_type.value} order needs {'a stop price' if order_type is OrderType.STOP_MARKET else 'a price'}")
    return quantity * ref * (ONE + commission_rate)
