"""The small toolbar atop the chart: the symbol and an interval selector (1m/5m/15m/1h/1d)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QToolButton, QWidget

from trader_app.core import Interval

from . import theme

_STYLE = f"""
QWidget#chartToolbar {{ background: {theme.PANEL}; border-bottom: 1px solid {theme.BORDER}; }}
QLabel#chartSymbol {{ color: {theme.TEXT}; font-weight: bold; padding: 0 8px 0 4px; }}
QToolButton {{ color: {theme.TEXT_DIM}; background: transparent; border: none; padding: 2px 6px; }}
QToolButton:hover {{ color: {theme.TEXT}; background: {theme.BORDER}; }}
QToolButton:checked {{ color: #ffffff; background: {theme.ACCENT}; border-radius: 3px; }}
"""


class ChartToolbar(QWidget):
    """Symbol label plus one checkable button per ``Interval``.

    ``intervalClicked(Interval)`` is emitted when the user picks an interval other than the checked one;
    ``set_interval`` changes the checked button without emitting.
    """

    intervalClicked = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chartToolbar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(_STYLE)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.setSpacing(2)
        self.symbol_label = QLabel("-", self)
        self.symbol_label.setObjectName("chartSymbol")
        lay.addWidget(self.symbol_label)
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.buttons: dict[Interval, QToolButton] = {}
        for iv in Interval:
            b = QToolButton(self)
            b.setText(iv.value)
            b.setObjectName(f"interval_{iv.value}")
            b.setCheckable(True)
            b.setToolTip(f"Show {iv.value} bars")
            self._group.addButton(b)
            self.buttons[iv] = b
            lay.addWidget(b)
            b.clicked.connect(lambda _checked=False, iv=iv: self._clicked(iv))
        lay.addStretch(1)
        self._interval = Interval.M1
        self.buttons[self._interval].setChecked(True)

    @property
    def interval(self) -> Interval:
        return self._interval

    def set_symbol(self, symbol: str) -> None:
        self.symbol_label.setText(symbol or "-")

    def set_interval(self, interval: Interval) -> None:
        self._interval = interval
        self.buttons[interval].setChecked(True)

    def _clicked(self, interval: Interval) -> None:
        if interval is self._interval:
            return
        self._interval = interval
        self.intervalClicked.emit(interval)
