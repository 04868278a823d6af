"""Rows, small dialogs and text helpers of the Strategies panel (``strategies.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QSpinBox, QWidget,
)

from ...core.groups import DEFAULT_MAX_POSITIONS
from ...core.money import fmt

MASK = "\u2022" * 12


@dataclass(frozen=True)
class GroupRow:
    group_name: str
    market_type: str
    enabled: bool
    links: int
    description: str


@dataclass(frozen=True)
class LinkRow:
    account_id: str
    name: str
    weight: str
    leverage: str
    max_positions: int


@dataclass(frozen=True)
class RiskRow:
    account_id: str
    name: str
    tripped: bool
    reason: str
    limits: str


def money_map_text(values: dict[str, Any]) -> str:
    """``{"USDT": 50000}`` -> ``USDT=50000`` (comma separated)."""
    return ", ".join(f"{k}={fmt(v) if not isinstance(v, str) else v}" for k, v in sorted(values.items()))


def parse_money_map(text: str) -> dict[str, str]:
    """``USDT=50000, KRW=50000000`` -> ``{"USDT": "50000", "KRW": "50000000"}``; raises ``ValueError``."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        ccy, sep, amount = part.partition("=")
        if not sep or not ccy.strip() or not amount.strip():
            raise ValueError(f"write limits as CURRENCY=amount, got {part!r}")
        out[ccy.strip().upper()] = amount.strip()
    return out


def limits_text(limits: dict[str, Any]) -> str:
    parts = []
    for key, label in (("max_order_notional", "order"), ("max_position_notional", "position"),
                       ("daily_loss_limit", "daily loss")):
        if limits.get(key):
            parts.append(f"{label} {money_map_text(limits[key])}")
    if limits.get("max_open_orders"):
        parts.append(f"open orders {limits['max_open_orders']}")
    if limits.get("max_orders_per_second"):
        parts.append(f"{limits['max_orders_per_second']}/s")
    return "; ".join(parts) or "none"


class FormDialog(QDialog):
    """A small form: ``fields`` maps a label to its editor widget; OK/Cancel."""

    def __init__(self, title: str, fields: dict[str, QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        form = QFormLayout(self)
        for label, widget in fields.items():
            form.addRow(label, widget)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


def run_form(title: str, fields: dict[str, QWidget], parent: QWidget | None, read: Callable[[], Any]) -> Any:
    """Show a ``FormDialog`` modally; ``read()`` (which reads the editors) when OK is pressed, else None.

    The dialog is held here until ``read`` has run: a temporary ``FormDialog(...).exec()`` is deleted as soon as
    ``exec`` returns, and its editors with it (reading them then raises ``RuntimeError: ... already deleted``)."""
    dialog = FormDialog(title, fields, parent)
    try:
        return read() if dialog.exec() else None
    finally:
        dialog.deleteLater()


def buttons_row(parent: QWidget, *specs: tuple[str, str, Callable[[], Any]]) -> tuple[QHBoxLayout, dict[str, QPushButton]]:
    """A row of named push buttons calling ``slot()`` when clicked (stretch at the end)."""
    row = QHBoxLayout()
    out = {}
    for name, text, slot in specs:
        b = QPushButton(text, parent)
        b.setObjectName(name)
        b.clicked.connect(lambda _=False, s=slot: s())
        row.addWidget(b)
        out[name] = b
    row.addStretch(1)
    return row, out


def ask_new_group(parent: QWidget) -> tuple[str, str, str] | None:
    """(name, market type, description), or None when cancelled."""
    name, market, desc = QLineEdit(), QComboBox(), QLineEdit()
    market.addItems(["SPOT", "FUTURES", "STOCK"])
    name.setObjectName("group_name")
    desc.setObjectName("group_description")
    market.setObjectName("group_market")
    return run_form("New strategy group", {"Name": name, "Market": market, "Description": desc}, parent,
                    lambda: (name.text(), market.currentText(), desc.text()))


def ask_link(parent: QWidget, accounts: Iterable[Any], current: LinkRow | None) -> tuple[str, str, str, int] | None:
    """(account_id, weight, leverage, max_positions) for a new link or an edit of ``current``; None if cancelled."""
    account = QComboBox()
    for acc in accounts:
        account.addItem(acc.name, acc.account_id)
    if current is not None:
        account.setCurrentIndex(max(0, account.findData(current.account_id)))
        account.setEnabled(False)
    weight = QLineEdit(current.weight if current else "1")
    leverage = QLineEdit(current.leverage if current else "1")
    maxpos = QSpinBox()
    maxpos.setRange(1, 1000)
    maxpos.setValue(current.max_positions if current else DEFAULT_MAX_POSITIONS)
    maxpos.setToolTip("how many symbols this group may hold positions in at once on this account; a signal for "
                      "one more symbol is refused on this account (the others still trade)")
    fields = {"Account": account, "Weight (0-1)": weight, "Leverage": leverage, "Max positions": maxpos}
    for key, widget in zip(("link_account", "link_weight", "link_leverage", "link_max_positions"), fields.values()):
        widget.setObjectName(key)
    return run_form("Edit link" if current else "Link account", fields, parent,
                    lambda: (account.currentData(), weight.text(), leverage.text(), maxpos.value()))


MONEY_LIMITS = {"max_order_notional": "Max order notional", "max_position_notional": "Max position notional",
                "daily_loss_limit": "Daily loss limit"}
COUNT_LIMITS = {"max_open_orders": "Max open orders", "max_orders_per_second": "Max orders per second"}


def ask_limits(parent: QWidget, account_name: str, current: dict[str, Any]) -> dict[str, Any] | None:
    """The limits as ``RiskLimits.from_json`` reads them, or None if cancelled. Raises ``ValueError`` for
    text that is not ``CURRENCY=amount`` pairs or a whole number."""
    edits = {k: QLineEdit(money_map_text(current.get(k) or {})) for k in MONEY_LIMITS}
    counts = {k: QLineEdit(str(current.get(k) or "")) for k in COUNT_LIMITS}
    fields = {**{MONEY_LIMITS[k]: w for k, w in edits.items()}, **{COUNT_LIMITS[k]: w for k, w in counts.items()}}
    for key, widget in {**edits, **counts}.items():
        widget.setObjectName(key)

    def read() -> dict[str, Any]:
        data: dict[str, Any] = {k: parse_money_map(w.text()) for k, w in edits.items()}
        for k, w in counts.items():
            text = w.text().strip()
            if text and not text.isdigit():
                raise ValueError(f"{COUNT_LIMITS[k]} must be a whole number, got {text!r}")
            data[k] = int(text) if text else None
        return data

    return run_form(f"Risk limits of {account_name}", fields, parent, read)
