"""A user at the window: clicks, key presses, menus, dialogs (imported by name: tests/ui is on sys.path).

Every press is made from the Qt event loop (a zero timer), never inside the test's asyncio task: a slot that
opens a dialog with ``exec()`` then runs its nested event loop exactly as in the app, and the test awaits the
press's end. Dialogs, message boxes and menus are answered by a poller (a Qt timer) that waits for them to
appear and then types, picks and presses their buttons like a person.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QWidget,
)

from ui_helpers import until

LEFT = Qt.MouseButton.LeftButton


def _later(fn: Callable[[], Any]) -> asyncio.Future[Any]:
    """Run ``fn`` from the Qt event loop; the future completes with its result when it returns."""
    done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def run() -> None:
        try:
            result = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting test
            if not done.done():
                done.set_exception(exc)
            return
        if not done.done():
            done.set_result(result)

    QTimer.singleShot(0, run)
    return done


async def click(widget: QWidget, button: Qt.MouseButton = LEFT, pos: QPoint | None = None) -> None:
    """A mouse click on ``widget`` (at ``pos``, default its centre); returns once the click's slot returned."""
    assert widget.isVisible() and widget.isEnabled(), f"{widget!r} cannot be clicked (hidden or disabled)"
    await _later(lambda: QTest.mouseClick(widget, button, Qt.KeyboardModifier.NoModifier,
                                          pos if pos is not None else widget.rect().center()))


async def key(widget: QWidget, key_: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    """A key press on ``widget`` (focus moves there first, as a click into it would)."""
    def press() -> None:
        widget.window().activateWindow()
        widget.setFocus()
        QTest.keyClick(widget, key_, modifiers)
    await _later(press)


async def type_into(edit: QLineEdit, text: str) -> None:
    """Select all in ``edit`` and type ``text``."""
    def typing() -> None:
        edit.setFocus()
        edit.selectAll()
        QTest.keyClicks(edit, text)
    await _later(typing)


class Answer:
    """Waits (polling every 20 ms, up to ``timeout_s``) for a top-level widget ``match`` accepts (a modal dialog,
    a message box, a popup menu), then calls ``handler(widget)`` once. ``seen`` is the widget handled."""

    def __init__(self, match: Callable[[QWidget], bool], handler: Callable[[QWidget], Any],
                 timeout_s: float = 10.0) -> None:
        self.match, self.handler = match, handler
        self.seen: QWidget | None = None
        self.error: BaseException | None = None
        self._deadline = time.monotonic() + timeout_s
        self._timer = QTimer()
        self._timer.setInterval(20)
        self._timer.timeout.connect(self._poll)
        self._timer.start()

    def _poll(self) -> None:
        if time.monotonic() > self._deadline:
            self._timer.stop()
            self.error = AssertionError("the expected dialog or menu never appeared")
            return
        for candidate in (QApplication.activePopupWidget(), QApplication.activeModalWidget(),
                          *QApplication.topLevelWidgets()):
            if candidate is not None and candidate.isVisible() and self.match(candidate):
                self._timer.stop()
                self.seen = candidate
                try:
                    self.handler(candidate)
                except BaseException as exc:  # noqa: BLE001 - reported by ``done``
                    self.error = exc
                    if isinstance(candidate, QDialog):
                        candidate.reject()  # never leave a modal loop running behind a failed test
                return

    async def done(self, timeout_s: float = 10.0) -> QWidget:
        await until(lambda: self.seen is not None or self.error is not None, timeout_s)
        if self.error is not None:
            raise self.error
        assert self.seen is not None
        return self.seen


def on_dialog(handler: Callable[[Any], Any], kind: type = QDialog, title: str | None = None) -> Answer:
    """Answer the next visible dialog of ``kind`` (whose title contains ``title``) with ``handler(dialog)``."""
    def match(w: QWidget) -> bool:
        return isinstance(w, kind) and (title is None or title in w.windowTitle())
    return Answer(match, handler)


def press_button(dialog: QWidget, text: str) -> None:
    """Click the button of ``dialog`` whose text (without the & of its shortcut) is ``text``."""
    for b in dialog.findChildren(QAbstractButton):
        if b.text().replace("&", "") == text and b.isVisible():
            QTest.mouseClick(b, LEFT)
            return
    raise AssertionError(f"no button {text!r} in {dialog.windowTitle()!r}: "
                         f"{[b.text() for b in dialog.findChildren(QAbstractButton)]}")


def ok(dialog: QWidget) -> None:
    """Press OK (a dialog's button box or a message box)."""
    box = dialog.findChild(QDialogButtonBox)
    if isinstance(dialog, QMessageBox) or box is None:
        press_button(dialog, "OK")
        return
    QTest.mouseClick(box.button(QDialogButtonBox.StandardButton.Ok), LEFT)


def cancel(dialog: QWidget) -> None:
    """Press Cancel."""
    box = dialog.findChild(QDialogButtonBox)
    QTest.mouseClick(box.button(QDialogButtonBox.StandardButton.Cancel), LEFT)


def escape(dialog: QWidget) -> None:
    QTest.keyClick(dialog, Qt.Key.Key_Escape)


def enter(dialog: QWidget) -> None:
    """Press Enter in the dialog's focused field (the default button takes it)."""
    QTest.keyClick(dialog.focusWidget() or dialog, Qt.Key.Key_Return)


def fill(dialog: QWidget, **values: str) -> None:
    """Type into the line edits / pick in the combo boxes named ``objectName=value``."""
    for name, value in values.items():
        widget = dialog.findChild(QWidget, name)
        assert widget is not None, f"no field {name!r} in {dialog.windowTitle()!r}"
        if isinstance(widget, QComboBox):
            index = widget.findText(value)
            if index < 0:
                index = widget.findData(value)
            assert index >= 0, f"{value!r} is not a choice of {name!r}"
            widget.setCurrentIndex(index)
        elif isinstance(widget, QLineEdit):
            widget.setFocus()
            widget.selectAll()
            QTest.keyClicks(widget, value)
        else:
            QTest.keyClicks(widget, value)


def pick_file(path: str) -> Callable[[QWidget], None]:
    """A handler for an open-file dialog: type ``path`` into its file name field and press Enter."""
    def handler(dialog: QWidget) -> None:
        assert isinstance(dialog, QFileDialog)
        edit = dialog.findChild(QLineEdit, "fileNameEdit")
        edit.setText(path)
        QTest.keyClick(edit, Qt.Key.Key_Return)
    return handler


def _choose(menu: QMenu, names: list[str]) -> None:
    """In an open popup ``menu``, activate the item ``names[0]`` (opening submenus along ``names``)."""
    for action in menu.actions():
        if action.text().replace("&", "") == names[0].replace("&", ""):
            assert action.isEnabled(), f"menu item {names[0]!r} is disabled"
            if len(names) > 1:
                menu.setActiveAction(action)
                QTest.keyClick(menu, Qt.Key.Key_Right)
                sub = action.menu()
                _choose(sub, names[1:])
            else:
                QTest.mouseClick(menu, LEFT, Qt.KeyboardModifier.NoModifier,
                                 menu.actionGeometry(action).center())
            return
    raise AssertionError(f"no menu item {names[0]!r} in {[a.text() for a in menu.actions()]}")


async def menu(window: Any, *path: str) -> None:
    """Open ``path[0]`` in the menu bar with a click and click through the rest (``"View", "Market",
    "Demo market ..."``); returns once the item's slot returned."""
    bar = window.menuBar()
    top = next((a for a in bar.actions() if a.text().replace("&", "") == path[0].replace("&", "")), None)
    assert top is not None, f"no menu {path[0]!r}"
    chooser = Answer(lambda w: w is top.menu(), lambda m: QTimer.singleShot(0, lambda: _choose(m, list(path[1:]))))
    await click(bar, pos=bar.actionGeometry(top).center())
    await chooser.done()
    await asyncio.sleep(0.05)


async def context_menu(view: Any, row: int, *path: str) -> None:
    """Right-click row ``row`` of a table view and choose ``path`` in its context menu."""
    chooser = Answer(lambda w: isinstance(w, QMenu), lambda m: QTimer.singleShot(0, lambda: _choose(m, list(path))))
    rect = view.visualRect(view.model().index(row, 0))
    await _later(lambda: view.customContextMenuRequested.emit(rect.center()))
    await chooser.done()


async def select_row(view: Any, row: int) -> None:
    """Click row ``row`` of a table view (its first visible column)."""
    column = next(c for c in range(view.model().columnCount()) if not view.isColumnHidden(c))
    rect = view.visualRect(view.model().index(row, column))
    await click(view.viewport(), pos=rect.center())


def row_of(view: Any, predicate: Callable[[Any], bool]) -> int:
    """The row of the first record of ``view``'s model that ``predicate`` accepts."""
    for i, record in enumerate(view.model().records()):
        if predicate(record):
            return i
    raise AssertionError("no such row")
