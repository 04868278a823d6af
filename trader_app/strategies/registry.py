"""The built-in strategies by name, and construction from text parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core.errors import ConfigError
from .base import Strategy
from .mean_reversion import MeanReversion
from .rsi_macd import RsiMacd
from .sma_cross import SmaCross
from .weekly import Weekly

STRATEGIES: dict[str, type[Strategy]] = {cls.name: cls for cls in (RsiMacd, MeanReversion, SmaCross, Weekly)}


def available() -> list[str]:
    """Names of the registered strategies, sorted."""
    return sorted(STRATEGIES)


def strategy_class(name: str) -> type[Strategy]:
    """The class registered as ``name``. Raises ``ConfigError`` listing the known names."""
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ConfigError(f"unknown strategy {name!r} (strategies: {', '.join(available())})") from None


def create(name: str, params: Mapping[str, Any] | None = None) -> Strategy:
    """A new instance of strategy ``name`` with ``params`` (native values or text, parsed per ``Param``).
    Raises ``ConfigError`` for an unknown strategy or parameter, or a bad value."""
    return strategy_class(name)(dict(params or {}))


def register(cls: type[Strategy]) -> type[Strategy]:
    """Add a strategy class (usable as a decorator). Raises ``ConfigError`` for a missing or taken name."""
    if not cls.name:
        raise ConfigError(f"{cls.__name__} has no name")
    if cls.name in STRATEGIES and STRATEGIES[cls.name] is not cls:
        raise ConfigError(f"a strategy named {cls.name!r} exists already")
    STRATEGIES[cls.name] = cls
    return cls
