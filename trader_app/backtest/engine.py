"""The backtester: runs a ``Strategy`` over bars with the paper broker's fill and cash rules.

Rules (issue 4):
- A market order decided at a bar's close fills at the next bar's open (``at="close"`` fills at that
  close, ``at="open"`` from ``on_bar_open`` at that bar's open).
- LIMIT orders fill inside a later bar's range at the limit price, or at the open when the bar gaps
  through it (buy: open <= limit; sell: open >= limit). STOP_MARKET triggers at the stop price, or the open
  on a gap (buy: open >= stop, sell: open <= stop). STOP_LIMIT: on a gap it becomes a limit checked
  against the open; triggered inside the bar it fills at the stop if the stop is within the limit,
  otherwise it rests as a LIMIT from the next bar. Orders rest (GTC) until filled or cancelled.
- Commission = ``commission`` x notional on every fill; ``slippage`` moves market and stop fills
  against the trader (buy x (1 + s), sell x (1 - s)); limit fills get no slippage.
- Cash and position as the paper broker keeps them: buys pay notional + commission, sells receive
  notional - commission; positions by ``core.position_math.apply_fill`` (average price); shorts are
  allowed (``allow_short``) with the whole notional as margin. Quantities are rounded down to
  ``lot_size`` (1 = whole units for stocks). An order the cash cannot pay is rejected (and counted).
- The position still open after the last bar is closed at the final bar's close.
- Liquidation (issue 13): equity may never go below zero. A short's equity ``cash - |q| x price`` reaches
  zero at the liquidation price ``cash / (|q| x (1 + commission))`` (longs are fully paid and cannot). When
  a bar's high reaches it, the position is bought back there (or at the open when the bar gaps through it),
  any deficit left by a gap is written off (negative-balance protection, as crypto venues' insurance funds
  do), the account stays at zero and the strategy gets no more bars: a wiped-out account sends no orders.
  ``BacktestResult.liquidation`` says when and where; the metrics see a curve that ends at zero.

Numbers: fills, cash, positions and trades are exact ``Decimal`` (prices enter as ``Decimal(repr(float))``);
the per-bar loop, the strategy's views (position, equity) and the equity curve are floats. Speed: the
strategy's indicators are computed once, vectorised; the loop only calls ``on_bar(i)`` and works on
orders, so ~1e6 bars/s of loop overhead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

import math

import numpy as np

from ..analytics import performance_metrics, periods_per_year
from ..brokers.paper.matching import match_bar
from ..core.enums import OrderType, Side
from ..core.errors import ConfigError
from ..core.money import ZERO, round_qty_down, to_decimal
from ..core.position_math import apply_fill, flat
from ..strategies.base import AT_CLOSE, AT_NEXT_OPEN, AT_OPEN, BarData, FillInfo, OrderIntent, Strategy
from .result import BacktestResult, Liquidation, SimFill, TradeTracker

ONE = Decimal(1)
PRICE_STEP = Decimal("1e-8")  # a liquidation price is rounded up (against the short) to this step
_PROGRESS_CHUNK = 65_536
MAX_REJECT_MESSAGES = 100  # rejected orders beyond this are only counted


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    """Settings of a run. Money in quote currency (Decimal); ``commission``/``slippage`` are fractions of
    notional/price (0.002 = 0.2 %); ``lot_size`` the quantity step (1 = whole units); ``periods_per_year``
    annualises metrics (default 365 for crypto symbols ``BASE/QUOTE``, else 252)."""

    cash: Decimal = Decimal(10_000)
    commission: Decimal = Decimal("0.002")
    slippage: Decimal = ZERO
    lot_size: Decimal = ONE
    min_qty: Decimal = ZERO
    allow_short: bool = True
    periods_per_year: int | None = None
    is_crypto: bool | None = None

    def __post_init__(self) -> None:
        for name in ("cash", "commission", "slippage", "lot_size", "min_qty"):
            try:
                object.__setattr__(self, name, to_decimal(getattr(self, name), name))
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        if self.cash <= 0:
            raise ConfigError(f"cash must be > 0, got {self.cash}")
        if not 0 <= self.commission < Decimal("0.1"):
            raise ConfigError(f"commission must be a fraction in [0, 0.1), got {self.commission}")
        if not 0 <= self.slippage < Decimal("0.1"):
            raise ConfigError(f"slippage must be a fraction in [0, 0.1), got {self.slippage}")
        if self.lot_size <= 0:
            raise ConfigError(f"lot size must be > 0, got {self.lot_size}")


class _Order:
    __slots__ = ("intent", "triggered", "bar")

    def __init__(self, intent: OrderIntent, bar: int) -> None:
        self.intent = intent
        self.triggered = False
        self.bar = bar


class BacktestEngine:
    """Runs one strategy over one symbol's bars; also the strategy's context (``submit``, views).

    ``BacktestEngine(strategy, data, config).run(progress=None) -> BacktestResult``. ``progress`` (if
    given) is called with the fraction done (0..1) every 65,536 bars and at the end.
    Raises ``ConfigError`` for empty data or prices that are not finite and > 0.
    """

    def __init__(self, strategy: Strategy, data: BarData, config: BacktestConfig | None = None) -> None:
        if len(data) == 0:
            raise ConfigError("no bars to backtest")
        if not (np.isfinite(data.open).all() and np.isfinite(data.close).all() and (data.close > 0).all()
                and (data.open > 0).all() and np.isfinite(data.high).all() and np.isfinite(data.low).all()):
            raise ConfigError("bar prices must be finite and > 0")
        self.strategy = strategy
        self.data = data
        self.config = config or BacktestConfig()
        c = self.config
        self._fee = c.commission
        self._fee_f = float(c.commission)
        self._slip = c.slippage
        self._lot = c.lot_size
        self._cash = c.cash
        self._pos = flat("backtest", data.symbol)
        self._pos_f = 0.0
        self._avg_f = 0.0
        self._cash_f = float(c.cash)
        self._i = 0
        self._phase = AT_OPEN
        self._pending: list[_Order] = []
        self._cancels = 0
        self._fills: list[SimFill] = []
        self._ev_bar: list[int] = []
        self._ev_qty: list[float] = []
        self._ev_cash: list[float] = []
        self._rejected: list[str] = []
        self._rejected_count = 0
        self._commissions = ZERO
        self._tracker = TradeTracker(data.symbol)
        self._open = data.open
        self._high = data.high
        self._low = data.low
        self._close = data.close
        self._time = data.time_ms
        self._times: list[int] = data.time_ms.tolist()
        self._wants_fills = type(strategy).on_fill is not Strategy.on_fill
        self._liq_f = math.inf  # the price at which a short's equity reaches zero
        self._liquidation: Liquidation | None = None

    # ---- StrategyContext -----------------------------------------------------------------------------
    @property
    def position(self) -> float:
        return self._pos_f

    @property
    def avg_price(self) -> float:
        return self._avg_f

    @property
    def equity(self) -> float:
        px = self._close[self._i] if self._phase == AT_CLOSE else self._open[self._i]
        return self._cash_f + self._pos_f * float(px)

    def submit(self, intent: OrderIntent) -> None:
        i = self._i
        if intent.at == AT_NEXT_OPEN:
            self._pending.append(_Order(intent, i))
        elif intent.at == AT_CLOSE:
            if self._phase != AT_CLOSE:
                raise ConfigError("at='close' orders are only possible in on_bar")
            self._execute(intent, i, float(self._close[i]), market=True)
        else:
            if self._phase != AT_OPEN:
                raise ConfigError("at='open' orders are only possible in on_bar_open")
            self._execute(intent, i, float(self._open[i]), market=True)

    def cancel_all(self) -> None:
        self._pending.clear()
        self._cancels += 1

    # ---- run -------------------------------------------------------------------------------------------
    def run(self, progress: Callable[[float], None] | None = None) -> BacktestResult:
        strat = self.strategy
        strat.bind(self, self.data)
        strat.on_start()
        on_bar = strat.on_bar
        on_open = getattr(strat, "on_bar_open", None)
        n = len(self.data)
        pending = self._pending
        highs: list[float] = self._high.tolist()
        for start in range(0, n, _PROGRESS_CHUNK):
            stop = min(n, start + _PROGRESS_CHUNK)
            if on_open is None:
                for i in range(start, stop):
                    if pending:
                        self._i = i
                        self._phase = AT_OPEN
                        self._process_pending(i)
                    if highs[i] >= self._liq_f:
                        self._liquidate(i)
                        break
                    self._i = i
                    self._phase = AT_CLOSE
                    on_bar(i)
            else:
                for i in range(start, stop):
                    self._i = i
                    self._phase = AT_OPEN
                    if pending:
                        self._process_pending(i)
                    on_open(i)
                    if highs[i] >= self._liq_f:
                        self._liquidate(i)
                        break
                    self._phase = AT_CLOSE
                    on_bar(i)
            if self._liquidation is not None:
                break
            if progress is not None:
                progress(stop / n)
        if self._liquidation is not None and progress is not None:
            progress(1.0)
        last = n - 1
        self._i = last
        self._phase = AT_CLOSE
        self._pending.clear()  # orders decided at the last close have no next bar
        if self._pos.quantity != 0:
            side = Side.SELL if self._pos.quantity > 0 else Side.BUY
            self._fill(last, side, abs(self._pos.quantity), to_decimal(float(self._close[last])), "end_of_data")
        strat.on_stop()
        return self._result()

    # ---- orders ------------------------------------------------------------------------------------------
    def _process_pending(self, i: int) -> None:
        o, h, l_ = float(self._open[i]), float(self._high[i]), float(self._low[i])
        keep: list[_Order] = []
        cancels = self._cancels
        for order in tuple(self._pending):
            if order not in self._pending:
                continue  # cancelled by an on_fill callback
            it = order.intent
            m = match_bar(it.order_type, it.side, it.limit, it.stop, order.triggered, o, h, l_)
            order.triggered = order.triggered or m.triggered
            if m.fill_price is None:
                keep.append(order)
            else:
                self._execute(it, i, m.fill_price, market=m.market)
        # orders submitted by on_fill callbacks during processing were appended to self._pending;
        # a cancel_all() from such a callback drops the orders still resting
        added = [x for x in self._pending if x.bar == i and x not in keep]
        self._pending[:] = (keep if cancels == self._cancels else []) + added

    def _execute(self, it: OrderIntent, i: int, price_f: float, market: bool) -> None:
        """Size ``it`` at ``price_f`` and fill it (market orders get slippage)."""
        price = to_decimal(price_f, "price")
        pos = self._pos.quantity
        if it.close_fraction is not None:
            if pos == 0:
                return
            qty = abs(pos) if it.close_fraction >= 1 else round_qty_down(abs(pos) * to_decimal(it.close_fraction), self._lot)
            side = Side.SELL if pos > 0 else Side.BUY
            self._fill_checked(i, side, qty, self._slipped(price, side, market), it.tag)
            return
        if it.target:
            self._execute_target(it, i, price, market)
            return
        side = it.side
        assert side is not None
        px = self._slipped(price, side, market)
        if it.qty is not None:
            qty = round_qty_down(to_decimal(it.qty, "qty"), self._lot)
        elif it.value is not None:
            qty = round_qty_down(to_decimal(it.value, "value") / px, self._lot)
        else:
            avail = self._cash + pos * px - abs(pos) * px
            qty = self._size(to_decimal(it.fraction, "fraction") * avail, px)
        self._fill_checked(i, side, qty, px, it.tag)

    def _execute_target(self, it: OrderIntent, i: int, price: Decimal, market: bool) -> None:
        pos = self._pos.quantity
        if it.qty is not None:
            target = round_qty_down(abs(to_decimal(it.qty)), self._lot) * (1 if it.qty >= 0 else -1)
        else:
            frac = to_decimal(it.fraction, "fraction")
            if pos != 0 and (frac == 0 or (pos > 0) != (frac > 0)):
                side = Side.SELL if pos > 0 else Side.BUY  # cross zero: close first, size from what is left
                self._fill_checked(i, side, abs(pos), self._slipped(price, side, market), it.tag)
                pos = self._pos.quantity
            side = Side.BUY if frac > 0 else Side.SELL
            px = self._slipped(price, side, market)
            equity = self._cash + pos * px
            target = self._size(abs(frac) * equity, px) * (1 if frac > 0 else -1)
        delta = target - pos
        if delta == 0:
            return
        side = Side.BUY if delta > 0 else Side.SELL
        self._fill_checked(i, side, abs(delta), self._slipped(price, side, market), it.tag)

    def _size(self, budget: Decimal, px: Decimal) -> Decimal:
        """Largest lot multiple whose notional plus commission fits ``budget``: floor(b / (p (1 + c)))."""
        if budget <= 0:
            return ZERO
        return round_qty_down(budget / (px * (ONE + self._fee)), self._lot)

    def _slipped(self, price: Decimal, side: Side, market: bool) -> Decimal:
        if not market or not self._slip:
            return price
        return price * (ONE + self._slip) if side is Side.BUY else price * (ONE - self._slip)

    def _fill_checked(self, i: int, side: Side, qty: Decimal, px: Decimal, tag: str) -> None:
        """Reject (record, no change) below the lot/min quantity, or when cash cannot carry the new exposure."""
        if qty <= 0 or qty < self.config.min_qty:
            self._reject(f"bar {i}: {side.value} {qty} below lot/min quantity")
            return
        pos = self._pos.quantity
        signed = qty * side.sign
        new_pos = pos + signed
        flips = pos != 0 and new_pos != 0 and (new_pos > 0) != (pos > 0)
        if abs(new_pos) > abs(pos) or flips:
            if new_pos < 0 and not self.config.allow_short:
                self._reject(f"bar {i}: SELL {qty} would open a short (shorts disabled)")
                return
            fee = qty * px * self._fee
            cash_after = self._cash - signed * px - fee
            # free cash after the fill must cover the notional of the whole position (100 % margin)
            if cash_after + new_pos * px - abs(new_pos) * px < 0:
                self._reject(f"bar {i}: {side.value} {qty} @ {px}: insufficient funds")
                return
        self._fill(i, side, qty, px, tag)

    def _liquidate(self, i: int) -> None:
        """Buy the short back at its liquidation price (the open if bar ``i`` gapped through it), write off
        any deficit, and end the run: equity stays at zero."""
        qty = -self._pos.quantity
        cash_before = self._cash
        liq = (cash_before / (qty * (ONE + self._fee))).quantize(PRICE_STEP, ROUND_CEILING)
        opened = to_decimal(float(self._open[i]), "price")
        price = opened if opened >= liq else liq
        self._fill(i, Side.BUY, qty, price, "liquidation")
        deficit = -self._cash if price == opened and self._cash < 0 else ZERO  # else only the price's rounding
        # the float mirror is put back on the exact figure: both are zero now
        self._ev_cash.append(-self._cash_f)
        self._ev_bar.append(i)
        self._ev_qty.append(0.0)
        self._cash = ZERO
        self._cash_f = 0.0
        self._liq_f = math.inf
        self._pending.clear()
        self._liquidation = Liquidation(i, self._times[i], price, qty, deficit)

    def _reject(self, reason: str) -> None:
        self._rejected_count += 1
        if len(self._rejected) < MAX_REJECT_MESSAGES:
            self._rejected.append(reason)

    def _fill(self, i: int, side: Side, qty: Decimal, px: Decimal, tag: str) -> None:
        fee = qty * px * self._fee
        pos = self._pos
        before = pos.quantity
        ts = self._times[i]
        self._pos, realized = apply_fill(pos, side, qty, px, ts)
        sign = side.sign
        self._cash += -(qty * px) * sign - fee
        self._commissions += fee
        fill = SimFill(i, ts, side, qty, px, fee, tag)
        self._fills.append(fill)
        self._tracker.on_fill(fill, before, realized)
        # float mirrors for the strategy's views and the equity curve (exact values stay Decimal)
        qty_f, px_f = float(qty), float(px)
        notional_f = qty_f * px_f
        cash_delta_f = -notional_f * sign - notional_f * self._fee_f
        self._cash_f += cash_delta_f
        new_qty = self._pos.quantity
        self._pos_f = float(new_qty) if new_qty else 0.0
        if self._pos.avg_price != pos.avg_price:
            self._avg_f = float(self._pos.avg_price)
        self._liq_f = self._cash_f / (-self._pos_f * (1.0 + self._fee_f)) if self._pos_f < 0 else math.inf
        self._ev_bar.append(i)
        self._ev_qty.append(qty_f * sign)
        self._ev_cash.append(cash_delta_f)
        if self._wants_fills:
            self.strategy.on_fill(FillInfo(side, qty_f, px_f, notional_f * self._fee_f, ts, i, tag))

    # ---- result ------------------------------------------------------------------------------------------
    def _result(self) -> BacktestResult:
        n = len(self.data)
        dq = np.zeros(n)
        dc = np.zeros(n)
        if self._ev_bar:
            bars = np.asarray(self._ev_bar, dtype=np.int64)
            np.add.at(dq, bars, np.asarray(self._ev_qty))
            np.add.at(dc, bars, np.asarray(self._ev_cash))
        position = np.cumsum(dq)
        position[np.abs(position) < 1e-12] = 0.0
        cash = float(self.config.cash) + np.cumsum(dc)
        equity = cash + position * self._close
        liquidation = self._liquidation
        if liquidation is not None:
            equity[liquidation.bar:] = 0.0
            position[liquidation.bar:] = 0.0
        final_equity = self._cash  # flat after the final close (or zero after a liquidation)
        c = self.config
        crypto = c.is_crypto if c.is_crypto is not None else "/" in self.data.symbol
        periods = c.periods_per_year or periods_per_year(crypto)
        trades = self._tracker.trades
        metrics = performance_metrics(
            self._time,
            equity,
            periods=periods,
            initial_equity=float(c.cash),
            trade_pnl=[float(t.pnl) for t in trades],
            trade_returns=[t.return_fraction for t in trades],
            closes=self._close,
            in_market=position != 0,
            final_equity=final_equity,
            commissions=self._commissions,
            wiped_out_index=None if liquidation is None else liquidation.bar,
        )
        return BacktestResult(
            strategy=self.strategy.name,
            params=self.strategy.p.as_dict(),
            symbol=self.data.symbol,
            initial_cash=c.cash,
            times_ms=self._time,
            equity=equity,
            position=position,
            closes=self._close,
            fills=self._fills,
            trades=trades,
            final_equity=final_equity,
            cash=self._cash,
            commissions=self._commissions,
            metrics=metrics,
            rejected=self._rejected,
            rejected_count=self._rejected_count,
            liquidation=liquidation,
        )


def run_backtest(
    strategy: Strategy,
    data: BarData,
    config: BacktestConfig | None = None,
    progress: Callable[[float], None] | None = None,
) -> BacktestResult:
    """Convenience: ``BacktestEngine(strategy, data, config).run(progress)``."""
    return BacktestEngine(strategy, data, config).run(progress)

