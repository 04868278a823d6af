"""Live side of a strategy: its virtual book, the rolling bar window and the context that turns the
strategy's actions into signal orders for the executor.

The strategy decides; the executor sizes per linked account (issue 3's ``qty_per``). The mapping:

- SPOT/FUTURES groups (``qty_per`` = percent of each account's allocation ``equity x weight x leverage``):
  ``fraction=f`` -> ``qty_per = 100 f``; ``qty`` units or ``value`` v in quote currency -> percent of the
  *smallest* allocation among the linked accounts (``100 x notional / min_allocation``).
- STOCK groups (``qty_per`` = shares): ``qty`` -> shares; ``value`` v -> ``floor(v / price)`` shares;
  ``fraction=f`` -> ``floor(f x min_allocation / price)`` shares (every account can afford it).
- ``close(f)`` -> ``qty_per = -100 f`` (the executor closes that percent of each account's position).
- ``target_position(fraction=f)`` -> close first when the sign changes, then open ``|f|``; when the book
  already holds that side it sends nothing. ``target_position(qty)`` trades the difference in units.
- Market orders are sent at once (``at`` is a backtest notion); limit/stop prices go on the order.

The *book* is the strategy's own view: the sign and an estimated size of its position (units; with no
allocation known, 1.0 stands for a full position) and the average entry price: the bar close at the
decision, replaced by the volume-weighted price of the opening fills as they arrive.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import asdict, dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any

import numpy as np

from ..core.enums import MarketType, Side
from ..core.errors import ConfigError
from ..core.market_data import Bar
from ..execution.signal import SignalOrder, SignalOrderType
from .base import BarData, OrderIntent

_PCT_STEP = Decimal("0.0001")


@dataclass
class LiveBook:
    """The strategy's position in one symbol (floats; persisted as JSON)."""

    qty: float = 0.0
    avg_price: float = 0.0
    open_signal: str | None = None
    fill_qty: float = 0.0
    fill_notional: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "LiveBook":
        data = data or {}
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def copy(self) -> "LiveBook":
        return LiveBook(**asdict(self))

    def on_opening_fill(self, qty: float, price: float) -> None:
        """A fill of the signal that opened the position: the entry becomes the fills' VWAP."""
        self.fill_qty += qty
        self.fill_notional += qty * price
        if self.fill_qty > 0:
            self.avg_price = self.fill_notional / self.fill_qty


class BarWindow:
    """The last ``size`` closed bars of one symbol as float columns (a closed bar repeated or out of order
    is ignored; one with the same open time replaces the last)."""

    def __init__(self, symbol: str, size: int) -> None:
        self.symbol = symbol
        self.size = size
        self._cols: list[deque[float]] = [deque(maxlen=size) for _ in range(5)]
        self._times: deque[int] = deque(maxlen=size)

    def __len__(self) -> int:
        return len(self._times)

    @property
    def last_time_ms(self) -> int | None:
        return self._times[-1] if self._times else None

    def add(self, bar: Bar) -> bool:
        """Append ``bar``; False (ignored) when it is older than the last bar."""
        last = self.last_time_ms
        if last is not None and bar.open_time_ms < last:
            return False
        values = (float(bar.open), float(bar.high), float(bar.low), float(bar.close), float(bar.volume))
        if last is not None and bar.open_time_ms == last:
            for col, v in zip(self._cols, values):
                col[-1] = v
            return True
        self._times.append(bar.open_time_ms)
        for col, v in zip(self._cols, values):
            col.append(v)
        return True

    def data(self) -> BarData:
        o, h, l_, c, v = (np.fromiter(col, dtype=np.float64, count=len(col)) for col in self._cols)
        return BarData(self.symbol, np.fromiter(self._times, dtype=np.int64, count=len(self._times)), o, h, l_, c, v)


def _dec(x: float, step: Decimal = _PCT_STEP) -> Decimal:
    return Decimal(repr(float(x))).quantize(step, rounding=ROUND_DOWN)


class LiveContext:
    """A strategy's context for one decision (one bar close, tick or scheduled job) of one symbol.

    ``price``: the reference price (last close); ``min_allocation``: the smallest linked-account
    allocation in quote currency (None when unknown). Orders accumulate in ``orders``; ``book`` is a
    tentative copy the runner commits once the executor accepted the signal.
    """

    def __init__(self, symbol: str, market_type: MarketType, book: LiveBook, price: float,
                 min_allocation: float | None) -> None:
        self.symbol = symbol
        self.market_type = market_type
        self.book = book.copy()
        self.price = price
        self.min_allocation = min_allocation if min_allocation and min_allocation > 0 else None
        self.orders: list[SignalOrder] = []

    # ---- views ----
    @property
    def position(self) -> float:
        return self.book.qty

    @property
    def avg_price(self) -> float:
        return self.book.avg_price

    @property
    def equity(self) -> float:
        return math.nan

    # ---- actions ----
    def cancel_all(self) -> None:
        self.orders.append(SignalOrder(self.symbol, SignalOrderType.CANCEL_ALL_ORDER, None))

    def submit(self, intent: OrderIntent) -> None:
        if intent.close_fraction is not None:
            self._close(intent.close_fraction)
        elif intent.target:
            self._target(intent)
        else:
            assert intent.side is not None
            self._trade(intent.side, intent, self._units(intent))

    def _close(self, fraction: float) -> None:
        if self.book.qty == 0:
            return
        side = Side.SELL if self.book.qty > 0 else Side.BUY
        self.orders.append(SignalOrder(self.symbol, SignalOrderType.MARKET, side, qty_per=_dec(-100 * fraction)))
        self.book.qty *= 1 - fraction
        if fraction >= 1 or abs(self.book.qty) < 1e-12:
            self.book = LiveBook()

    def _target(self, it: OrderIntent) -> None:
        if it.fraction is not None:
            f = it.fraction
            if self.book.qty != 0 and (f == 0 or (self.book.qty > 0) != (f > 0)):
                self._close(1.0)
            if f == 0 or self.book.qty != 0:
                return  # flat wanted, or already on that side
            side = Side.BUY if f > 0 else Side.SELL
            sub = OrderIntent(side=side, fraction=abs(f), tag=it.tag)
            self._trade(side, sub, self._units(sub))
            return
        assert it.qty is not None
        delta = it.qty - self.book.qty
        if abs(delta) < 1e-12:
            return
        side = Side.BUY if delta > 0 else Side.SELL
        self._trade(side, OrderIntent(side=side, qty=abs(delta), tag=it.tag), abs(delta))

    def _trade(self, side: Side, it: OrderIntent, units: float) -> None:
        qty_per = self._qty_per(it, units)
        self._order(side, qty_per, it)
        # a STOCK order trades whole shares: the book holds what was sent
        self._book_add(side, float(qty_per) if self.market_type is MarketType.STOCK else units)

    def _units(self, it: OrderIntent) -> float:
        """Estimated units the intent trades."""
        if it.qty is not None:
            return it.qty
        if it.value is not None:
            return it.value / self.price
        frac = it.fraction or 0.0
        if self.min_allocation is None:
            return frac  # unknown size: 1.0 = a full position
        return frac * self.min_allocation / self.price

    def _qty_per(self, it: OrderIntent, units: float) -> Decimal:
        if self.market_type is MarketType.STOCK:
            if it.fraction is not None and self.min_allocation is None:
                raise ConfigError(f"{self.symbol}: fraction sizing on a STOCK group needs linked accounts "
                                  "with known equity (qty_per is a number of shares)")
            shares = Decimal(math.floor(units + 1e-9))
            if shares <= 0:
                raise ConfigError(f"{self.symbol}: the order is less than one share")
            return shares
        if it.fraction is not None:
            return _dec(100 * it.fraction)
        if self.min_allocation is None:
            raise ConfigError(f"{self.symbol}: sizing in units or quote currency needs linked accounts with "
                              "known equity (qty_per is a percent of the allocation)")
        return _dec(100 * units * self.price / self.min_allocation)

    def _order(self, side: Side, qty_per: Decimal, it: OrderIntent) -> None:
        kind = SignalOrderType(it.order_type.value)
        price = Decimal(repr(it.limit)) if it.limit is not None else None
        stop = Decimal(repr(it.stop)) if it.stop is not None else None
        self.orders.append(SignalOrder(self.symbol, kind, side, qty_per=qty_per, price=price, stop_price=stop))

    def _book_add(self, side: Side, units: float) -> None:
        b = self.book
        signed = units * side.sign
        if b.qty == 0 or (b.qty > 0) == (signed > 0):
            total = abs(b.qty) + units
            b.avg_price = (b.avg_price * abs(b.qty) + self.price * units) / total if total else 0.0
            b.qty += signed
        else:
            b.qty += signed
            if abs(b.qty) < 1e-12:
                self.book = LiveBook()
            elif (b.qty > 0) == (signed > 0):  # flipped
                b.avg_price = self.price
