"""``ElidedLabel``: a one-line label that never cuts its text off: a text wider than the label ends in "…" and
the whole of it is the tooltip (the status bar's fixed-width fields)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QPainter
from PySide6.QtWidgets import QLabel


class ElidedLabel(QLabel):
    """A ``QLabel`` for one line of text: elided at the right edge when it does not fit; ``full_text()`` is
    the text as set, also shown as the tooltip while it is elided."""

    def __init__(self, text: str = "", parent: Any = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.detail = ""  # more to show on hover (always), below the full text when elided
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt API)
        if text == self._full:
            return
        self._full = text
        super().setText(text)
        self._update_tooltip()

    def full_text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        """The text as drawn at the current width (with "…" when elided)."""
        return QFontMetrics(self.font()).elidedText(self._full, Qt.TextElideMode.ElideRight, self.contentsRect().width())

    def is_elided(self) -> bool:
        return self.shown_text() != self._full

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        super().resizeEvent(event)
        self._update_tooltip()

    def set_detail(self, detail: str) -> None:
        """Text shown on hover whether or not the label is elided (a kill switch's reasons per account)."""
        self.detail = detail
        self._update_tooltip()

    def _update_tooltip(self) -> None:
        self.setToolTip("\n".join(t for t in (self._full if self.is_elided() else "", self.detail) if t))

    def paintEvent(self, _event: Any) -> None:  # noqa: N802 (Qt API)
        painter = QPainter(self)
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(self.contentsRect(), int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), self.shown_text())
