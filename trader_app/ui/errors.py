"""Errors in the window never pass in silence.

An exception raised in a Qt slot (a button, a menu action, a dialog's OK) is handed by PySide6 to
``sys.excepthook``; Qt's own warnings go to its message handler. ``ErrorReporter`` takes both while a window is
open: the exception is logged on ``trader_app.ui`` with its traceback (so it reaches the log file and, through
``BusLogHandler``, the Log panel) and shown to the user in a window-modal message box opened with ``open()``
(never ``exec()``: a nested event loop would run asyncio tasks re-entrantly). Qt's warnings and criticals are
logged (WARNING / ERROR) on ``trader_app.qt``. ``uninstall`` puts the previous hooks back.
"""

from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import Any

from PySide6.QtCore import QtMsgType, Qt, qInstallMessageHandler
from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger("trader_app.ui")
qt_log = logging.getLogger("trader_app.qt")

# Qt chatter of the offscreen/minimal platforms that says nothing about the app
QT_NOISE = ("propagateSizeHints", "QFont::setPointSize", "This plugin does not support")


class ErrorReporter:
    """Routes uncaught exceptions of slots and Qt's messages to the log, and shows exceptions to the user.

    ``parent``: the window the message box is modal to. ``boxes`` holds every box shown (tests read it)."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent
        self.boxes: list[QMessageBox] = []
        self._previous_hook = sys.excepthook
        self._previous_handler: Any = None
        self._installed = False

    def install(self) -> "ErrorReporter":
        self._previous_hook = sys.excepthook
        sys.excepthook = self.excepthook
        self._previous_handler = qInstallMessageHandler(self.qt_message)
        self._installed = True
        return self

    def uninstall(self) -> None:
        if not self._installed:
            return
        self._installed = False
        if sys.excepthook == self.excepthook:
            sys.excepthook = self._previous_hook
        qInstallMessageHandler(self._previous_handler)

    def excepthook(self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        """Log ``exc`` with its traceback and tell the user in a message box (``sys.excepthook`` signature)."""
        if issubclass(kind, KeyboardInterrupt):
            self._previous_hook(kind, exc, tb)
            return
        log.error("unexpected error in the window: %s: %s", kind.__name__, exc, exc_info=(kind, exc, tb),
                  extra={"with_traceback": True})
        self.show(f"{kind.__name__}: {exc}")
        if self._previous_hook is not sys.__excepthook__:  # a hook of the host (pytest-qt fails the test)
            self._previous_hook(kind, exc, tb)

    def show(self, text: str) -> QMessageBox | None:
        """A window-modal warning box with ``text`` and a pointer to the Log panel (None without a parent)."""
        try:
            box = QMessageBox(QMessageBox.Icon.Warning, "Something went wrong",
                              f"{text}\n\nThe details are in the Log panel and the log file.",
                              QMessageBox.StandardButton.Ok, self.parent)
        except RuntimeError:  # the window is being destroyed
            return None
        box.setObjectName("errorBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.boxes.append(box)
        box.finished.connect(lambda _r, b=box: b in self.boxes and self.boxes.remove(b))
        box.open()
        return box

    def qt_message(self, kind: QtMsgType, _context: Any, message: str) -> None:
        """Qt's message handler: warnings and worse to ``trader_app.qt``; noise of headless platforms dropped."""
        if kind in (QtMsgType.QtDebugMsg, QtMsgType.QtInfoMsg) or any(n in message for n in QT_NOISE):
            return
        level = logging.WARNING if kind is QtMsgType.QtWarningMsg else logging.ERROR
        qt_log.log(level, "Qt: %s", message)
