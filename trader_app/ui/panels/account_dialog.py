"""The "Connect account" dialog, built from the venues' declared settings schemas (``VenueSpec.fields`` in
``brokers/base.py``), as vn.py builds its connect form from a gateway's ``default_setting``.

One form per venue: name, mode (the venue's modes), then one row per field: secrets as password fields (they go
to the OS keyring through the account service, never to settings), choices as combo boxes, advanced fields
(base URLs) under "Advanced". ``values()`` returns what ``AccountService.create_account`` takes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ...brokers.base import BrokerRegistry, SettingField, VenueSpec
from ...secrets import unsafe_backend_problem
from .common import accept_if_valid


class AccountDialog(QDialog):
    """Asks for a venue, a mode, a name and the venue's fields. ``values()`` ->
    ``(venue, mode, name, settings, credentials)``; raises ``ValueError`` naming a missing required field."""

    def __init__(self, registry: BrokerRegistry, parent: QWidget | None = None,
                 secret_problem: Callable[[], str | None] = unsafe_backend_problem) -> None:
        super().__init__(parent)
        self.secret_problem = secret_problem  # why secrets cannot be stored here (None: they can)
        self.setWindowTitle("Connect account")
        self.registry = registry
        self.setMinimumWidth(420)
        outer = QVBoxLayout(self)
        top = QFormLayout()
        self.venue = QComboBox(self)
        for name in registry.names():
            self.venue.addItem(registry.spec(name).label, name)
        self.mode = QComboBox(self)
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("a name you will recognise, e.g. Binance main")
        top.addRow("Venue", self.venue)
        top.addRow("Mode", self.mode)
        top.addRow("Name", self.name)
        outer.addLayout(top)
        self.fields_box = QGroupBox("Settings", self)
        self.fields_form = QFormLayout(self.fields_box)
        self.advanced_box = QGroupBox("Advanced", self)
        self.advanced_form = QFormLayout(self.advanced_box)
        outer.addWidget(self.fields_box)
        outer.addWidget(self.advanced_box)
        note = QLabel("Secrets (API keys) are kept only in the OS keyring, never in the app's files.", self)
        note.setWordWrap(True)
        outer.addWidget(note)
        self.error = QLabel("", self)
        self.error.setWordWrap(True)
        outer.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        outer.addWidget(buttons)
        self.editors: dict[str, QLineEdit | QComboBox] = {}
        self.venue.currentIndexChanged.connect(self._venue_changed)
        self._venue_changed()

    def spec(self) -> VenueSpec:
        return self.registry.spec(self.venue.currentData())

    def _venue_changed(self) -> None:
        spec = self.spec()
        self.mode.clear()
        for mode in spec.modes:
            self.mode.addItem(mode.value, mode.value)
        for form in (self.fields_form, self.advanced_form):
            while form.rowCount():
                form.removeRow(0)
        self.editors = {}
        for f in spec.fields:
            editor = self._editor(f)
            self.editors[f.name] = editor
            (self.advanced_form if f.advanced else self.fields_form).addRow(f.label + (" *" if f.required else ""),
                                                                             editor)
        self.fields_box.setVisible(any(not f.advanced for f in spec.fields))
        self.advanced_box.setVisible(any(f.advanced for f in spec.fields))

    def _editor(self, f: SettingField) -> QLineEdit | QComboBox:
        if f.kind == "choice":
            box = QComboBox(self)
            box.addItems(list(f.choices))
            if f.default:
                box.setCurrentText(f.default)
            box.setToolTip(f.help)
            return box
        line = QLineEdit(self)
        if f.secret:
            line.setEchoMode(QLineEdit.EchoMode.Password)
        line.setPlaceholderText(f.default or f.help)
        line.setToolTip(f.help)
        return line

    def values(self) -> tuple[str, str, str, dict[str, str], dict[str, str]]:
        """``(venue, mode, name, settings, credentials)``; empty fields are left out (defaults apply)."""
        spec = self.spec()
        name = self.name.text().strip()
        if not name:
            raise ValueError("name is required")
        settings: dict[str, str] = {}
        credentials: dict[str, str] = {}
        for f in spec.fields:
            editor = self.editors[f.name]
            text = editor.currentText() if isinstance(editor, QComboBox) else editor.text().strip()
            if not text:
                if f.required:
                    raise ValueError(f"{f.label} is required")
                continue
            (credentials if f.secret else settings)[f.name] = text
        return spec.name, self.mode.currentData(), name, settings, credentials

    def _accept(self) -> None:
        """OK: the values must parse, and typed secrets must have somewhere safe to go. Without a usable OS
        keyring the dialog stays open with every typed field kept and the reason shown (they would be lost)."""
        try:
            *_, credentials = self.values()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        problem = self.secret_problem() if credentials else None
        if problem:
            self.error.setText(f"Cannot save the keys: {problem}")
            return
        accept_if_valid(self)


def create_from_dialog(accounts: Any, dialog: AccountDialog) -> Any:
    """The coroutine that creates the account the dialog describes (``AccountService.create_account``)."""
    venue, mode, name, settings, credentials = dialog.values()
    return accounts.create_account(venue, mode, name, settings, credentials)
