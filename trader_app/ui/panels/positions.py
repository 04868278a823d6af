"""Positions panel: every open position with average price, mark, unrealized and realized PnL."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from ..models.format import Formats
from ..models.trading import PositionsModel
from .common import TablePanel, track_account_names


class PositionsPanel(TablePanel):
    """Fed by the bridge: ``positions`` batches (upsert/remove flat) and ``quotes`` (re-mark)."""

    def __init__(self, services: Any, bridge: Any, formats: Formats | None = None, parent: QWidget | None = None) -> None:
        formats = formats or Formats(services.market.instruments())
        super().__init__(PositionsModel(formats), parent)
        self.services = services
        track_account_names(services, bridge, self.model.account_names, self.model.account_venues)
        bridge.positions.connect(self.model.apply)
        price_venue = getattr(services.market, "price_venue", None)
        if price_venue is not None:
            self.model.price_venue = price_venue
        bridge.quotes.connect(self.model.mark)

    def load(self) -> None:
        """Show the positions the portfolio holds now (start-up)."""
        self.model.apply(self.services.portfolio.positions())
