"""Log panel: the app's notices (LogEvents on the bus, and warnings from the ``trader_app`` loggers)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from ..models.log import LogModel
from .common import TablePanel


class LogPanel(TablePanel):
    """Fed by the bridge's ``logs`` batches, newest line on top."""

    def __init__(self, services: Any, bridge: Any, parent: QWidget | None = None) -> None:
        super().__init__(LogModel(), parent)
        self.table.horizontalHeader().setSectionsClickable(False)
        handler = getattr(services, "log_handler", None)
        if handler is not None:  # what was logged before the window existed (start-up, listener address)
            self.model.append(list(handler.history))
        bridge.logs.connect(self.model.append)
