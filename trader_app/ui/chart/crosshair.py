"""Crosshair across the chart's panes: a vertical line through every pane, a horizontal line with a value
label in the pane under the mouse, and the bar time on the bottom pane."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt

from . import theme


class Crosshair:
    """Dashed crosshair lines over ``plots`` (top to bottom; the last one carries the time label)."""

    def __init__(self, plots: list[pg.PlotItem]) -> None:
        pen = pg.mkPen(theme.CROSSHAIR, width=1, style=Qt.PenStyle.DashLine)
        label_opts = {"color": "#ffffff", "fill": pg.mkBrush(theme.BORDER), "movable": False}
        self.plots = plots
        self.vlines: list[pg.InfiniteLine] = []
        self.hlines: list[pg.InfiniteLine] = []
        for i, plot in enumerate(plots):
            last = i == len(plots) - 1
            v = pg.InfiniteLine(
                angle=90, movable=False, pen=pen, label="" if last else None,
                # time label centred on the line, sitting on the bottom edge of the pane
                labelOpts={**label_opts, "position": 0.0, "anchors": [(0.5, 1), (0.5, 1)]} if last else None,
            )
            # value label right-aligned against the value axis, centred on the line
            h = pg.InfiniteLine(angle=0, movable=False, pen=pen, label="{value:.2f}",
                                labelOpts={**label_opts, "position": 1.0, "anchors": [(1, 0.5), (1, 0.5)]})
            for line in (v, h):
                line.setZValue(50)
                line.hide()
                plot.addItem(line, ignoreBounds=True)
            self.vlines.append(v)
            self.hlines.append(h)

    @property
    def visible(self) -> bool:
        return self.vlines[0].isVisible()

    def show_at(self, x: float, y: float, pane: int, time_text: str, value_format: str) -> None:
        """Vertical lines at ``x`` (epoch s) in every pane; horizontal line at ``y`` in pane ``pane`` only."""
        for v in self.vlines:
            v.setPos(x)
            v.show()
        bottom = self.vlines[-1]
        if getattr(bottom, "label", None) is not None:
            bottom.label.setFormat(time_text)
            bottom.label.valueChanged()
        for i, h in enumerate(self.hlines):
            if i == pane:
                h.label.setFormat(value_format)
                h.setPos(y)
                h.show()
                h.label.valueChanged()
            else:
                h.hide()

    def hide(self) -> None:
        for line in self.vlines + self.hlines:
            line.hide()
