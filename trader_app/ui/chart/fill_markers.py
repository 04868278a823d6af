"""Fill markers on the price pane: green up-triangles for buys, red down-triangles for sells."""

from __future__ import annotations

import pyqtgraph as pg

from trader_app.core import Fill, Side

from . import theme


class FillMarkers:
    """A scatter of fills at (fill time in epoch seconds, fill price), one symbol at a time.

    Fills are keyed by (account_id, trade_id), so adding the same fill twice draws it once.
    """

    def __init__(self, plot: pg.PlotItem) -> None:
        self.scatter = pg.ScatterPlotItem(size=15, pxMode=True, pen=pg.mkPen("#ffffff", width=1))
        self.scatter.setZValue(20)
        plot.addItem(self.scatter)
        self._fills: dict[tuple[str, str], Fill] = {}

    def add(self, fills: list[Fill], symbol: str) -> int:
        """Add the fills of ``symbol`` (others ignored). ``ValueError`` (nothing added) if an item is not a
        ``Fill``. Returns how many were new."""
        for f in fills:
            if not isinstance(f, Fill):
                raise ValueError(f"add_fills expects Fill objects, got {type(f).__name__}")
        new = 0
        for f in fills:
            if f.symbol != symbol:
                continue
            key = (f.account_id, f.trade_id)
            new += key not in self._fills
            self._fills[key] = f
        if new:
            self._refresh()
        return new

    def clear(self) -> None:
        self._fills.clear()
        self._refresh()

    def fills(self) -> list[Fill]:
        """Oldest first (by time, then trade id)."""
        return sorted(self._fills.values(), key=lambda f: (f.ts_ms, f.trade_id))

    def markers(self) -> list[tuple[float, float, Side]]:
        """(x epoch seconds, price, side) per marker, oldest first."""
        return [(f.ts_ms / 1000.0, float(f.price), f.side) for f in self.fills()]

    def _refresh(self) -> None:
        self.scatter.setData([
            {
                "pos": (f.ts_ms / 1000.0, float(f.price)),
                "symbol": "t1" if f.side is Side.BUY else "t",
                "brush": pg.mkBrush(theme.UP if f.side is Side.BUY else theme.DOWN),
                "data": f.trade_id,
            }
            for f in self.fills()
        ])
