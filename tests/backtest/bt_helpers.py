"""Helpers shared by the backtest and strategy tests: hand-written bars and a scripted strategy."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from trader_app.strategies import BarData, Strategy

DAY = 86_400_000
MONDAY_2024_01_01 = 1_704_067_200_000  # 2024-01-01T00:00:00Z was a Monday


def bars(rows: Sequence[tuple[float, float, float, float]], symbol: str = "TEST", start_ms: int = MONDAY_2024_01_01,
         step_ms: int = DAY, times: Sequence[int] | None = None) -> BarData:
    """BarData from (open, high, low, close) rows; volume 1; consecutive days from Monday 2024-01-01."""
    a = np.asarray(rows, dtype=np.float64)
    t = np.asarray(times, dtype=np.int64) if times is not None else start_ms + np.arange(len(rows), dtype=np.int64) * step_ms
    return BarData(symbol, t, a[:, 0].copy(), a[:, 1].copy(), a[:, 2].copy(), a[:, 3].copy(), np.ones(len(rows)))


def closes_only(closes: Sequence[float], **kw) -> BarData:
    """Bars whose open = previous close (first: its close), high/low = max/min(open, close)."""
    rows = []
    prev = closes[0]
    for c in closes:
        rows.append((prev, max(prev, c), min(prev, c), c))
        prev = c
    return bars(rows, **kw)


class Script(Strategy):
    """Runs ``actions[i](self)`` at bar i's close and ``open_actions[i](self)`` at its open."""

    name = "script"

    def __init__(self, actions: dict[int, Callable[["Script"], None]] | None = None,
                 open_actions: dict[int, Callable[["Script"], None]] | None = None) -> None:
        super().__init__()
        self.actions = actions or {}
        self.open_actions = open_actions or {}
        self.fills = []
        self.seen_positions: list[float] = []

    def on_bar_open(self, i: int) -> None:
        if i in self.open_actions:
            self.open_actions[i](self)

    def on_bar(self, i: int) -> None:
        self.seen_positions.append(self.position)
        if i in self.actions:
            self.actions[i](self)

    def on_fill(self, fill) -> None:
        self.fills.append(fill)
