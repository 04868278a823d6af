"""Colours of the chart, matched to a dark trading terminal (TradingView-like dark palette).

All values are ``#rrggbb`` strings or ``(r, g, b, a)`` tuples that ``pyqtgraph.mkColor`` accepts.
The chart sets them on its own items; it never changes pyqtgraph's process-wide config options.
"""

from __future__ import annotations

BACKGROUND = "#131722"
PANEL = "#1e222d"  # toolbar background
BORDER = "#2a2e39"
TEXT = "#d1d4dc"
TEXT_DIM = "#787b86"
AXIS = "#434651"
GRID = "#1d212c"  # opaque grid lines (the look of a faint translucent grid, at a fraction of the cost)

UP = "#26a69a"  # rising candle (close >= open), buy markers
DOWN = "#ef5350"  # falling candle, sell markers
UP_VOLUME = (38, 166, 154, 110)
DOWN_VOLUME = (239, 83, 80, 110)
UP_HIST = (38, 166, 154, 170)
DOWN_HIST = (239, 83, 80, 170)

CROSSHAIR = "#9598a1"
ACCENT = "#2962ff"  # selected interval button

MA_COLOURS = ("#f7c948", "#2962ff", "#e040fb", "#00bcd4", "#ff9800")
RSI_LINE = "#b39ddb"
RSI_BAND = (126, 87, 194, 28)
RSI_LEVEL = "#5d606b"
MACD_LINE = "#2962ff"
MACD_SIGNAL = "#ff6d00"
ZERO_LINE = "#5d606b"
ORDER_BUY = "#26a69a"
ORDER_SELL = "#ef5350"


def ma_colour(index: int) -> str:
    """Colour of the ``index``-th moving-average overlay (cycles through ``MA_COLOURS``)."""
    return MA_COLOURS[index % len(MA_COLOURS)]
