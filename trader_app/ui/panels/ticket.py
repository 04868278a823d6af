"""Order ticket: account, symbol, side, type, quantity, price, stop price, time in force.

The ticket validates before sending (``validate_ticket``: quantity > 0; a price for LIMIT/STOP_LIMIT; a stop
price for STOP_MARKET/STOP_LIMIT) and shows the message next to the buttons; a valid ticket becomes an
``OrderRequest`` with a fresh client order id and goes through ``OrderManager.submit`` — the one path every
order takes (DESIGN.md). The outcome (status, average fill price, or the rejection reason) is shown below.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
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
from ...core.ids import new_client_order_id, now_ms
from ...core.market_data import Quote
from ...core.orders import Order, OrderRequest
from ..models.format import Formats
from .common import spawn

_NUMBER = QRegularExpression(r"^\s*[0-9]*[.,]?[0-9]*\s*$")


class TicketError(ValueError):
    """A ticket field is missing or wrong; the message is shown to the trader as is."""


@dataclass(frozen=True)
class TicketFields:
    """What the ticket's widgets hold, as text (what the trader typed)."""

    account_id: str
    symbol: str
    side: Side
    order_type: OrderType
    quantity: str
    price: str = ""
    stop_price: str = ""
    time_in_force: TimeInForce = TimeInForce.GTC


def _parse(text: str, label: str) -> Decimal | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise TicketError(f"{label} must be a number, got {text!r}") from None
    if not value.is_finite():
        raise TicketError(f"{label} must be a number, got {text!r}")
    return value


def validate_ticket(fields: TicketFields, client_order_id: str | None = None) -> OrderRequest:
    """Turn ticket fields into an ``OrderRequest`` or raise ``TicketError`` with the first problem.

    Rules: an account and a symbol are chosen; quantity > 0; LIMIT and STOP_LIMIT need a price > 0;
    STOP_MARKET and STOP_LIMIT need a stop price > 0. A price typed for a type that takes none is ignored.
    """
    if not fields.account_id:
        raise TicketError("Choose an account")
    symbol = fields.symbol.strip()
    if not symbol:
        raise TicketError("Choose a symbol")
    qty = _parse(fields.quantity, "Quantity")
    if qty is None:
        raise TicketError("Quantity is required")
    if qty <= 0:
        raise TicketError("Quantity must be greater than 0")
    price = stop = None
    if fields.order_type.needs_price:
        price = _parse(fields.price, "Price")
        if price is None:
            raise TicketError(f"Price is required for {fields.order_type.value} orders")
        if price <= 0:
            raise TicketError("Price must be greater than 0")
    if fields.order_type.needs_stop_price:
        stop = _parse(fields.stop_price, "Stop price")
        if stop is None:
            raise TicketError(f"Stop price is required for {fields.order_type.value} orders")
        if stop <= 0:
            raise TicketError("Stop price must be greater than 0")
    return OrderRequest(
        account_id=fields.account_id,
        symbol=symbol,
        side=fields.side,
        order_type=fields.order_type,
        quantity=qty,
        client_order_id=client_order_id or new_client_order_id(),
        price=price,
        stop_price=stop,
        time_in_force=fields.time_in_force,
    )


def describe(order: Order, formats: Formats | None = None) -> str:
    """One line for the trader: ``FILLED BUY 0.5 BTC/USDT @ 65,000.00`` or ``REJECTED ...: reason``."""
    f = formats or Formats()
    head = f"{order.status.value} {order.side.value} {f.qty(order.symbol, order.quantity)} {order.symbol}"
    if order.status is OrderStatus.REJECTED:
        return f"{head}: {order.reject_reason}"
    if order.avg_fill_price is not None and order.filled_qty:
        head += f" @ {f.price(order.symbol, order.avg_fill_price)}"
        if order.status is OrderStatus.PARTIALLY_FILLED:
            head += f" ({f.qty(order.symbol, order.filled_qty)} filled)"
    elif order.order_type is not OrderType.MARKET:
        limit = order.price if order.price is not None else order.stop_price
        head += f" {order.order_type.value} {f.price(order.symbol, limit)}"
    return head


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
        self._build()
        self.reload_accounts()
        bridge.accounts.connect(lambda _events: self.reload_accounts())
        bridge.quotes.connect(self._on_quotes)

    # ---- layout --------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.account = QComboBox(self)
        self.account.setObjectName("ticketAccount")
        self.symbol = QComboBox(self)
        self.symbol.setObjectName("ticketSymbol")
        self.symbol.setEditable(True)
        self.symbol.addItems([i.symbol for i in self.services.market.instruments()])
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
        form.addRow("Quantity", self.quantity)
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
        """Refill the account picker from the account service, keeping the current choice."""
        current = self.account.currentData()
        self.account.blockSignals(True)
        self.account.clear()
        for acc in self.services.accounts.list():
            self.account.addItem(acc.name, acc.account_id)
        idx = self.account.findData(current) if current else 0
        self.account.setCurrentIndex(max(idx, 0))
        self.account.blockSignals(False)

    def set_symbol(self, symbol: str) -> None:
        """Choose ``symbol`` (from the watchlist) and prefill the price with its last price."""
        self.symbol.setCurrentText(symbol)
        quote = self.services.market.last_quote(symbol)
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
        self._quote = self.services.market.last_quote(symbol) if symbol else None
        self._show_quote()

    def _on_quotes(self, quotes: Mapping[str, Quote]) -> None:
        quote = quotes.get(self.symbol.currentText())
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
        """Validate and send. Returns the sending task, or None when the ticket is invalid (message shown)."""
        try:
            request = validate_ticket(self.fields(side))
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
        self._show(f"Sending {side.value} {request.quantity} {request.symbol}...", "")
        self.last_task = spawn(self._send(request), self._send_failed)
        return self.last_task

    async def _send(self, request: OrderRequest) -> Order:
        order = await self.services.order_manager.submit(request)
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
