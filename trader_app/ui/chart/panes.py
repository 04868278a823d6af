"""The chart's panes: price (candles, overlays, fills), volume, RSI(14) and MACD(12,26,9), x-linked."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

from . import theme

RIGHT_AXIS_WIDTH = 78  # px; the same on every pane so the panes line up
PANE_STRETCH = (7, 2, 2, 2)  # price, volume, RSI, MACD


def make_pane(layout: pg.GraphicsLayout, row: int, title: str, *, utc: bool, time_axis: bool) -> pg.PlotItem:
    """A plot in ``row`` of ``layout`` styled for the dark theme: value axis on the right, a date axis at the
    bottom (tick labels only when ``time_axis``), faint grid, mouse pans/zooms x only, no auto-range."""
    date_axis = pg.DateAxisItem(orientation="bottom", utcOffset=0 if utc else None)
    plot = layout.addPlot(row=row, col=0, axisItems={"bottom": date_axis})
    plot.hideAxis("left")
    plot.showAxis("right")
    right = plot.getAxis("right")
    right.setWidth(RIGHT_AXIS_WIDTH)
    for ax in (right, date_axis):
        ax.setPen(pg.mkPen(theme.AXIS))
        ax.setTextPen(pg.mkPen(theme.TEXT_DIM))
    if not time_axis:
        date_axis.setStyle(showValues=False, tickLength=0)
        date_axis.setHeight(0)
    plot.showGrid(x=True, y=True, alpha=theme.GRID_ALPHA)
    plot.setMenuEnabled(False)
    plot.hideButtons()
    plot.layout.setContentsMargins(4, 2, 0, 2)
    vb = plot.getViewBox()
    vb.setMouseEnabled(x=True, y=False)
    vb.disableAutoRange()
    vb.setDefaultPadding(0.0)
    vb.setBorder(pg.mkPen(theme.BORDER))
    label = pg.LabelItem(title, color=theme.TEXT_DIM, size="8pt", justify="left")
    label.setParentItem(vb)
    label.anchor(itemPos=(0, 0), parentPos=(0, 0), offset=(4, 0))
    plot.title_label = label
    return plot


def make_rsi_guides(plot: pg.PlotItem) -> None:
    """30/70 levels with a faint band between them, and the fixed 0..100 range."""
    band = pg.LinearRegionItem(values=(30, 70), orientation="horizontal", movable=False,
                               brush=pg.mkBrush(theme.RSI_BAND), pen=pg.mkPen(None))
    band.setZValue(-10)
    plot.addItem(band, ignoreBounds=True)
    pen = pg.mkPen(theme.RSI_LEVEL, width=1, style=Qt.PenStyle.DashLine)
    for level in (30, 70):
        plot.addItem(pg.InfiniteLine(pos=level, angle=0, movable=False, pen=pen), ignoreBounds=True)
    plot.setYRange(0, 100, padding=0.02)
    plot.getAxis("right").setTicks([[(30, "30"), (50, "50"), (70, "70")]])


def make_zero_line(plot: pg.PlotItem) -> None:
    plot.addItem(pg.InfiniteLine(pos=0, angle=0, movable=False, pen=pg.mkPen(theme.ZERO_LINE, width=1)), ignoreBounds=True)
