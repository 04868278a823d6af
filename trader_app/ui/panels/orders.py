"""Open orders panel: working orders with a context menu to cancel one or all of them.

Cancels go through ``OrderManager.cancel`` / ``cancel_all`` (the same path as every other caller); the
outcome is written to the Log panel through the bus (``LogEvent``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from ...core.events import LogEvent
from ...core.ids import now_ms
from ...core.orders import Order
from ..models.format import Formats
from ..models.trading import OpenOrdersModel
from .common import TablePanel, spawn, track_account_names


class OpenOrdersPanel(TablePanel):
    """Open orders, newest first. Right-click a row: *Cancel* (that order) or *Cancel all* (every open
    order shown, per account). ``last_task`` is the most recent cancel task (tests await it)."""

    def __init__(self, services: Any, bridge: Any, formats: Formats | None = None, parent: QWidget | None = None) -> None:
        formats = formats or Formats(services.market.instruments())
        super().__init__(OpenOrdersModel(formats), parent)
        self.services = services
        self.last_task: asyncio.Future[Any] | None = None
        track_account_names(services, bridge, self.model.account_names)
        bridge.orders.connect(self.model.apply)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_menu)

    def load(self) -> None:
        """Show the order manager's open orders (start-up)."""
        self.model.apply(sorted(self.services.order_manager.open_orders(), key=lambda o: o.created_ms))

    # ---- menu ----------------------------------------------------------------------------------------
    def menu_for(self, row: int | None) -> QMenu:
        """The context menu for a row of the view (None: no row under the cursor)."""
        menu = QMenu(self)
        cancel = QAction("Cancel", menu)
        cancel.setObjectName("cancelOrder")
        if row is None or row < 0:
            cancel.setEnabled(False)
        else:
            order = self.table.record_at(row)
            cancel.setText(f"Cancel {order.side.value} {order.symbol} ({order.client_order_id})")
            cancel.triggered.connect(lambda _=False, o=order: self.cancel(o))
        cancel_all = QAction("Cancel all", menu)
        cancel_all.setObjectName("cancelAll")
        cancel_all.setEnabled(self.model.rowCount() > 0)
        cancel_all.triggered.connect(lambda _=False: self.cancel_all())
        menu.addAction(cancel)
        menu.addAction(cancel_all)
        return menu

    def _show_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        menu = self.menu_for(index.row() if index.isValid() else None)
        menu.exec(self.table.viewport().mapToGlobal(pos))

    # ---- actions -------------------------------------------------------------------------------------
    def cancel(self, order: Order) -> asyncio.Future[Any]:
        """Cancel one order (asynchronously)."""
        self.last_task = spawn(self._cancel(order), self._failed)
        return self.last_task

    def cancel_all(self) -> asyncio.Future[Any]:
        """Cancel every open order of every account (the journal's, shown or not yet), one ``cancel_all`` per account."""
        self.last_task = spawn(self._cancel_all(), self._failed)
        return self.last_task

    async def _cancel(self, order: Order) -> Order:
        result = await self.services.order_manager.cancel(order.account_id, order.client_order_id)
        self._log("INFO", f"cancel {order.client_order_id}: {result.status.value}")
        return result

    async def _cancel_all(self) -> list[Order]:
        # every account with an open order in the journal, not only those the table shows yet (an order placed
        # a moment ago may not have reached the view when Ctrl+Shift+X is pressed)
        accounts = sorted({o.account_id for o in self.services.order_manager.open_orders()}
                          | {o.account_id for o in self.model.records()})
        results = await asyncio.gather(
            *(self.services.order_manager.cancel_all(a) for a in accounts), return_exceptions=True
        )
        cancelled: list[Order] = []
        for account_id, res in zip(accounts, results):
            name = self.model.account_names.get(account_id, account_id)
            if isinstance(res, BaseException):
                self._log("ERROR", f"cancel all on {name}: {res}")
            else:
                cancelled.extend(res)
                self._log("INFO", f"cancel all on {name}: {len(res)} order(s) cancelled")
        return cancelled

    def _failed(self, exc: BaseException) -> None:
        self._log("ERROR", f"cancel failed: {exc}")

    def _log(self, level: str, message: str) -> None:
        self.services.bus.publish(LogEvent(now_ms(), level, "orders", message))
