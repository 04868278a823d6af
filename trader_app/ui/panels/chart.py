"""Chart panel: H6's ``ChartWidget`` bound to the market service and the bridge.

``show_symbol(market id)`` (a bare symbol on the paper venue, ``venue:symbol`` elsewhere; the chart's title
names it) loads the stored history plus the live bar (``MarketService.history``, which fetches a venue's
missing bars from its adapter first) and the symbol's recent fills; live bars from the bridge update the last candle; new fills add markers. Picking
another interval in the chart's toolbar reloads at that interval.
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressBar, QVBoxLayout, QWidget

from ...core.enums import Interval
from ...core.events import LogEvent
from ...core.ids import now_ms
from ...core.instrument import parse_market_id
from ..chart import ChartWidget
from .common import spawn


class ChartPanel(QWidget):
    """The Chart dock's content. ``history_limit`` bars are loaded per symbol/interval."""

    def __init__(self, services: Any, bridge: Any, parent: QWidget | None = None, history_limit: int = 500) -> None:
        super().__init__(parent)
        self.services = services
        self.history_limit = history_limit
        self.chart = ChartWidget(self)
        self.last_task: asyncio.Future[Any] | None = None
        self._loading: tuple[str, Interval] | None = None
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        # a busy bar while a symbol's history loads (a live venue's is downloaded in pages first)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("chartLoading")
        self.progress.setRange(0, 0)
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(True)
        self.progress.hide()
        box.addWidget(self.progress)
        box.addWidget(self.chart)
        self.chart.intervalChanged.connect(lambda iv: self.show_symbol(self.symbol, iv))
        # Live bars are applied half a flush interval after they arrive, so the chart repaints in a different
        # event-loop pass than the tables updated by the same flush (the work is spread, not reduced).
        self._pending_bars: dict[tuple[Any, int], Any] = {}
        self._apply_timer = QTimer(self)
        self._apply_timer.setSingleShot(True)
        self._apply_timer.setInterval(max(1, bridge.interval_ms // 2) if hasattr(bridge, "interval_ms") else 25)
        self._apply_timer.timeout.connect(self.apply_pending)
        bridge.bars.connect(self._on_bars)
        bridge.fills.connect(self._on_fills)

    @property
    def symbol(self) -> str:
        """The symbol shown (or being loaded)."""
        return self._loading[0] if self._loading else self.chart.symbol

    def bar_count(self) -> int:
        return self.chart.bar_count()

    def show_symbol(self, symbol: str, interval: Interval | None = None) -> asyncio.Future[Any]:
        """Load ``symbol`` at ``interval`` (default: the chart's current interval). Returns the loading task."""
        interval = interval or self.chart.interval
        self._loading = (symbol, interval)
        self._pending_bars = {}
        self.progress.setFormat(f"loading {symbol} {interval.value} history...")
        self.progress.show()
        self.last_task = spawn(self._load(symbol, interval), self._failed)
        return self.last_task

    async def _load(self, symbol: str, interval: Interval) -> int:
        bars = await self.services.market.history(symbol, interval, limit=self.history_limit)
        if self._loading != (symbol, interval):
            return 0  # another symbol was picked while this one loaded
        venue, bare = parse_market_id(symbol)
        try:
            tick = self.services.market.instrument(bare, venue).tick_size
        except Exception:  # noqa: BLE001 - an unlisted symbol: prices as the bars write them
            tick = None
        self.chart.set_bars(symbol, interval, bars)
        self.chart.set_tick(tick)
        source = self.services.market.bars_venue(venue)
        if not bars:
            state = getattr(self.services, "venue_state", lambda _v: "")(source)
            self.chart.set_note(f"no data from {source}" + (f" ({state})" if state else ""))
        elif source != venue:
            self.chart.set_note(f"{source} prices")
        self._loading = None
        self.progress.hide()
        self.apply_pending()  # live bars that arrived while the history loaded (older ones are ignored)
        store = self.services.store
        fills = await store.run(store.fills.list, limit=1000)
        if self.chart.symbol == symbol:
            bare = parse_market_id(symbol)[1]
            self.chart.add_fills([f for f in fills if f.symbol == bare])
        return len(bars)

    def _on_bars(self, bars: list[Any]) -> None:
        # while a symbol loads, keep its live bars: they are applied on top of the loaded history
        symbol, interval = self._loading or (self.chart.symbol, self.chart.interval)
        if not symbol:
            return
        venue, bare = parse_market_id(symbol)
        venue = self.services.market.bars_venue(venue)
        for bar in bars:
            if bar.symbol == bare and bar.venue == venue and bar.interval == interval:
                self._pending_bars[(bar.interval, bar.open_time_ms)] = bar
        if self._pending_bars and not self._apply_timer.isActive():
            self._apply_timer.start()

    def apply_pending(self) -> None:
        """Apply the live bars received since the last call (oldest first) to the chart."""
        if self._loading is not None:
            return  # kept for the end of the load
        bars, self._pending_bars = self._pending_bars, {}
        for bar in sorted(bars.values(), key=lambda b: b.open_time_ms):
            self.chart.update_bar(bar)

    def _on_fills(self, fills: list[Any]) -> None:
        if self.chart.symbol:
            bare = parse_market_id(self.chart.symbol)[1]
            self.chart.add_fills([f for f in fills if f.symbol == bare])

    def _failed(self, exc: BaseException) -> None:
        self._loading = None
        self.progress.hide()
        self.services.bus.publish(LogEvent(now_ms(), "ERROR", "chart", f"cannot load chart: {exc}"))
