"""Ledger panel: every cash movement (BUY, SELL, FEE, DEPOSIT, WITHDRAW, TAX) with cash before and after."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from ..models.format import Formats
from ..models.trading import LedgerModel
from .common import TablePanel, track_account_names


class LedgerPanel(TablePanel):
    """Fed by the bridge's ``ledger`` batches; ``load()`` reads the latest stored entries."""

    def __init__(self, services: Any, bridge: Any, formats: Formats | None = None, parent: QWidget | None = None) -> None:
        formats = formats or Formats(services.market.instruments())
        super().__init__(LedgerModel(formats), parent)
        self.services = services
        track_account_names(services, bridge, self.model.account_names)
        bridge.ledger.connect(self.model.apply)

    async def load(self, limit: int = 500) -> None:
        store = self.services.store
        entries = await store.run(store.ledger.list, limit=limit)
        self.model.apply(reversed(entries))
