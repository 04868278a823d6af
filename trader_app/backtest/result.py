"""What a backtest produces: fills, round-trip trades, the equity curve and the metrics."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from ..analytics import drawdown_series, iso_utc, metrics_to_json
from ..core.enums import Side
from ..core.money import ZERO, fmt


@dataclass(frozen=True, slots=True)
class SimFill:
    """One simulated fill: at bar ``bar`` (``ts_ms`` = that bar's open time), Decimal price/quantity and
    commission in quote currency; ``tag`` names the rule that ordered it."""

    bar: int
    ts_ms: int
    side: Side
    quantity: Decimal
    price: Decimal
    commission: Decimal
    tag: str = ""

    @property
    def notional(self) -> Decimal:
        return self.price * self.quantity


@dataclass(frozen=True, slots=True)
class Trade:
    """A round trip from flat to flat (a fill that crosses zero ends one trade and starts the next).

    ``side`` "LONG"/"SHORT"; ``quantity`` the units entered (= the units exited); ``entry_notional`` /
    ``exit_notional`` the sums of price x quantity of the entering / exiting fills; ``pnl`` realized PnL
    minus every commission of the trade (quote currency); bars are bar indexes, times epoch ms (bar open
    times). Derived: ``entry_price``/``exit_price`` (volume-weighted), ``return_pct`` = pnl / entry
    notional x 100.
    """

    symbol: str
    side: str
    quantity: Decimal
    entry_bar: int
    exit_bar: int
    entry_time_ms: int
    exit_time_ms: int
    entry_notional: Decimal
    exit_notional: Decimal
    pnl: Decimal
    commission: Decimal
    entry_tag: str = ""
    exit_tag: str = ""

    @property
    def entry_price(self) -> Decimal:
        return self.entry_notional / self.quantity

    @property
    def exit_price(self) -> Decimal:
        return self.exit_notional / self.quantity

    @property
    def return_pct(self) -> Decimal:
        return self.pnl / self.entry_notional * 100

    @property
    def return_fraction(self) -> float:
        """``pnl / entry notional`` as a float (for the metrics arrays)."""
        return float(self.pnl) / float(self.entry_notional)

    def as_row(self) -> dict[str, Any]:
        """CSV/JSON row: money as decimal strings, times as ISO-8601 UTC."""
        return {
            "symbol": self.symbol,
            "side": self.side,
            "quantity": fmt(self.quantity),
            "entry_time": iso_utc(self.entry_time_ms),
            "exit_time": iso_utc(self.exit_time_ms),
            "entry_bar": self.entry_bar,
            "exit_bar": self.exit_bar,
            "entry_price": fmt(self.entry_price),
            "exit_price": fmt(self.exit_price),
            "pnl": fmt(self.pnl),
            "return_pct": fmt(self.return_pct, 6),
            "commission": fmt(self.commission),
            "entry_tag": self.entry_tag,
            "exit_tag": self.exit_tag,
        }


@dataclass(frozen=True, slots=True)
class Liquidation:
    """The run's account was wiped out: at bar ``bar`` (open time ``ts_ms``, epoch ms) the short of
    ``quantity`` units was bought back at ``price`` (quote currency), where equity reached zero, or at the
    bar's open when it gapped beyond that. ``deficit`` is what the gap lost beyond zero equity (written off;
    0 when the liquidation price was reached inside the bar)."""

    bar: int
    ts_ms: int
    price: Decimal
    quantity: Decimal
    deficit: Decimal

    def as_json(self) -> dict[str, Any]:
        """``{"bar", "time", "price", "quantity", "deficit"}``: time ISO-8601 UTC, money as decimal strings."""
        return {"bar": self.bar, "time": iso_utc(self.ts_ms), "price": fmt(self.price),
                "quantity": fmt(self.quantity), "deficit": fmt(self.deficit)}

    def text(self) -> str:
        """One line for a trader: when, at what price, and that nothing traded after."""
        lost = f"; {fmt(self.deficit)} lost beyond zero in a gap was written off" if self.deficit else ""
        return (f"wiped out: equity reached zero at bar {self.bar} ({iso_utc(self.ts_ms)}); the short of "
                f"{fmt(self.quantity)} was liquidated at {fmt(self.price)}{lost}; no orders after")


def wiped_out(run: Mapping[str, Any]) -> bool:
    """True when the run's account was liquidated (its ``liquidation`` is set or its final equity is 0)."""
    if run.get("liquidation"):
        return True
    final = run["metrics"].get("final_equity")
    return final is not None and Decimal(str(final)) <= 0


TRADE_ROW_KEYS = (
    "symbol", "side", "quantity", "entry_time", "exit_time", "entry_bar", "exit_bar", "entry_price",
    "exit_price", "pnl", "return_pct", "commission", "entry_tag", "exit_tag",
)


@dataclass
class BacktestResult:
    """The outcome of one run.

    ``times_ms``/``equity``/``position`` have one entry per bar (equity float in quote currency after the
    bar's fills, marked at its close; position in units). ``final_equity``, ``cash`` and ``commissions``
    are exact Decimals from the fill accounting. ``metrics`` has exactly ``analytics.METRIC_KEYS``.
    ``rejected_count`` orders were refused (no cash, below the lot, shorts disabled); ``rejected`` keeps
    the first 100 reasons. ``liquidation`` is set when the account was wiped out (equity zero from that bar).
    """

    strategy: str
    params: dict[str, Any]
    symbol: str
    initial_cash: Decimal
    times_ms: np.ndarray
    equity: np.ndarray
    position: np.ndarray
    closes: np.ndarray
    fills: list[SimFill]
    trades: list[Trade]
    final_equity: Decimal
    cash: Decimal
    commissions: Decimal
    metrics: dict[str, Any]
    rejected: list[str] = field(default_factory=list)  # the first 100 reasons
    rejected_count: int = 0
    liquidation: Liquidation | None = None

    @property
    def drawdown(self) -> np.ndarray:
        """Drawdown per bar as a fraction (<= 0)."""
        return drawdown_series(self.equity)

    def to_json(self, with_trades: bool = False) -> dict[str, Any]:
        """``{"strategy", "symbol", "params", "metrics", "liquidation"[, "trades"]}`` with JSON-safe values;
        ``liquidation`` is ``null`` or :meth:`Liquidation.as_json`."""
        out: dict[str, Any] = {
            "strategy": self.strategy,
            "symbol": self.symbol,
            "params": self.params,
            "metrics": metrics_to_json(self.metrics),
            "liquidation": self.liquidation.as_json() if self.liquidation else None,
        }
        if with_trades:
            out["trades"] = [t.as_row() for t in self.trades]
        return out

    def write_equity_csv(self, path: str | Path) -> None:
        """``timestamp,equity`` per bar (ISO-8601 UTC, equity with 8 decimals)."""
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["timestamp", "equity"])
            for t, e in zip(self.times_ms.tolist(), self.equity.tolist()):
                w.writerow([iso_utc(int(t)), f"{e:.8f}".rstrip("0").rstrip(".") if e == e else ""])

    def write_trades_csv(self, path: str | Path) -> None:
        """One row per trade with :data:`TRADE_ROW_KEYS` as the header."""
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=list(TRADE_ROW_KEYS))
            w.writeheader()
            for t in self.trades:
                w.writerow(t.as_row())


class _Open:
    __slots__ = ("side", "entry_bar", "entry_ms", "entry_tag", "qty", "entry_notional", "exit_notional", "fees",
                 "realized")

    def __init__(self, fill: SimFill) -> None:
        self.side = "LONG" if fill.side is Side.BUY else "SHORT"
        self.entry_bar = fill.bar
        self.entry_ms = fill.ts_ms
        self.entry_tag = fill.tag
        self.qty = ZERO
        self.entry_notional = ZERO
        self.exit_notional = ZERO
        self.fees = ZERO
        self.realized = ZERO


class TradeTracker:
    """Builds round-trip :class:`Trade` records from fills (average-price method, like ``apply_fill``)."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.trades: list[Trade] = []
        self._open: _Open | None = None

    def on_fill(self, fill: SimFill, pos_before: Decimal, realized: Decimal) -> None:
        """Account one fill; ``pos_before`` is the signed position before it, ``realized`` the PnL it
        realized (from ``apply_fill``)."""
        qty, price, fee = fill.quantity, fill.price, fill.commission
        t = self._open
        if pos_before == 0 or (pos_before > 0) == (fill.side is Side.BUY):
            if t is None:
                t = self._open = _Open(fill)
            t.qty += qty
            t.entry_notional += qty * price
            t.fees += fee
            return
        assert t is not None, "reducing fill without an open trade"
        held = -pos_before if pos_before < 0 else pos_before
        closed = qty if qty <= held else held
        part_fee = fee if closed == qty else fee * closed / qty
        t.exit_notional += closed * price
        t.fees += part_fee
        t.realized += realized
        if closed == held:
            self.trades.append(Trade(self.symbol, t.side, t.qty, t.entry_bar, fill.bar, t.entry_ms, fill.ts_ms,
                                     t.entry_notional, t.exit_notional, t.realized - t.fees, t.fees,
                                     t.entry_tag, fill.tag))
            self._open = None
            rest = qty - closed
            if rest > 0:
                t = self._open = _Open(fill)
                t.qty = rest
                t.entry_notional = rest * price
                t.fees = fee - part_fee
