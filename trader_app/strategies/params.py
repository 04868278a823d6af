"""Declared strategy parameters: typed, bounded, documented.

A strategy lists its parameters as :class:`Param` objects; the same declarations drive the Backtest
window's form, the Strategies panel, the CLI (``--param fast=10``) and validation of stored parameters.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import ConfigError

_TRUE = {"1", "true", "yes", "on", "y"}
_FALSE = {"0", "false", "no", "off", "n"}


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a strategy.

    ``type`` is ``int``, ``float``, ``bool`` or ``str``; ``min``/``max`` bound numbers (inclusive);
    ``choices`` restricts strings; ``step`` is the UI spin-box step; ``help`` is shown as a tooltip and in
    ``--help``-style listings.
    """

    name: str
    type: type
    default: Any
    min: float | None = None
    max: float | None = None
    help: str = ""
    choices: tuple[str, ...] | None = None
    step: float | None = None

    def __post_init__(self) -> None:
        if self.type not in (int, float, bool, str):
            raise TypeError(f"param {self.name}: type must be int, float, bool or str, not {self.type!r}")
        # the default must itself be valid
        self.parse(self.default)

    def parse(self, value: Any) -> Any:
        """Convert ``value`` (a native value or the text of ``--param k=v``) to this parameter's type.

        Raises ``ConfigError`` naming the parameter for a wrong type, a value out of [min, max] or not one
        of ``choices``. Ints accept ``"10"`` and ``10.0`` but not ``10.5``; bools accept true/false, yes/no,
        on/off, 1/0.
        """
        name, t = self.name, self.type
        try:
            if t is bool:
                if isinstance(value, bool):
                    out: Any = value
                elif isinstance(value, (int, float)) and value in (0, 1):
                    out = bool(value)
                elif isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
                    out = value.strip().lower() in _TRUE
                else:
                    raise ValueError
            elif t is int:
                if isinstance(value, bool):
                    raise ValueError
                f = float(value.strip()) if isinstance(value, str) else float(value)
                if not math.isfinite(f) or f != int(f):
                    raise ValueError
                out = int(f)
            elif t is float:
                if isinstance(value, bool):
                    raise ValueError
                out = float(value.strip()) if isinstance(value, str) else float(value)
                if not math.isfinite(out):
                    raise ValueError
            else:
                if not isinstance(value, str):
                    raise ValueError
                out = value.strip()
        except (TypeError, ValueError):
            raise ConfigError(f"parameter {name} must be {t.__name__}, got {value!r}") from None
        if self.min is not None and out < self.min:
            raise ConfigError(f"parameter {name} must be >= {self.min:g}, got {out!r}")
        if self.max is not None and out > self.max:
            raise ConfigError(f"parameter {name} must be <= {self.max:g}, got {out!r}")
        if self.choices is not None and out not in self.choices:
            raise ConfigError(f"parameter {name} must be one of {', '.join(self.choices)}, got {out!r}")
        return out


@dataclass(slots=True)
class ParamValues:
    """Validated parameter values; read as attributes (``self.p.fast``) or with ``as_dict()``."""

    _values: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"no parameter {name!r}") from None

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)


def resolve_params(declared: Iterable[Param], given: Mapping[str, Any] | None) -> ParamValues:
    """Defaults overlaid with ``given`` values, each parsed by its :class:`Param`.

    Raises ``ConfigError`` for an unknown name (listing the known ones) or a bad value.
    """
    decl = {p.name: p for p in declared}
    values = {name: p.default for name, p in decl.items()}
    for key, raw in (given or {}).items():
        if key not in decl:
            known = ", ".join(decl) or "none"
            raise ConfigError(f"unknown parameter {key!r} (parameters: {known})")
        values[key] = decl[key].parse(raw)
    return ParamValues(values)


def parse_param_args(items: Iterable[str]) -> dict[str, str]:
    """``["fast=10", "long_only=true"]`` -> ``{"fast": "10", "long_only": "true"}`` (values still text).

    Raises ``ConfigError`` for an item without ``=`` or with an empty name.
    """
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param expects name=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out
