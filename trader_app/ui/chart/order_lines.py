"""Open-order markers on the price pane: a dashed horizontal line per working order at its price."""

from __future__ import annotations

from decimal import Decimal

import pyqtgraph as pg
from PySide6.QtCore import Qt

from trader_app.core import Order, OrderType, Side

from . import theme


def order_level(order: Order) -> Decimal | None:
    """The price an open order works at: the limit for LIMIT (and a triggered STOP_LIMIT), the stop price
    for STOP_MARKET and an untriggered STOP_LIMIT; None for MARKET or a missing price."""
    if order.order_type is OrderType.LIMIT or (order.order_type is OrderType.STOP_LIMIT and order.triggered):
        return order.price
    if order.order_type in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT):
        return order.stop_price
    return None


def order_label(order: Order, decimals: int) -> str:
    """``BUY LIMIT 0.5 @ 34,500.00`` (remaining quantity; a STOP_LIMIT also shows its limit)."""
    remaining = order.quantity - order.filled_qty
    level = order_level(order)
    text = f"{order.side.value} {order.order_type.value} {remaining.normalize():f} @ {float(level):,.{decimals}f}"
    if order.order_type is OrderType.STOP_LIMIT and not order.triggered and order.price is not None:
        text += f" (limit {float(order.price):,.{decimals}f})"
    return text


class OrderLines:
    """Keeps one labelled ``InfiniteLine`` per open order of the charted symbol on ``plot``."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self._plot = plot
        self._lines: list[tuple[pg.InfiniteLine, float, Side, str]] = []

    def set(self, orders: list[Order], symbol: str, decimals: int) -> None:
        """Replace the lines with the open orders among ``orders`` for ``symbol`` (others are ignored)."""
        self.clear()
        for o in orders:
            level = order_level(o)
            if o.symbol != symbol or not o.status.is_open or level is None:
                continue
            colour = theme.ORDER_BUY if o.side is Side.BUY else theme.ORDER_SELL
            text = order_label(o, decimals)
            line = pg.InfiniteLine(
                pos=float(level), angle=0, movable=False,
                pen=pg.mkPen(colour, width=1, style=Qt.PenStyle.DashLine),
                label=text,
                labelOpts={"position": 0.0, "anchors": [(0, 1), (0, 1)], "color": colour},
            )
            line.setZValue(15)
            self._plot.addItem(line, ignoreBounds=True)
            self._lines.append((line, float(level), o.side, text))

    def clear(self) -> None:
        for line, *_ in self._lines:
            self._plot.removeItem(line)
        self._lines = []

    def markers(self) -> list[tuple[float, Side, str]]:
        """(price, side, label text) per line, in the order given."""
        return [(price, side, text) for _, price, side, text in self._lines]
