"""Order ticket: target (an account, or a strategy group's linked accounts), symbol, side, type, quantity
(or qty_per for a group), price, stop price, time in force.

The ticket validates before sending (``ticket_rules``: quantity > 0; a price for LIMIT/STOP_LIMIT; a stop price
for STOP_MARKET/STOP_LIMIT) and shows the message next to the buttons. For one account a valid ticket becomes
an ``OrderRequest`` with a fresh client order id, sent as a one-account manual signal
(``Executor.submit_order``: recorded in Signals like every signal, then ``OrderManager.submit``: risk, journal,
venue); for a group it becomes a manual signal for ``Executor.execute``, which fans out to each linked account
through that same path. The outcome (status, average fill price, or the rejection reason;
per account for a group) is shown below.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...core.enums import OrderStatus, OrderType, Side, TimeInForce
from ...core.errors import TraderError
from ...core.events import LogEvent
from ...core.ids import now_ms
from ...core.instrument import HOME_VENUE, market_id, parse_market_id
from ...core.market_data import Quote
from ...core.orders import Order, OrderRequest
from ..models.format import Formats
from .common import spawn
from .ticket_rules import (  # noqa: F401 - re-exported: the ticket's rules live with the ticket
    GROUP_PREFIX,
    TicketError,
    TicketFields,
    by_amount,
    describe,
    describe_outcome,
    group_of,
    validate_group_ticket,
    validate_ticket,
)

_NUMBER = QRegularExpression(r"^\s*-?[0-9]*[.,]?[0-9]*\s*$")  # digits, one separator; "-" for qty_per


class _TargetCombo(QComboBox):
    """The account picker; ``aboutToShowPopup`` lets the ticket refresh the strategy groups first."""

    aboutToShowPopup = Signal()

    def showPopup(self) -> None:  # noqa: N802 (Qt API)
        self.aboutToShowPopup.emit()
        super().showPopup()


class OrderTicket(QWidget):
    """The ticket widget. ``submit(side)`` validates, sends and returns the task (None if invalid);
    ``orderPlaced(Order)`` is emitted with the order as ``OrderManager.submit`` returned it.
    ``last_order`` / ``last_error`` keep the latest outcome."""

    orderPlaced = Signal(object)

    def __init__(self, services: Any, bridge: Any, formats: Formats | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.formats = formats or Formats(services.market.instruments())
        self.last_order: Order | None = None
        self.last_error: str = ""
        self.last_task: asyncio.Future[Any] | None = None
        self._quote: Quote | None = None
        self._groups: list[str] = []
        self.account_venues: dict[str, str] = {}
        self.account_names: dict[str, str] = {}
        self.last_outcome: Any = None
        self._build()
        self.reload_accounts()
        bridge.accounts.connect(lambda _events: self.reload_accounts())
        bridge.quotes.connect(self._on_quotes)

    # ---- layout --------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.account = _TargetCombo(self)
        self.account.setObjectName("ticketAccount")
        self.account.setToolTip("One account, or a strategy group: every linked account at once (qty_per %)")
        self.account.currentIndexChanged.connect(self._target_changed)
        self.account.aboutToShowPopup.connect(lambda: spawn(self.reload_groups()))
        self.symbol = QComboBox(self)
        self.symbol.setObjectName("ticketSymbol")
        self.symbol.setEditable(True)
        self.symbol.addItems(list(dict.fromkeys(i.symbol for i in self.services.market.instruments())))
        self.symbol.currentTextChanged.connect(self._symbol_changed)
        self.order_type = QComboBox(self)
        self.order_type.setObjectName("ticketType")
        for t in OrderType:
            self.order_type.addItem(t.value, t.value)
        self.order_type.currentIndexChanged.connect(self._type_changed)
        self.tif = QComboBox(self)
        for t in TimeInForce:
            self.tif.addItem(t.value, t.value)
        validator = QRegularExpressionValidator(_NUMBER, self)
        self.quantity = QLineEdit(self)
        self.quantity.setObjectName("ticketQuantity")
        self.quantity.setPlaceholderText("quantity")
        self.price = QLineEdit(self)
        self.price.setObjectName("ticketPrice")
        self.price.setPlaceholderText("limit price")
        self.stop = QLineEdit(self)
        self.stop.setObjectName("ticketStop")
        self.stop.setPlaceholderText("stop price")
        for edit in (self.quantity, self.price, self.stop):
            edit.setValidator(validator)
            edit.textEdited.connect(lambda _t, e=edit: self._mark_invalid(e, False))

        self.bid_label = QLabel("-", self)
        self.bid_label.setObjectName("quoteBid")
        self.ask_label = QLabel("-", self)
        self.ask_label.setObjectName("quoteAsk")
        for label, align in ((self.bid_label, Qt.AlignmentFlag.AlignLeft), (self.ask_label, Qt.AlignmentFlag.AlignRight)):
            # A fixed size keeps a text change from invalidating the layouts up to the main window
            # (QWidget::updateGeometry skips the parent layout when min == max size).
            label.setFixedSize(110, label.sizeHint().height())
            label.setAlignment(align | Qt.AlignmentFlag.AlignVCenter)
        quote_row = QHBoxLayout()
        quote_row.addWidget(QLabel("Bid", self))
        quote_row.addWidget(self.bid_label)
        quote_row.addStretch(1)
        quote_row.addWidget(QLabel("Ask", self))
        quote_row.addWidget(self.ask_label)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Account", self.account)
        form.addRow("Symbol", self.symbol)
        form.addRow("Type", self.order_type)
        self.quantity_label = QLabel("Quantity", self)
        form.addRow(self.quantity_label, self.quantity)
        form.addRow("Price", self.price)
        form.addRow("Stop", self.stop)
        form.addRow("TIF", self.tif)

        self.buy_button = QPushButton("Buy", self)
        self.buy_button.setObjectName("buyButton")
        self.buy_button.setToolTip("Send a buy order (Ctrl+B)")
        self.buy_button.clicked.connect(lambda: self.submit(Side.BUY))
        self.sell_button = QPushButton("Sell", self)
        self.sell_button.setObjectName("sellButton")
        self.sell_button.setToolTip("Send a sell order (Ctrl+Shift+S)")
        self.sell_button.clicked.connect(lambda: self.submit(Side.SELL))
        buttons = QGridLayout()
        buttons.addWidget(self.buy_button, 0, 0)
        buttons.addWidget(self.sell_button, 0, 1)

        self.result = QLabel("", self)
        self.result.setObjectName("ticketResult")
        self.result.setWordWrap(True)
        self.result.setMinimumHeight(44)

        box = QVBoxLayout(self)
        box.setContentsMargins(8, 6, 8, 6)
        box.addLayout(quote_row)
        box.addLayout(form)
        box.addLayout(buttons)
        box.addWidget(self.result)
        box.addStretch(1)
        self._type_changed()

    # ---- state ---------------------------------------------------------------------------------------
    def reload_accounts(self) -> None:
        """Refill the target picker: the accounts, then the strategy groups (``group:<name>``), keeping the
        current choice."""
        current = self.account.currentData()
        self.account.blockSignals(True)
        self.account.clear()
        self.account_names = {acc.account_id: acc.name for acc in self.services.accounts.list()}
        self.account_venues = {acc.account_id: acc.broker for acc in self.services.accounts.list()}
        for account_id, name in self.account_names.items():
            self.account.addItem(name, account_id)
        if self._groups:
            self.account.insertSeparator(self.account.count())
            for group in self._groups:
                self.account.addItem(f"Group {group} (linked accounts)", GROUP_PREFIX + group)
        idx = self.account.findData(current) if current else 0
        self.account.setCurrentIndex(max(idx, 0))
        self.account.blockSignals(False)
        self._target_changed()

    async def load(self) -> None:
        """Start-up: list the strategy groups as targets."""
        await self.reload_groups()

    async def reload_groups(self) -> None:
        """Re-read the strategy groups (when the group service exists) and refill the picker if they changed."""
        groups_service = getattr(self.services, "groups", None)
        if groups_service is None or getattr(self.services, "executor", None) is None:
            return
        groups = [g.group_name for g in await groups_service.list_groups() if g.enabled]
        if groups != self._groups:
            self._groups = groups
            self.reload_accounts()

    def set_target_group(self, group_name: str) -> None:
        idx = self.account.findData(GROUP_PREFIX + group_name)
        if idx < 0:
            raise ValueError(f"unknown strategy group {group_name!r}")
        self.account.setCurrentIndex(idx)

    def _target_changed(self, *_args: Any) -> None:
        group = group_of(self.account.currentData() or "")
        self._symbol_changed(self.symbol.currentText())
        self.quantity_label.setText("qty_per %" if group else "Quantity")
        self.quantity.setPlaceholderText("% of allocation (negative closes)" if group else "quantity")

    def _market(self) -> str:
        """The market id whose quote the ticket shows: the symbol on the venue that prices the chosen account
        (``MarketService.price_venue``: a paper account trades on the app's market; a group: the paper one's)."""
        venue = self.account_venues.get(self.account.currentData() or "", HOME_VENUE)
        return market_id(self.services.market.price_venue(venue), self.symbol.currentText())

    def set_symbol(self, symbol: str) -> None:
        """Choose ``symbol`` (a market id from the watchlist: its symbol goes in the ticket) and prefill the
        price with its last price on the chosen account's venue."""
        try:
            symbol = parse_market_id(symbol)[1]
        except ValueError:
            pass
        self.symbol.setCurrentText(symbol)
        quote = self.services.market.quote_of(self._market())
        if quote is not None:
            self._quote = quote
            self._show_quote()
            self.price.setText(self.formats.price(symbol, quote.last).replace(",", ""))

    def set_account(self, account_id: str) -> None:
        idx = self.account.findData(account_id)
        if idx < 0:
            raise ValueError(f"unknown account {account_id!r}")
        self.account.setCurrentIndex(idx)

    def set_order_type(self, order_type: OrderType) -> None:
        self.order_type.setCurrentIndex(self.order_type.findData(OrderType(order_type).value))

    def fields(self, side: Side) -> TicketFields:
        """The ticket's current content for ``side``."""
        return TicketFields(
            account_id=self.account.currentData() or "",
            symbol=self.symbol.currentText(),
            side=side,
            order_type=OrderType(self.order_type.currentData()),
            quantity=self.quantity.text(),
            price=self.price.text() if self.price.isEnabled() else "",
            stop_price=self.stop.text() if self.stop.isEnabled() else "",
            time_in_force=TimeInForce(self.tif.currentData()),
        )

    def _type_changed(self, *_args: Any) -> None:
        t = OrderType(self.order_type.currentData())
        self.price.setEnabled(t.needs_price)
        self.stop.setEnabled(t.needs_stop_price)
        self._mark_invalid(self.price, False)
        self._mark_invalid(self.stop, False)

    def _symbol_changed(self, symbol: str) -> None:
        self._quote = self.services.market.quote_of(self._market()) if symbol else None
        self._show_quote()

    def _on_quotes(self, quotes: Mapping[str, Quote]) -> None:
        quote = quotes.get(self._market())
        if quote is not None:
            self._quote = quote
            self._show_quote()

    def _show_quote(self) -> None:
        q, sym = self._quote, self.symbol.currentText()
        self.bid_label.setText(self.formats.price(sym, q.bid) if q else "-")
        self.ask_label.setText(self.formats.price(sym, q.ask) if q else "-")

    def _mark_invalid(self, edit: QLineEdit, invalid: bool) -> None:
        if edit.property("invalid") == invalid:
            return
        edit.setProperty("invalid", invalid)
        edit.style().unpolish(edit)
        edit.style().polish(edit)

    def _show(self, text: str, state: str) -> None:
        self.result.setText(text)
        self.result.setProperty("state", state)
        self.result.style().unpolish(self.result)
        self.result.style().polish(self.result)

    # ---- sending -------------------------------------------------------------------------------------
    def submit(self, side: Side) -> asyncio.Future[Any] | None:
        """Validate and send (to one account, or to a strategy group's linked accounts). Returns the sending
        task, or None when the ticket is invalid (message shown)."""
        fields = self.fields(side)
        try:
            if group_of(fields.account_id):
                signal = validate_group_ticket(fields)
            else:
                request = validate_ticket(fields)
                if self._buys_by_amount(request.account_id):
                    inst = self._instrument(request.account_id, request.symbol)
                    request = by_amount(request, self._quote.ask if self._quote else None,
                                        inst.quote if inst is not None else "")
        except TicketError as exc:
            self.last_error = str(exc)
            text = str(exc).lower()
            for edit, word in ((self.quantity, "quantity"), (self.stop, "stop"), (self.price, "price")):
                if word in text:
                    self._mark_invalid(edit, True)
                    break
            self._show(str(exc), "error")
            return None
        self.last_error = ""
        if group_of(fields.account_id):
            self._show(f"Sending {side.value} {signal.orders[0].qty_per}% {signal.orders[0].symbol} to group "
                       f"{signal.group_name}...", "")
            self.last_task = spawn(self._send_group(signal), self._send_failed)
            return self.last_task
        spend = f" (spending {self.formats.price(request.symbol, request.quote_amount)} at most)" \
            if request.quote_amount is not None else ""
        self._show(f"Sending {side.value} {request.quantity} {request.symbol}{spend}...", "")
        self.last_task = spawn(self._send(request), self._send_failed)
        return self.last_task

    def _buys_by_amount(self, account_id: str) -> bool:
        """The account's venue buys at market by the amount to spend only."""
        try:
            return self.services.order_manager.broker(account_id).capabilities.market_buy_by_quote
        except TraderError:
            return False

    def _instrument(self, account_id: str, symbol: str) -> Any:
        try:
            return self.services.order_manager.instrument(account_id, symbol)
        except TraderError:
            return None

    async def _send_group(self, signal: Any) -> Any:
        outcome = await self.services.executor.execute(signal)
        self.last_outcome = outcome
        text, ok = describe_outcome(outcome, self.account_names)
        self._show(f"Group {signal.group_name}:\n{text}", "ok" if ok else "error")
        self.services.bus.publish(LogEvent(now_ms(), "INFO" if ok else "WARNING", "ticket",
                                           f"signal {signal.signal_id} to group {signal.group_name}: "
                                           + text.replace(chr(10), "; ")))
        return outcome

    async def _send(self, request: OrderRequest) -> Order:
        outcome = await self.services.executor.submit_order(request)  # the signal path: recorded like any signal
        self.last_outcome = outcome
        order = self.services.order_manager.order(request.account_id, request.client_order_id)
        if order is None:  # refused before the journal (risk, minimums, capabilities, not connected)
            reason = outcome.results[0].error if outcome.results else "refused"
            raise TraderError(reason)
        self.last_order = order
        text = describe(order, self.formats)
        self._show(text, "error" if order.status is OrderStatus.REJECTED else "ok")
        level = "WARNING" if order.status is OrderStatus.REJECTED else "INFO"
        self.services.bus.publish(LogEvent(now_ms(), level, "ticket", f"{text} ({order.client_order_id})"))
        self.orderPlaced.emit(order)
        return order

    def _send_failed(self, exc: BaseException) -> None:
        message = str(exc) if isinstance(exc, TraderError) else f"{type(exc).__name__}: {exc}"
        self.last_error = message
        self._show(f"Not sent: {message}", "error")
        self.services.bus.publish(LogEvent(now_ms(), "ERROR", "ticket", f"order not sent: {message}"))
