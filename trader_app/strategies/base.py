"""The ``Strategy`` base class: one class runs live (strategy runner) and in the backtester.

A strategy is single-symbol; the live runner makes one instance per symbol it is bound to.

Life cycle, driven by a *context* (the backtest engine or the live runner's context):

1. ``indicators(data)`` - vectorised, causal per-bar arrays (numpy) computed once over all bars in a
   backtest, or over the rolling window of recent bars on every closed bar live. The context stores them,
   as Python lists for a fast per-bar loop, in ``self.ind[name]``.
2. ``on_start()`` once; then per bar ``on_bar_open(i)`` (only if a strategy defines it; orders placed
   there fill at bar ``i``'s open) and ``on_bar(i)`` at bar ``i``'s close; ``on_tick(quote)`` live only;
   ``on_fill(fill)`` after each fill of the strategy's orders; ``on_stop()`` at the end.
3. Actions: :meth:`buy`, :meth:`sell`, :meth:`close`, :meth:`target_position`, :meth:`cancel_all`.
   A market order decided at a bar's close fills at the next bar's open (``at="next_open"``, default);
   ``at="close"`` fills at this bar's close (market on close); ``at="open"`` (inside ``on_bar_open``) at
   this bar's open. Live, every market order is sent at once.

Prices and quantities a strategy sees are floats (analytics/indicator arrays); contexts convert to
``Decimal`` at their edges (backtest fills, live signals).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Protocol

import numpy as np
import pandas as pd

from ..core.enums import OrderType, Side
from ..core.errors import ConfigError
from ..core.market_data import Bar, Quote
from .params import Param, ParamValues, resolve_params

PCT_EPS = 1e-9  # percentage points: thresholds hit "exactly" on paper are hit despite float rounding


def change_pct(price: float, ref: float) -> float:
    """``(price / ref - 1) x 100``: the percent move from ``ref`` to ``price`` (0 when ``ref`` is 0)."""
    return (price / ref - 1.0) * 100.0 if ref else 0.0


def hit_gain(price: float, ref: float, pct: float) -> bool:
    """True when ``price`` is at least ``pct`` percent above ``ref`` (within 1e-9 points)."""
    return change_pct(price, ref) >= pct - PCT_EPS


def hit_loss(price: float, ref: float, pct: float) -> bool:
    """True when ``price`` is at least ``pct`` percent below ``ref`` (within 1e-9 points)."""
    return change_pct(price, ref) <= -pct + PCT_EPS


AT_NEXT_OPEN = "next_open"
AT_CLOSE = "close"
AT_OPEN = "open"
_AT = (AT_NEXT_OPEN, AT_CLOSE, AT_OPEN)


@dataclass(frozen=True, slots=True)
class BarData:
    """Bars of one symbol as columns: ``time_ms`` int64 epoch ms (bar open, UTC); ``open high low close
    volume`` float64. All arrays have the same length."""

    symbol: str
    time_ms: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __post_init__(self) -> None:
        n = self.time_ms.shape[0]
        for name in ("open", "high", "low", "close", "volume"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"bar column {name} has shape {getattr(self, name).shape}, expected ({n},)")

    def __len__(self) -> int:
        return int(self.time_ms.shape[0])

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, symbol: str = "") -> "BarData":
        """From a DataFrame with a UTC ``DatetimeIndex`` and float columns ``open high low close volume``
        (what ``trader_app.market.csv_import.read_ohlcv_frame`` returns). Raises ``ValueError`` if a
        column is missing or the index is not datetime."""
        missing = [c for c in ("open", "high", "low", "close", "volume") if c not in frame.columns]
        if missing:
            raise ValueError(f"bar frame lacks columns {missing}")
        if not isinstance(frame.index, pd.DatetimeIndex):
            raise ValueError("bar frame needs a DatetimeIndex")
        idx = frame.index if frame.index.tz is not None else frame.index.tz_localize("UTC")
        t = (idx.as_unit("ms").asi8 if hasattr(idx, "as_unit") else idx.asi8 // 1_000_000).astype(np.int64)
        col = {c: np.ascontiguousarray(frame[c].to_numpy(dtype=np.float64)) for c in ("open", "high", "low", "close", "volume")}
        return cls(symbol, t, **col)

    @classmethod
    def from_bars(cls, bars: list[Bar], symbol: str | None = None) -> "BarData":
        """From domain ``Bar`` objects (Decimal prices -> float64)."""
        sym = symbol if symbol is not None else (bars[0].symbol if bars else "")
        return cls(
            sym,
            np.fromiter((b.open_time_ms for b in bars), dtype=np.int64, count=len(bars)),
            np.fromiter((float(b.open) for b in bars), dtype=np.float64, count=len(bars)),
            np.fromiter((float(b.high) for b in bars), dtype=np.float64, count=len(bars)),
            np.fromiter((float(b.low) for b in bars), dtype=np.float64, count=len(bars)),
            np.fromiter((float(b.close) for b in bars), dtype=np.float64, count=len(bars)),
            np.fromiter((float(b.volume) for b in bars), dtype=np.float64, count=len(bars)),
        )


class BarLists:
    """Per-bar Python lists of a :class:`BarData`, made on first use (fast indexing in a per-bar loop)."""

    def __init__(self, data: BarData) -> None:
        self._data = data

    @cached_property
    def time_ms(self) -> list[int]:
        return self._data.time_ms.tolist()

    @cached_property
    def open(self) -> list[float]:
        return self._data.open.tolist()

    @cached_property
    def high(self) -> list[float]:
        return self._data.high.tolist()

    @cached_property
    def low(self) -> list[float]:
        return self._data.low.tolist()

    @cached_property
    def close(self) -> list[float]:
        return self._data.close.tolist()

    @cached_property
    def volume(self) -> list[float]:
        return self._data.volume.tolist()


@dataclass(slots=True)
class OrderIntent:
    """What a strategy asks its context for. Exactly one sizing field is set unless ``close_fraction`` is.

    - ``qty``: units (base currency or shares); ``fraction``: of equity (``target``) or of the equity
      available for new positions (buy/sell); ``value``: notional in quote currency.
    - ``target``: size the order so the position becomes ``qty`` units / ``fraction`` of equity (signed).
    - ``close_fraction``: reduce the current position by that fraction of it (1.0 = flat).
    - ``limit``/``stop`` make it LIMIT, STOP_MARKET or STOP_LIMIT; ``at`` is when a market order fills.
    """

    side: Side | None
    qty: float | None = None
    fraction: float | None = None
    value: float | None = None
    limit: float | None = None
    stop: float | None = None
    at: str = AT_NEXT_OPEN
    target: bool = False
    close_fraction: float | None = None
    tag: str = ""

    @property
    def order_type(self) -> OrderType:
        if self.limit is not None and self.stop is not None:
            return OrderType.STOP_LIMIT
        if self.limit is not None:
            return OrderType.LIMIT
        if self.stop is not None:
            return OrderType.STOP_MARKET
        return OrderType.MARKET


@dataclass(frozen=True, slots=True)
class FillInfo:
    """A fill of one of the strategy's orders as the strategy sees it (floats; ``bar_index`` -1 live)."""

    side: Side
    qty: float
    price: float
    commission: float
    ts_ms: int
    bar_index: int = -1
    tag: str = ""


class StrategyContext(Protocol):
    """What a strategy's actions and views talk to (backtest engine or live context)."""

    def submit(self, intent: OrderIntent) -> None: ...

    def cancel_all(self) -> None: ...

    @property
    def position(self) -> float: ...

    @property
    def avg_price(self) -> float: ...

    @property
    def equity(self) -> float: ...


@dataclass
class _NullContext:
    position: float = 0.0
    avg_price: float = 0.0
    equity: float = math.nan
    intents: list[OrderIntent] = field(default_factory=list)

    def submit(self, intent: OrderIntent) -> None:
        self.intents.append(intent)

    def cancel_all(self) -> None:
        self.intents.clear()


class Strategy:
    """Base class of every strategy. Subclasses set ``name``, ``params`` and override callbacks.

    ``state_fields`` names instance attributes that persist across restarts (live) besides the position,
    e.g. a trailing-stop high. Construct with validated parameters: ``SmaCross({"fast": 5})`` or
    ``SmaCross(fast=5)``; raises ``ConfigError`` for unknown or invalid values.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""
    params: ClassVar[tuple[Param, ...]] = ()
    state_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: Mapping[str, Any] | None = None, /, **kwargs: Any) -> None:
        self.p: ParamValues = resolve_params(self.params, {**(params or {}), **kwargs})
        self.validate()
        self.symbol = ""
        self.data: BarData | None = None
        self.bars: BarLists | None = None
        self.ind: dict[str, list[Any]] = {}
        self._ctx: StrategyContext = _NullContext()

    # ---- declarations -------------------------------------------------------------------------------
    def validate(self) -> None:
        """Cross-parameter checks (e.g. fast < slow). Raise ``ConfigError``."""

    def warmup(self) -> int:
        """Bars of history the indicators need before ``on_bar`` can act (the live window is larger)."""
        return 1

    def indicators(self, data: BarData) -> dict[str, np.ndarray]:
        """Per-bar arrays computed at once from ``data`` (each ``len(data)`` long, causal)."""
        return {}

    # ---- binding (called by contexts) ----------------------------------------------------------------
    def bind(self, ctx: StrategyContext, data: BarData) -> None:
        """Attach a context and bars; computes ``indicators`` and stores them as lists in ``self.ind``.

        Raises ``ValueError`` if an indicator's length differs from the bars'.
        """
        self._ctx = ctx
        self.symbol = data.symbol
        self.data = data
        self.bars = BarLists(data)
        ind = self.indicators(data)
        n = len(data)
        out: dict[str, list[Any]] = {}
        for key, arr in ind.items():
            a = np.asarray(arr)
            if a.shape != (n,):
                raise ValueError(f"{self.name}: indicator {key} has shape {a.shape}, expected ({n},)")
            out[key] = a.tolist()
        self.ind = out

    # ---- callbacks ---------------------------------------------------------------------------------
    def on_start(self) -> None:
        """Called once before the first bar (after ``bind``)."""

    def on_bar(self, i: int) -> None:
        """Bar ``i`` has closed. Read ``self.ind[name][i]`` and ``self.bars.close[i]``; place orders."""

    def on_tick(self, quote: Quote) -> None:
        """Live only: a quote of the symbol arrived (optional)."""

    def on_fill(self, fill: FillInfo) -> None:
        """One of the strategy's orders filled (fully or partly)."""

    def on_stop(self) -> None:
        """Called once at the end of a backtest or when the live strategy stops."""

    # ---- views -----------------------------------------------------------------------------------------
    @property
    def position(self) -> float:
        """Signed position in units (> 0 long, < 0 short, 0 flat)."""
        return self._ctx.position

    @property
    def avg_price(self) -> float:
        """Average entry price of the position (0 when flat)."""
        return self._ctx.avg_price

    @property
    def equity(self) -> float:
        """Equity in quote currency (backtest); ``nan`` live, where each account sizes for itself."""
        return self._ctx.equity

    # ---- actions -----------------------------------------------------------------------------------------
    def buy(self, qty: float | None = None, *, fraction: float | None = None, value: float | None = None,
            limit: float | None = None, stop: float | None = None, at: str = AT_NEXT_OPEN, tag: str = "") -> None:
        """Buy ``qty`` units, or ``fraction`` of the equity available, or ``value`` of quote currency.
        With no size, ``fraction=1.0`` (all available equity). Raises ``ConfigError`` for bad sizes."""
        self._ctx.submit(_intent(Side.BUY, qty, fraction, value, limit, stop, at, tag))

    def sell(self, qty: float | None = None, *, fraction: float | None = None, value: float | None = None,
             limit: float | None = None, stop: float | None = None, at: str = AT_NEXT_OPEN, tag: str = "") -> None:
        """Sell (reduce a long or open/add to a short); sizes as :meth:`buy`."""
        self._ctx.submit(_intent(Side.SELL, qty, fraction, value, limit, stop, at, tag))

    def close(self, fraction: float = 1.0, *, at: str = AT_NEXT_OPEN, tag: str = "") -> None:
        """Reduce the position by ``fraction`` of it (1.0 = go flat) with a market order; nothing if flat."""
        if not 0 < fraction <= 1:
            raise ConfigError(f"close fraction must be in (0, 1], got {fraction}")
        _check_at(at)
        self._ctx.submit(OrderIntent(side=None, close_fraction=float(fraction), at=at, tag=tag))

    def target_position(self, qty: float | None = None, *, fraction: float | None = None,
                        at: str = AT_NEXT_OPEN, tag: str = "") -> None:
        """Trade so the position becomes ``qty`` units or ``fraction`` of equity (signed: -1.0 = short all
        equity). Crossing zero first closes the old position, then sizes the new one from the equity left."""
        if (qty is None) == (fraction is None):
            raise ConfigError("target_position needs exactly one of qty or fraction")
        _check_at(at)
        val = qty if qty is not None else fraction
        if val is None or not math.isfinite(val):
            raise ConfigError(f"target_position size must be finite, got {val}")
        self._ctx.submit(OrderIntent(side=None, qty=qty, fraction=fraction, target=True, at=at, tag=tag))

    def cancel_all(self) -> None:
        """Cancel the strategy's resting orders."""
        self._ctx.cancel_all()

    # ---- state -------------------------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        """JSON-able values of ``state_fields`` (persisted with the strategy instance)."""
        return {k: getattr(self, k, None) for k in self.state_fields}

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Restore ``state_fields`` from :meth:`get_state`'s output (unknown keys ignored)."""
        for k in self.state_fields:
            if k in state:
                setattr(self, k, state[k])


def _check_at(at: str) -> None:
    if at not in _AT:
        raise ConfigError(f"at must be one of {', '.join(_AT)}, got {at!r}")


def _intent(side: Side, qty: float | None, fraction: float | None, value: float | None,
            limit: float | None, stop: float | None, at: str, tag: str) -> OrderIntent:
    given = [x for x in (qty, fraction, value) if x is not None]
    if len(given) > 1:
        raise ConfigError("give at most one of qty, fraction or value")
    if not given:
        fraction = 1.0
    elif not (math.isfinite(given[0]) and given[0] > 0):
        raise ConfigError(f"order size must be > 0, got {given[0]}")
    for label, px in (("limit", limit), ("stop", stop)):
        if px is not None and not (math.isfinite(px) and px > 0):
            raise ConfigError(f"{label} price must be > 0, got {px}")
    _check_at(at)
    if at != AT_NEXT_OPEN and (limit is not None or stop is not None):
        raise ConfigError("only market orders can fill at the open or the close")
    return OrderIntent(side=side, qty=qty, fraction=fraction, value=value, limit=limit, stop=stop, at=at, tag=tag)
