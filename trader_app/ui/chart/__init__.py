"""The chart widget of the Chart dock (pyqtgraph): candles, volume, RSI and MACD panes, overlays, fills.

``from trader_app.ui.chart import ChartWidget``
"""

from .widget import ChartWidget

__all__ = ["ChartWidget"]
