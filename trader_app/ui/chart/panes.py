"""The chart's panes: price (candles, overlays, fills), volume, RSI(14) and MACD(12,26,9), x-linked."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QFontMetrics, QPainter

from . import theme

RIGHT_AXIS_WIDTH = 78  # px; the same on every pane so the panes line up
PANE_STRETCH = (7, 2, 2, 2)  # price, volume, RSI, MACD


def make_pane(layout: pg.GraphicsLayout, row: int, title: str, *, utc: bool, time_axis: bool) -> pg.PlotItem:
    """A plot in ``row`` of ``layout`` styled for the dark theme: value axis on the right, a date axis at the
    bottom (tick labels only when ``time_axis``), faint grid, mouse pans/zooms x only, no auto-range."""
    date_axis = pg.DateAxisItem(orientation="bottom", utcOffset=0 if utc else None)
    # DateAxisItem only learns its font metrics when it first paints; the grid asks it for ticks earlier
    date_axis.fontMetrics = QFontMetrics(date_axis.font())
    plot = layout.addPlot(row=row, col=0, axisItems={"bottom": date_axis})
    plot.hideAxis("left")
    plot.showAxis("right")
    right = plot.getAxis("right")
    right.setWidth(RIGHT_AXIS_WIDTH)
    for ax in (right, date_axis):
        ax.setPen(pg.mkPen(theme.AXIS))
        ax.setTextPen(pg.mkPen(theme.TEXT_DIM))
        ax.enableAutoSIPrefix(False)  # no axis label to show a scale in, so never rescale tick values
    grid = GridItem(date_axis, right)  # asks the axis for tick values even when it is hidden
    if not time_axis:  # hidden, not just empty: a shown axis regenerates and paints its ticks every pan
        plot.hideAxis("bottom")
    plot.addItem(grid, ignoreBounds=True)
    plot.grid_item = grid
    # lines stroke only their visible points, decimated to the plot's pixels ("peak" keeps every extreme);
    # set on the plot because PlotItem.addItem gives each line the plot's modes, not its own
    plot.setClipToView(True)
    plot.setDownsampling(auto=True, mode="peak")
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


class GridItem(pg.GraphicsObject):
    """Faint opaque grid lines at the axes' tick positions, under everything else in the pane.

    Replaces pyqtgraph's axis grid, whose translucent lines make every axis repaint (and replay its whole
    picture) whenever any small part of the pane changes; here the lines are computed once per view change
    and a live-bar tick only redraws the few lines under its own rectangle.
    """

    MIN_SPACING_PX = 20  # densest tick level used for lines

    def __init__(self, x_axis: pg.AxisItem, y_axis: pg.AxisItem) -> None:
        super().__init__()
        self._x_axis, self._y_axis = x_axis, y_axis
        self._pen = pg.mkPen(theme.GRID, width=1)
        self._lines: list[QLineF] = []
        self._rect = QRectF()
        self.setZValue(-100)

    def viewRangeChanged(self) -> None:  # noqa: N802 (pyqtgraph hook)
        vb = self.getViewBox()
        if not isinstance(vb, pg.ViewBox):
            return
        (x0, x1), (y0, y1) = vb.viewRange()
        w, h = vb.width(), vb.height()
        self.prepareGeometryChange()
        self._rect = QRectF(x0, y0, x1 - x0, y1 - y0)
        lines = []
        if w > 0 and x1 > x0:
            for x in self._values(self._x_axis, x0, x1, w):
                lines.append(QLineF(x, y0, x, y1))
        if h > 0 and y1 > y0:
            for y in self._values(self._y_axis, y0, y1, h):
                lines.append(QLineF(x0, y, x1, y))
        self._lines = lines
        self.update()

    def _values(self, axis: pg.AxisItem, lo: float, hi: float, px: float) -> list[float]:
        if axis._tickLevels is not None:  # fixed ticks (RSI 30/50/70): all of them
            return [v for level in axis._tickLevels for v, _ in level if lo <= v <= hi]
        else:
            try:
                levels = axis.tickValues(lo, hi, px)
            except (ValueError, OverflowError, OSError):
                return []
        out: list[float] = []
        for _spacing, values in levels:
            values = sorted(v for v in values if lo <= v <= hi)
            # the real spacing (DateAxisItem reports a stepper unit, not the distance between its ticks)
            gaps = [b - a for a, b in zip(values, values[1:])]
            if gaps and min(gaps) * px / (hi - lo) < self.MIN_SPACING_PX:
                break
            out.extend(values)
        return out

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        return self._rect

    def paint(self, p: QPainter, *args) -> None:
        if self._lines:
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            p.setPen(self._pen)
            p.drawLines(self._lines)
