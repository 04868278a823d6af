"""Accounts panel: each account per currency with broker, mode, session state (hover for why it is not
trading), equity, cash and day PnL; buttons to add a paper account, to connect an account on any registered
venue (a form built from the venue's settings schema), to deposit or withdraw virtual cash, and to accept the
venue's positions of an account stopped on a mismatch at start-up."""

from __future__ import annotations

import asyncio
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from ...core.events import LogEvent
from ...core.ids import now_ms
from ..models.accounts import AccountsModel
from .account_dialog import AccountDialog, create_from_dialog
from .common import TablePanel, accept_if_valid, spawn

CURRENCIES = ("USDT", "USD", "KRW")


class CashDialog(QDialog):
    """Asks for a name (new accounts only), a currency and a positive amount; ``values()`` parses them."""

    def __init__(self, title: str, with_name: bool, currency: str = "USDT", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        form = QFormLayout(self)
        self.name = QLineEdit(self) if with_name else None
        if self.name is not None:
            self.name.setObjectName("cashName")
            form.addRow("Name", self.name)
        self.currency = QComboBox(self)
        self.currency.setObjectName("cashCurrency")
        self.currency.setEditable(True)
        self.currency.addItems(CURRENCIES)
        self.currency.setCurrentText(currency)
        form.addRow("Currency", self.currency)
        self.amount = QLineEdit(self)
        self.amount.setObjectName("cashAmount")
        self.amount.setPlaceholderText("amount")
        form.addRow("Amount", self.amount)
        self.error = QLabel("", self)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, str, Decimal]:
        """(name, currency, amount). Raises ``ValueError`` with the problem."""
        name = self.name.text().strip() if self.name is not None else ""
        if self.name is not None and not name:
            raise ValueError("name is required")
        currency = self.currency.currentText().strip().upper()
        if not currency:
            raise ValueError("currency is required")
        try:
            amount = Decimal(self.amount.text().strip())
        except InvalidOperation:
            raise ValueError("amount must be a number") from None
        if not amount.is_finite() or amount <= 0:
            raise ValueError("amount must be greater than 0")
        return name, currency, amount

    def _accept(self) -> None:
        accept_if_valid(self)


class AccountsPanel(TablePanel):
    """Accounts table fed by the bridge (account events, balances, summaries)."""

    def __init__(self, services: Any, bridge: Any, parent: QWidget | None = None) -> None:
        super().__init__(AccountsModel(), parent)
        self.services = services
        self.last_task: asyncio.Future[Any] | None = None
        bridge.accounts.connect(self.model.on_accounts)
        bridge.balances.connect(self.model.on_balances)
        bridge.summaries.connect(self.model.on_summaries)
        new_button = QPushButton("New paper...", self)
        new_button.setObjectName("newPaper")
        new_button.setToolTip("Open a paper account with virtual cash")
        new_button.clicked.connect(self.new_account_dialog)
        connect = QPushButton("Connect...", self)
        connect.setObjectName("connectAccount")
        connect.setToolTip("Connect an account on any venue (API keys go to the OS keyring)")
        connect.clicked.connect(self.connect_account_dialog)
        deposit = QPushButton("Deposit...", self)
        deposit.setObjectName("deposit")
        deposit.clicked.connect(lambda: self.cash_dialog(withdraw=False))
        withdraw = QPushButton("Withdraw...", self)
        withdraw.setObjectName("withdraw")
        withdraw.clicked.connect(lambda: self.cash_dialog(withdraw=True))
        accept = QPushButton("Accept", self)
        accept.setObjectName("acceptPositions")
        accept.setToolTip("Take the venue's positions of an account stopped at start-up and trade again")
        accept.clicked.connect(self.accept_positions)
        # two rows of three: the panel fits a 420 px column without scrolling sideways
        grid = QGridLayout()
        grid.setContentsMargins(2, 2, 2, 0)
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(2)
        for i, b in enumerate((new_button, connect, accept, deposit, withdraw)):
            grid.addWidget(b, i // 3, i % 3)
        self.vbox.addLayout(grid)

    def load(self) -> None:
        """Show the accounts, their balances and summaries as the services hold them now."""
        from ...core.events import AccountEvent

        accounts = self.services.accounts
        self.model.on_accounts(
            [AccountEvent(a, session=accounts.session_state(a.account_id), error=accounts.session_error(a.account_id),
                          warning=accounts.session_warning(a.account_id))
             for a in accounts.list()]
        )
        self.model.on_balances(self.services.portfolio.balances())
        self.model.on_summaries(self.services.portfolio.summaries())

    def new_account_dialog(self) -> None:
        dialog = CashDialog("New paper account", with_name=True, parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        name, currency, amount = dialog.values()
        self.last_task = spawn(self.services.accounts.create_paper_account(name, {currency: amount}), self._failed)

    def connect_account_dialog(self) -> AccountDialog | None:
        """The venue form; on OK the account is created (secrets to the keyring) and connected."""
        dialog = AccountDialog(self.services.accounts.registry, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        self.last_task = spawn(create_from_dialog(self.services.accounts, dialog), self._failed)
        return dialog

    def accept_positions(self) -> None:
        row = self.table.selected_record()
        if row is None:
            self._log("WARNING", "select an account row first")
            return
        if not row.error:
            self._log("WARNING", f"account {row.name} is not stopped: nothing to accept")
            return
        self.last_task = spawn(self.services.accounts.accept_venue_positions(row.account_id), self._failed)

    def cash_dialog(self, withdraw: bool) -> None:
        row = self.table.selected_record()
        if row is None:
            self._log("WARNING", "select an account row first")
            return
        dialog = CashDialog(f"{'Withdraw from' if withdraw else 'Deposit to'} {row.name}", with_name=False,
                            currency=row.currency, parent=self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        _, currency, amount = dialog.values()
        op = self.services.accounts.withdraw if withdraw else self.services.accounts.deposit
        self.last_task = spawn(op(row.account_id, currency, amount), self._failed)

    def _failed(self, exc: BaseException) -> None:
        self._log("ERROR", str(exc))

    def _log(self, level: str, message: str) -> None:
        self.services.bus.publish(LogEvent(now_ms(), level, "accounts", message))
