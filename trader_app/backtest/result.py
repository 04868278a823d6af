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

    ``side`` "LONG"/"SHORT"; ``quantity`` the units entered; prices are volume-weighted averages;
    ``pnl`` realized PnL minus every commission of the trade (quote currency); ``return_pct`` =
    pnl / entry notional x 100; bars are bar indexes, times epoch ms (bar open times).
    """

    symbol: str
    side: str
    quantity: Decimal
    entry_bar: int
    exit_bar: int
    entry_time_ms: int
    exit_time_ms: int
    entry_price: Decimal
    exit_price: Decimal
    pnl: Decimal
    return_pct: Decimal
    commission: Decimal
    entry_tag: str = ""
    exit_tag: str = ""

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


TRADE_COLUMNS = tuple(Trade.__dataclass_fields__)  # noqa: used by tables
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
    the first 100 reasons.
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

    @property
    def drawdown(self) -> np.ndarray:
        """Drawdown per bar as a fraction (<= 0)."""
        return drawdown_series(self.equity)

    def to_json(self, with_trades: bool = False) -> dict[str, Any]:
        """``{"strategy", "symbol", "params", "metrics"[, "trades"]}`` with JSON-safe values."""
        out: dict[str, Any] = {
            "strategy": self.strategy,
            "symbol": self.symbol,
            "params": self.params,
            "metrics": metrics_to_json(self.metrics),
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


class TradeTracker:
    """Builds round-trip :class:`Trade` records from fills (average-price method, like ``apply_fill``)."""

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol
        self.trades: list[Trade] = []
        self._open: dict[str, Any] | None = None

    def on_fill(self, fill: SimFill, pos_before: Decimal, realized: Decimal) -> None:
        """Account one fill; ``pos_before`` is the signed position before it, ``realized`` the PnL it
        realized (from ``apply_fill``)."""
        qty, price, fee = fill.quantity, fill.price, fill.commission
        signed = qty * fill.side.sign
        if pos_before == 0 or (pos_before > 0) == (signed > 0):
            self._add(fill, qty, fee)
            return
        closed = min(abs(pos_before), qty)
        part_fee = fee if closed == qty else fee * closed / qty
        t = self._open
        assert t is not None, "reducing fill without an open trade"
        t["exit_qty"] += closed
        t["exit_notional"] += closed * price
        t["fees"] += part_fee
        t["realized"] += realized
        if closed == abs(pos_before):
            self._finish(fill)
            rest = qty - closed
            if rest > 0:
                self._add(fill, rest, fee - part_fee)

    def _add(self, fill: SimFill, qty: Decimal, fee: Decimal) -> None:
        if self._open is None:
            self._open = {
                "side": "LONG" if fill.side is Side.BUY else "SHORT",
                "entry_bar": fill.bar, "entry_ms": fill.ts_ms, "entry_tag": fill.tag,
                "entry_qty": ZERO, "entry_notional": ZERO, "exit_qty": ZERO, "exit_notional": ZERO,
                "fees": ZERO, "realized": ZERO,
            }
        t = self._open
        t["entry_qty"] += qty
        t["entry_notional"] += qty * fill.price
        t["fees"] += fee

    def _finish(self, fill: SimFill) -> None:
        t = self._open
        assert t is not None
        pnl = t["realized"] - t["fees"]
        self.trades.append(
            Trade(
                symbol=self.symbol,
                side=t["side"],
                quantity=t["entry_qty"],
                entry_bar=t["entry_bar"],
                exit_bar=fill.bar,
                entry_time_ms=t["entry_ms"],
                exit_time_ms=fill.ts_ms,
                entry_price=t["entry_notional"] / t["entry_qty"],
                exit_price=t["exit_notional"] / t["exit_qty"],
                pnl=pnl,
                return_pct=pnl / t["entry_notional"] * 100,
                commission=t["fees"],
                entry_tag=t["entry_tag"],
                exit_tag=fill.tag,
            )
        )
        self._open = None
