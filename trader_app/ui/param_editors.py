"""A form of editors for a strategy's declared parameters, shared by the live-strategy dialog and the
Backtest window.

``ParamEditors`` builds one editor per declared :class:`~trader_app.strategies.params.Param`: a spin box for
``int`` (range = the Param's min/max), a double spin box for ``float`` (range, step and decimals from the
Param), a check box for ``bool``, a combo box for ``str`` with ``choices``, a line edit for other text. The
Param's ``help`` (and its range) is the editor's tooltip; the editors start at the defaults or the given values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QLineEdit, QSpinBox, QWidget

from ..strategies.params import Param
from . import theme

INT_BOUND = 2**31 - 1   # QSpinBox holds a C int
FLOAT_BOUND = 1e12
# the dark theme draws an unchecked box almost black on black: give it a visible border, fill it when checked
CHECKBOX_STYLE = (f"QCheckBox::indicator {{ width: 12px; height: 12px; border: 1px solid {theme.MUTED}; "
                  f"border-radius: 2px; background: transparent; }} "
                  f"QCheckBox::indicator:checked {{ background: {theme.ACCENT}; border-color: {theme.ACCENT}; }}")
EDITOR_MIN_WIDTH = 140


def _decimals(*values: float | None) -> int:
    """Decimals a float editor needs to show every one of ``values`` exactly (2 to 8)."""
    out = 2
    for v in values:
        if v is None or not math.isfinite(v):
            continue
        d = 0
        while d < 8 and abs(v * 10**d - round(v * 10**d)) > 1e-9:
            d += 1
        out = max(out, d)
    return out


def param_tooltip(p: Param) -> str:
    """``help`` plus the allowed range / choices and the default, e.g. ``fast SMA period (bars)\\n2 … 100000;
    default 10``."""
    parts = []
    if p.min is not None or p.max is not None:
        lo = "" if p.min is None else f"{p.min:g}"
        hi = "" if p.max is None else f"{p.max:g}"
        parts.append(f"{lo} \u2026 {hi}".strip())
    if p.choices:
        parts.append("one of " + ", ".join(p.choices))
    parts.append(f"default {p.default}")
    return "\n".join(x for x in (p.help, "; ".join(parts)) if x)


class ParamEditors(QWidget):
    """Editors for ``params`` (declared Params) in a form; ``values()`` -> ``{name: native value}``."""

    def __init__(self, params: Sequence[Param], values: dict[str, Any] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.params = tuple(params)
        self.editors: dict[str, QWidget] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        for p in self.params:
            editor = self._editor(p)
            editor.setObjectName(f"param_{p.name}")
            editor.setToolTip(param_tooltip(p))
            editor.setMinimumWidth(EDITOR_MIN_WIDTH)
            label = QLabel(p.name, self)
            label.setToolTip(editor.toolTip())
            self.editors[p.name] = editor
            form.addRow(label, editor)
        if not self.params:
            form.addRow(QLabel("This strategy has no parameters.", self))
        self.set_values(values or {})

    def _editor(self, p: Param) -> QWidget:
        if p.type is bool:
            box = QCheckBox(self)
            box.setStyleSheet(CHECKBOX_STYLE)
            box.setChecked(bool(p.default))
            return box
        if p.choices:
            combo = QComboBox(self)
            combo.addItems(list(p.choices))
            combo.setCurrentText(str(p.default))
            return combo
        if p.type is int:
            spin = QSpinBox(self)
            spin.setRange(max(-INT_BOUND, int(p.min)) if p.min is not None else -INT_BOUND,
                          min(INT_BOUND, int(p.max)) if p.max is not None else INT_BOUND)
            spin.setSingleStep(max(1, int(p.step or 1)))
            spin.setValue(int(p.default))
            return spin
        if p.type is float:
            dspin = QDoubleSpinBox(self)
            dspin.setDecimals(_decimals(p.default, p.min, p.max, p.step))
            dspin.setRange(p.min if p.min is not None else -FLOAT_BOUND, p.max if p.max is not None else FLOAT_BOUND)
            dspin.setSingleStep(p.step or (1.0 if abs(float(p.default)) >= 10 else 0.1))
            dspin.setValue(float(p.default))
            return dspin
        return QLineEdit(str(p.default), self)

    def values(self) -> dict[str, Any]:
        """The editors' values as native Python values (text for free ``str`` params)."""
        out: dict[str, Any] = {}
        for p in self.params:
            w = self.editors[p.name]
            if isinstance(w, QCheckBox):
                out[p.name] = w.isChecked()
            elif isinstance(w, QComboBox):
                out[p.name] = w.currentText()
            elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
                out[p.name] = w.value()
            elif isinstance(w, QLineEdit):
                out[p.name] = w.text()
        return out

    def set_values(self, values: dict[str, Any]) -> None:
        """Put ``values`` (by param name; unknown names ignored) into the editors."""
        for name, v in values.items():
            w = self.editors.get(name)
            if isinstance(w, QCheckBox):
                w.setChecked(bool(v))
            elif isinstance(w, QComboBox):
                w.setCurrentText(str(v))
            elif isinstance(w, QSpinBox):
                w.setValue(int(v))
            elif isinstance(w, QDoubleSpinBox):
                w.setValue(float(v))
            elif isinstance(w, QLineEdit):
                w.setText(str(v))
