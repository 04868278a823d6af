"""Fills panel: executions, newest first."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from ..models.format import Formats
from ..models.trading import FillsModel
from .common import TablePanel, track_account_names


class FillsPanel(TablePanel):
    """Fed by the bridge's ``fills`` batches; ``load()`` reads the latest stored fills (through the store's
    worker thread, never on the loop)."""

    def __init__(self, services: Any, bridge: Any, formats: Formats | None = None, parent: QWidget | None = None) -> None:
        formats = formats or Formats(services.market.instruments())
        super().__init__(FillsModel(formats), parent)
        self.services = services
        track_account_names(services, bridge, self.model.account_names)
        bridge.fills.connect(self.model.apply)

    async def load(self, limit: int = 500) -> None:
        store = self.services.store
        fills = await store.run(store.fills.list, limit=limit)
        self.model.apply(reversed(fills))  # stored newest first; apply oldest first so the newest ends on top
