"""Strategies: the ``Strategy`` base class, declared parameters, indicator helpers, the built-ins
(``rsi_macd``, ``mean_reversion``, ``sma_cross``, ``weekly``) and the live runner (``strategies.runner``).
"""

from .base import AT_CLOSE, AT_NEXT_OPEN, AT_OPEN, BarData, FillInfo, OrderIntent, Strategy, StrategyContext
from .mean_reversion import MeanReversion
from .params import Param, ParamValues, parse_param_args, resolve_params
from .registry import STRATEGIES, available, create, register, strategy_class
from .rsi_macd import RsiMacd
from .sma_cross import SmaCross
from .weekly import Weekly

__all__ = [name for name in dir() if not name.startswith("_")]
