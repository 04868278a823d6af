"""The New / Edit dialog of live strategy instances (``strategy_instances.py``); its parameter form is
``trader_app.ui.param_editors.ParamEditors``.

``InstanceDialog`` validates on OK before anything reaches the runner: a name (not taken), a strategy group,
at least one symbol, and the parameters as the strategy itself checks them (``registry.create``: types,
ranges, cross-parameter rules such as ``fast < slow``). A refusal is shown in the dialog, which stays open.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox,
    QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget,
)

from ...core.enums import Interval
from ...core.errors import ConfigError
from ...strategies.registry import available, create, strategy_class
from .. import theme
from ..param_editors import ParamEditors

SYMBOL_ROWS = 8
class InstanceDialog(QDialog):
    """New (``current`` None) or Edit parameters (``current`` = the instance's row) of a live strategy instance.

    ``groups``: strategy group names; ``symbols``: tradable symbols; ``taken``: instance names in use.
    After OK, ``answer()`` is ``{"name", "strategy", "group_name", "symbols", "interval", "params"}``.
    """

    def __init__(self, groups: Sequence[str], symbols: Sequence[str], taken: Iterable[str] = (),
                 current: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editing = current is not None
        self.taken = set(taken)
        self.setWindowTitle(f"Parameters of {current.name}" if self.editing else "New live strategy")
        self.setObjectName("instanceDialog")
        self.setMinimumWidth(420)
        self.name_edit = QLineEdit(current.name if self.editing else "", self)
        self.name_edit.setObjectName("instanceName")
        self.name_edit.setPlaceholderText("e.g. btc-sma")
        self.strategy_box = QComboBox(self)
        self.strategy_box.setObjectName("instanceStrategy")
        for name in available():
            cls = strategy_class(name)
            self.strategy_box.addItem(f"{name} \u2014 {cls.title}" if cls.title else name, name)
            self.strategy_box.setItemData(self.strategy_box.count() - 1, cls.description, Qt.ItemDataRole.ToolTipRole)
        self.group_box = QComboBox(self)
        self.group_box.setObjectName("instanceGroup")
        self.group_box.addItems(list(groups))
        self.symbol_list = QListWidget(self)
        self.symbol_list.setObjectName("instanceSymbols")
        self.symbol_list.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)  # a click toggles
        self.symbol_list.setToolTip("click symbols to select or deselect them; the instance trades each one")
        chosen = set(current.symbols) if self.editing else set()
        for sym in list(symbols) + [s for s in sorted(chosen) if s not in symbols]:
            QListWidgetItem(sym, self.symbol_list).setSelected(sym in chosen)
        rows = max(1, min(self.symbol_list.count(), SYMBOL_ROWS))  # every symbol visible up to 8, then a scroll bar
        self.symbol_list.setFixedHeight(rows * max(18, self.symbol_list.sizeHintForRow(0)) + 2 * self.symbol_list.frameWidth() + 4)
        self.interval_box = QComboBox(self)
        self.interval_box.setObjectName("instanceInterval")
        self.interval_box.addItems([i.value for i in Interval])
        if self.editing:
            self.strategy_box.setCurrentIndex(max(0, self.strategy_box.findData(current.strategy)))
            self.group_box.setCurrentText(current.group_name)
            self.interval_box.setCurrentText(current.interval)
            for w in (self.name_edit, self.strategy_box, self.group_box, self.symbol_list, self.interval_box):
                w.setEnabled(False)  # the runner changes only a stopped instance's parameters
        self.params_group = QGroupBox("Parameters", self)
        self.params_layout = QVBoxLayout(self.params_group)
        self.params_form: ParamEditors = ParamEditors((), parent=self.params_group)
        self.params_layout.addWidget(self.params_form)
        self.description = QLabel("", self)
        self.description.setWordWrap(True)
        self.description.setStyleSheet(f"color: {theme.MUTED};")
        self.error_label = QLabel("", self)
        self.error_label.setObjectName("instanceError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {theme.DOWN};")
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Strategy", self.strategy_box)
        form.addRow("Group", self.group_box)
        form.addRow("Symbols", self.symbol_list)
        form.addRow("Bar interval", self.interval_box)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.description)
        layout.addWidget(self.params_group)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self._answer: dict[str, Any] | None = None
        self._show_params(current.params if self.editing else None)
        self.strategy_box.currentIndexChanged.connect(lambda _i: self._show_params(None))

    def strategy(self) -> str:
        return str(self.strategy_box.currentData())

    def _show_params(self, values: dict[str, Any] | None) -> None:
        cls = strategy_class(self.strategy())
        self.description.setText(cls.description)
        self.params_layout.removeWidget(self.params_form)
        self.params_form.deleteLater()
        self.params_form = ParamEditors(cls.params, values, self.params_group)
        self.params_layout.addWidget(self.params_form)
        self.error_label.setText("")

    def checked_symbols(self) -> list[str]:
        """The selected symbols, in list order."""
        items = (self.symbol_list.item(i) for i in range(self.symbol_list.count()))
        return [it.text() for it in items if it.isSelected()]

    def set_symbols(self, symbols: Iterable[str]) -> None:
        """Select exactly ``symbols`` (unknown ones ignored)."""
        wanted = set(symbols)
        for i in range(self.symbol_list.count()):
            it = self.symbol_list.item(i)
            it.setSelected(it.text() in wanted)

    def validate(self) -> dict[str, Any]:
        """The answer, or ``ConfigError`` naming the first problem (nothing is sent to the runner)."""
        name = self.name_edit.text().strip()
        if not name:
            raise ConfigError("give the strategy instance a name")
        if not self.editing and name in self.taken:
            raise ConfigError(f"a strategy instance named {name!r} exists already")
        group = self.group_box.currentText()
        if not group:
            raise ConfigError("create a strategy group first (Groups tab): an instance trades its linked accounts")
        symbols = self.checked_symbols()
        if not symbols:
            raise ConfigError("select at least one symbol")
        params = create(self.strategy(), self.params_form.values()).p.as_dict()
        return {"name": name, "strategy": self.strategy(), "group_name": group, "symbols": symbols,
                "interval": Interval(self.interval_box.currentText()), "params": params}

    def accept(self) -> None:  # noqa: D401 - Qt slot
        """OK: close only when the input is valid; otherwise show why and stay open."""
        try:
            self._answer = self.validate()
        except ConfigError as exc:
            self.error_label.setText(str(exc))
            return
        super().accept()

    def answer(self) -> dict[str, Any]:
        """What OK accepted (``validate()``'s result). Raises ``RuntimeError`` before a valid OK."""
        if self._answer is None:
            raise RuntimeError("the dialog has not been accepted")
        return self._answer
