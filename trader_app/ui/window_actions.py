"""The main window's menu actions that open files and other windows: File > Import CSV / Replay CSV,
Tools > Backtest, Help. A mixin of ``MainWindow`` (it uses the window's ``services``, ``chart``, ``watchlist``,
``activate_symbol`` and the Log panel through the bus).

Errors are logged and shown in a window-modal box opened with ``open()``, never ``exec()``: a nested event
loop would run asyncio tasks re-entrantly.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from .. import __version__
from ..core.events import LogEvent
from ..core.ids import now_ms
from .panels.common import spawn


class WindowActions:
    """File, tools and help actions of the main window."""

    services: Any
    backtest_window: QWidget | None
    last_message_box: QMessageBox | None

    def import_csv_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import OHLCV CSV", "", "CSV files (*.csv *.txt);;All files (*)")
        if path:
            self.import_csv(path)

    def import_csv(self, path: str) -> asyncio.Future[Any]:
        """Import an OHLCV file into the store and chart it; a bad file gets a message naming the line."""
        return spawn(self._import(path), lambda exc: self._error("Import failed", exc))

    async def _import(self, path: str) -> Any:
        result = await self.services.market.import_csv(path)
        self._log("INFO", f"imported {len(result.bars)} {result.interval.value} bars of {result.symbol} from {path} "
                          f"(read as {result.layout or 'a CSV'})")
        self.chart.show_symbol(result.symbol, result.interval)
        return result

    def replay_csv_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Replay OHLCV CSV", "", "CSV files (*.csv *.txt);;All files (*)")
        if path:
            self.replay_csv(path)

    def replay_csv(self, path: str, speed: float | None = None) -> asyncio.Future[Any]:
        """Import ``path`` and drive the paper market from its bars (replaces the demo market)."""
        return spawn(self._replay(path, speed), lambda exc: self._error("Replay failed", exc))

    async def _replay(self, path: str, speed: float | None) -> Any:
        result = await self.services.start_replay(path, speed)  # logs the layout it recognised
        await self.watchlist.load()
        self.activate_symbol(result.symbol, result.interval)
        return result

    def open_backtest_window(self) -> None:
        from .backtest_window import BacktestWindow  # on first use: the backtest window's imports are heavy

        if self.backtest_window is None:
            self.backtest_window = BacktestWindow(self.services)
        self.backtest_window.show()
        self.backtest_window.raise_()

    def _show_data_dir(self) -> None:
        QMessageBox.information(self, "Data folder", f"Your data is in\n{self.services.data_dir}")

    def _about(self) -> None:
        QMessageBox.about(self, "Trader App", f"Trader App {__version__}\nData: {self.services.data_dir}")

    def _error(self, title: str, exc: BaseException) -> None:
        """Log the error and show it in a window-modal box that does not block the loop (``open``, not
        ``exec``: a nested event loop would run asyncio tasks re-entrantly)."""
        self._log("ERROR", f"{title}: {exc}")
        if getattr(self.services, "headless", False):
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, str(exc), QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_message_box = box
        box.open()

    def _log(self, level: str, message: str) -> None:
        self.services.bus.publish(LogEvent(now_ms(), level, "window", message))
