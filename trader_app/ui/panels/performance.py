"""Performance panel: the equity curve, its drawdown and the metrics per account, per strategy group and in
total (per currency), live from the portfolio's account summaries.

The numbers come from ``analytics.PerformanceTracker`` (``services.performance`` when the app provides
one, else the panel starts its own on ``services.bus``/``services.store``). The view refreshes at most
every 2 s and only while visible; nothing here polls a broker.
"""

from __future__ import annotations

import asyncio
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication, QComboBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from ...analytics import METRIC_KEYS, PerformanceTracker, drawdown_series
from ..models.base import LEFT, Column, KeyedTableModel
from .common import TableView, spawn, track_account_names

REFRESH_MS = 2_000
SINGLE_POINT_SPAN_S = 60.0  # a curve of one point is shown over a minute around it
MIN_DRAWDOWN_SPAN_PCT = 0.01  # the drawdown axis spans at least 0 to -0.01 %
METRICS_MIN_WIDTH = 300  # px: metric names and values stay readable beside the plot
EQUITY_PEN = "#4fc3f7"
DRAWDOWN_BRUSH = (239, 83, 80, 140)

METRIC_LABELS = {
    "start": "Start", "end": "End", "bars": "Points", "total_return_pct": "Total return %",
    "buy_hold_return_pct": "Buy & hold %", "cagr_pct": "CAGR %", "volatility_ann_pct": "Volatility (ann.) %",
    "sharpe": "Sharpe", "sortino": "Sortino", "calmar": "Calmar", "max_drawdown_pct": "Max drawdown %",
    "max_drawdown_duration_days": "Max drawdown duration (days)", "trades": "Trades", "win_rate_pct": "Win rate %",
    "profit_factor": "Profit factor", "expectancy_pct": "Expectancy %", "avg_trade_pct": "Avg trade %",
    "exposure_pct": "Exposure %", "final_equity": "Final equity", "commissions": "Commissions",
}


ANNUALISED_KEYS = frozenset({"cagr_pct", "volatility_ann_pct", "sharpe", "sortino", "calmar"})
MIN_ANNUALISED_DAYS = 1.0


def metric_text(value: Any) -> str:
    """A metric for display: Decimal as given, floats with 4 decimals, undefined as an en dash."""
    if value is None:
        return "\u2013"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        if math.isnan(value):
            return "\u2013"
        if math.isinf(value):
            return "\u221e" if value > 0 else "-\u221e"
        return f"{value:,.4f}"
    return str(value)


class MetricsModel(KeyedTableModel):
    """Rows ``(key, label, text)`` for the metrics of ``analytics.METRIC_KEYS``."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__([Column("Metric", lambda r: r[1], align=LEFT, width=170), Column("Value", lambda r: r[2], width=150)],
                         key=lambda r: r[0], parent=parent)

    def show(self, metrics: dict[str, Any], span_days: float | None = None) -> None:
        """Show ``metrics``; with ``span_days`` under ``MIN_ANNUALISED_DAYS`` the annualised figures (CAGR,
        volatility, Sharpe, Sortino, Calmar) read "n/a (< 1 day)": compounding a few minutes to a year gives
        meaningless numbers like a CAGR of 1e12 %."""
        short = span_days is not None and span_days < MIN_ANNUALISED_DAYS
        self.upsert(
            (k, METRIC_LABELS.get(k, k),
             "n/a (< 1 day)" if short and k in ANNUALISED_KEYS else metric_text(metrics.get(k)))
            for k in METRIC_KEYS
        )


def value_tick_text(value: float, spacing: float) -> str:
    """A value-axis tick label with thousands separators and as many decimals as the tick ``spacing`` needs
    (``100000000, spacing 50000`` -> ``"100,000,000"``; ``0.25, spacing 0.05`` -> ``"0.25"``;
    ``97.5, spacing 2.5`` -> ``"97.5"``; at most 8)."""
    if not math.isfinite(value):
        return ""
    decimals = 0
    if math.isfinite(spacing) and spacing > 0:  # fewest decimals that show the spacing exactly (2.5 -> 1)
        while decimals < 8 and abs(spacing * 10**decimals - round(spacing * 10**decimals)) > 1e-6:
            decimals += 1
    text = f"{value:,.{decimals}f}"
    unsigned = text.lstrip("-")
    return unsigned if unsigned == f"{0:.{decimals}f}" else text  # never "-0"


class ValueAxis(pg.AxisItem):
    """A value axis whose ticks read as plain numbers with thousands separators (``100,050,000``): no SI
    prefix and never pyqtgraph's ``%g`` exponent form (``1e+08``) for large equity."""

    def __init__(self, orientation: str = "left", **kwargs: Any) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:  # noqa: N802 - Qt name
        return [value_tick_text(v * scale, spacing * scale) for v in values]


class TimeAxis(pg.DateAxisItem):
    """A UTC date axis that stops at whole seconds (``HH:MM:SS``): a curve of a few seconds reads as clock
    times, never as pyqtgraph's millisecond labels (``47.000``)."""

    def __init__(self, orientation: str = "bottom", **kwargs: Any) -> None:
        super().__init__(orientation, utcOffset=0, **kwargs)
        self.zoomLevels = type(self.zoomLevels)((k, v) for k, v in self.zoomLevels.items() if k >= 30)
        self.fontMetrics = QFontMetrics(self.font())  # else only known after the first paint (see chart/panes.py)


class EquityPlot(pg.GraphicsLayoutWidget):
    """Equity (top) and drawdown in percent (bottom, filled), x linked; UTC date axes (epoch seconds) and
    value axes with thousands separators."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("#1e1f24")
        self.equity_plot = self.addPlot(row=0, col=0, axisItems={"bottom": TimeAxis(),
                                                                 "left": ValueAxis("left")})
        self.drawdown_plot = self.addPlot(row=1, col=0, axisItems={"bottom": TimeAxis(),
                                                                   "left": ValueAxis("left")})
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 1)
        self.drawdown_plot.setXLink(self.equity_plot)
        self.equity_plot.showGrid(x=True, y=True, alpha=0.2)
        self.drawdown_plot.showGrid(x=True, y=True, alpha=0.2)
        self.equity_plot.setLabel("left", "Equity")
        self.drawdown_plot.setLabel("left", "DD %")
        self.equity_curve = self.equity_plot.plot(pen=pg.mkPen(EQUITY_PEN, width=1.5))
        self.drawdown_curve = self.drawdown_plot.plot(pen=pg.mkPen((239, 83, 80), width=1), fillLevel=0,
                                                      brush=pg.mkBrush(*DRAWDOWN_BRUSH))
        for curve in (self.equity_curve, self.drawdown_curve):
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
        for plot in (self.equity_plot, self.drawdown_plot):
            plot.getAxis("bottom").enableAutoSIPrefix(False)
            plot.getAxis("left").setWidth(84)  # room for "100,000,000"; both plots the same so they line up
        self.points = 0

    def set_data(self, times_ms: np.ndarray, equity: np.ndarray) -> None:
        """Show a curve (epoch-ms times, equity floats); an empty curve clears the plot."""
        x = np.asarray(times_ms, dtype=np.float64) / 1000.0
        e = np.asarray(equity, dtype=np.float64)
        self.points = int(e.size)
        if not e.size:
            self.equity_curve.setData([], [])
            self.drawdown_curve.setData([], [])
            return
        dd = drawdown_series(e) * 100.0
        self.equity_curve.setData(x, e)
        self.drawdown_curve.setData(x, dd)
        # the curve fills the axis (10 % margin); a flat curve gets 0.1 % of its level each side
        lo, hi = float(np.nanmin(e)), float(np.nanmax(e))
        pad = (hi - lo) * 0.1 if hi > lo else max(abs(hi) * 0.001, 1e-9)
        self.equity_plot.setYRange(lo - pad, hi + pad, padding=0)
        self.drawdown_plot.setYRange(drawdown_floor(dd), 0.0, padding=0)
        self.equity_plot.setXRange(*time_span(x), padding=0)


def drawdown_floor(dd_pct: np.ndarray) -> float:
    """The bottom of the drawdown axis (percent, < 0): 10 % below the deepest drawdown so a -0.0246 %
    drawdown fills the axis instead of hiding under a fixed -1 %; -0.01 % when there is none."""
    deepest = float(np.nanmin(dd_pct)) if dd_pct.size else 0.0
    return min(deepest * 1.1, -MIN_DRAWDOWN_SPAN_PCT) if math.isfinite(deepest) else -MIN_DRAWDOWN_SPAN_PCT


def time_span(x_s: np.ndarray) -> tuple[float, float]:
    """The time axis's range (epoch s) for a curve: the data's first to last point plus 2 % each side,
    never running past the data; a single point gets +/- 30 s around it."""
    first, last = float(x_s[0]), float(x_s[-1])
    if last - first <= 0:
        return first - SINGLE_POINT_SPAN_S / 2, first + SINGLE_POINT_SPAN_S / 2
    pad = (last - first) * 0.02
    return first - pad, last + pad


class PerformancePanel(QWidget):
    """Scope picker (total / group / account, per currency), equity + drawdown plot, metrics table."""

    def __init__(self, services: Any, bridge: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        tracker = getattr(services, "performance", None)
        self.own_tracker = tracker is None
        self.tracker: PerformanceTracker = tracker or PerformanceTracker(services.bus, getattr(services, "store", None))
        self.account_names: dict[str, str] = {}
        track_account_names(services, bridge, self.account_names)
        self.scope_box = QComboBox(self)
        self.scope_box.setMinimumWidth(260)
        self.scope_box.currentIndexChanged.connect(lambda _i: self.refresh(force=True))
        self.groups_button = QPushButton("Reload groups", self)
        self.groups_button.setObjectName("reloadGroups")
        self.groups_button.clicked.connect(lambda: spawn(self._reload_groups()))
        self.status = QLabel("", self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Show", self))
        top.addWidget(self.scope_box)
        top.addWidget(self.groups_button)
        top.addWidget(self.status, 1)
        self.plot = EquityPlot(self)
        self.metrics_model = MetricsModel(self)
        self.metrics_table = TableView(self.metrics_model, self)
        self.metrics_table.setSortingEnabled(False)
        self.metrics_table.setMinimumWidth(METRICS_MIN_WIDTH)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.plot)
        split.addWidget(self.metrics_table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self._seen_updates = -1
        self._scopes: list[tuple[str, ...]] = []
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self._tracker_started = not self.own_tracker
        if self.own_tracker:
            app = QApplication.instance()
            if app is not None:
                app.aboutToQuit.connect(self.tracker.cancel)
            self._start_tracker()
        self.metrics_model.show({})

    def _start_tracker(self) -> None:
        """Start the panel's own tracker once an asyncio loop runs (the window may be built before)."""
        if self._tracker_started:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._tracker_started = True
        spawn(self.tracker.start())

    def tables(self) -> list[TableView]:
        return [self.metrics_table]

    async def _reload_groups(self) -> None:
        await self.tracker.refresh_groups()
        self.refresh(force=True)

    def scope_label(self, scope: tuple[str, ...]) -> str:
        if scope[0] == "total":
            return f"Total \u00b7 {scope[1]}"
        if scope[0] == "group":
            return f"Group {scope[1]} \u00b7 {scope[2]}"
        return f"Account {self.account_names.get(scope[1], scope[1])} \u00b7 {scope[2]}"

    def default_scope(self, scopes: list[tuple[str, ...]]) -> tuple[str, ...]:
        """The scope shown first: the total in the first account's base currency (``("total", "USDT")``)
        when it has data, else the first scope. ``scopes`` must not be empty."""
        accounts = getattr(self.services, "accounts", None)
        listed = accounts.list() if accounts is not None else []
        if listed:
            preferred = ("total", listed[0].base_currency)
            if preferred in scopes:
                return preferred
        return scopes[0]

    def current_scope(self) -> tuple[str, ...] | None:
        data = self.scope_box.currentData()
        return tuple(data) if data else None

    def refresh(self, force: bool = False) -> None:
        """Redraw when the tracker has new points (or ``force``) and the panel is visible (or ``force``)."""
        self._start_tracker()
        if not force and (not self.isVisible() or self.tracker.updates == self._seen_updates):
            return
        self._seen_updates = self.tracker.updates
        scopes = self.tracker.scopes()
        if scopes != self._scopes:
            current = self.current_scope()
            self._scopes = scopes
            self.scope_box.blockSignals(True)
            self.scope_box.clear()
            for scope in scopes:
                self.scope_box.addItem(self.scope_label(scope), list(scope))
            if current in scopes:
                self.scope_box.setCurrentIndex(scopes.index(current))
            elif scopes:
                self.scope_box.setCurrentIndex(scopes.index(self.default_scope(scopes)))
            self.scope_box.blockSignals(False)
        scope = self.current_scope()
        if scope is None:
            self.plot.set_data(np.empty(0), np.empty(0))
            self.metrics_model.show({})
            self.status.setText("waiting for account equity\u2026")
            return
        times, equity = self.tracker.series(scope)
        self.plot.set_data(times, equity)
        span_days = float(times[-1] - times[0]) / 86_400_000 if times.size else 0.0  # times: epoch ms
        self.metrics_model.show(self.tracker.metrics(scope), span_days)
        self.status.setText(f"{times.size:,} points")

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt name
        self.timer.stop()
        if self.own_tracker and self._tracker_started:
            self._tracker_started = False
            spawn(self.tracker.stop())
        super().closeEvent(event)
