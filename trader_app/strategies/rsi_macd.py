"""``rsi_macd``: the KIS trader's RSI/MACD rules with amount per buy, trailing stop, stop-loss, take-profit."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.errors import ConfigError
from .base import BarData, FillInfo, Strategy, hit_gain, hit_loss
from .indicators import CONDITIONS, condition, macd, rsi
from .params import Param

_CHOICES = CONDITIONS + ("off",)


class RsiMacd(Strategy):
    """Buy when the MACD condition (MACD line vs signal line) and the RSI condition (RSI vs a level) both
    hold; sell on the sell conditions or an exit rule. Each condition is one of ``crosses_above``,
    ``crosses_below``, ``above``, ``below`` (``off`` = not used); crosses follow TradingView's
    ``ta.crossover``/``ta.crossunder`` (previous bar at or below/above, this bar strictly beyond).

    Per bar close, when long (entry = average price, high = highest bar high since entry):
    1. stop-loss: close <= entry x (1 - stop_loss_pct/100)
    2. take-profit: close >= entry x (1 + take_profit_pct/100)
    3. trailing stop: once high >= entry x (1 + trail_activation_pct/100), exit when
       close <= high x (1 - trail_pct/100)
    4. sell conditions -> exit.
    Otherwise, when the buy conditions hold and fewer than ``max_buys`` buys make up the position: buy
    ``buy_amount`` of quote currency (0 = all available equity). A percentage of 0 turns its rule off.
    Exits and buys fill at the next bar's open. Persistent state: ``trail_high``, ``buys``.
    """

    name = "rsi_macd"
    title = "RSI / MACD"
    description = "RSI and MACD conditions (crosses above/below, above, below) with trailing stop, stop-loss, take-profit."
    params = (
        Param("rsi_period", int, 14, 2, 1000, "RSI period (bars)"),
        Param("macd_fast", int, 12, 2, 1000, "MACD fast EMA period"),
        Param("macd_slow", int, 26, 2, 1000, "MACD slow EMA period"),
        Param("macd_signal", int, 9, 1, 1000, "MACD signal EMA period"),
        Param("buy_macd", str, "crosses_above", help="MACD line vs signal line to buy", choices=_CHOICES),
        Param("buy_rsi", str, "below", help="RSI vs buy_rsi_level to buy", choices=_CHOICES),
        Param("buy_rsi_level", float, 50.0, 0.0, 100.0, "RSI level of the buy condition"),
        Param("sell_macd", str, "crosses_below", help="MACD line vs signal line to sell", choices=_CHOICES),
        Param("sell_rsi", str, "above", help="RSI vs sell_rsi_level to sell", choices=_CHOICES),
        Param("sell_rsi_level", float, 50.0, 0.0, 100.0, "RSI level of the sell condition"),
        Param("buy_amount", float, 0.0, 0.0, None, "quote currency per buy (0 = all available equity)"),
        Param("max_buys", int, 1, 1, 100, "buys that may add up to one position"),
        Param("stop_loss_pct", float, 5.0, 0.0, 100.0, "stop-loss % below entry (0 = off)"),
        Param("take_profit_pct", float, 10.0, 0.0, 10_000.0, "take-profit % above entry (0 = off)"),
        Param("trail_activation_pct", float, 3.0, 0.0, 10_000.0, "profit % of the high that arms the trailing stop"),
        Param("trail_pct", float, 1.5, 0.0, 100.0, "trailing stop distance % below the high (0 = off)"),
    )
    state_fields = ("trail_high", "buys")

    def __init__(self, params: Any = None, /, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        self.trail_high: float | None = None
        self.buys = 0

    def validate(self) -> None:
        if self.p.macd_fast >= self.p.macd_slow:
            raise ConfigError(f"macd_fast ({self.p.macd_fast}) must be < macd_slow ({self.p.macd_slow})")
        if self.p.buy_macd == "off" and self.p.buy_rsi == "off":
            raise ConfigError("at least one buy condition must be on")

    def warmup(self) -> int:
        return max(self.p.rsi_period + 1, self.p.macd_slow + self.p.macd_signal)

    def indicators(self, data: BarData) -> dict[str, np.ndarray]:
        r = rsi(data.close, self.p.rsi_period)
        m, s, _ = macd(data.close, self.p.macd_fast, self.p.macd_slow, self.p.macd_signal)
        return self.rules(r, m, s)

    def rules(self, r: np.ndarray, m: np.ndarray, s: np.ndarray) -> dict[str, np.ndarray]:
        """The buy and sell condition arrays from RSI ``r``, MACD line ``m`` and signal line ``s``."""
        p = self.p
        buy = condition(p.buy_macd, m, s) & condition(p.buy_rsi, r, p.buy_rsi_level)
        sell = condition(p.sell_macd, m, s) & condition(p.sell_rsi, r, p.sell_rsi_level)
        if p.sell_macd == "off" and p.sell_rsi == "off":
            sell = np.zeros_like(sell)
        return {"rsi": r, "macd": m, "macd_signal": s, "buy": buy, "sell": sell}

    def trailing_state(self) -> dict[str, Any]:
        """For the watchlist: ``{"trail_high", "trail_stop", "armed"}`` (None values when flat)."""
        entry = self._ctx.avg_price
        if self._ctx.position <= 0 or self.trail_high is None or not self.p.trail_pct:
            return {"trail_high": None, "trail_stop": None, "armed": False}
        armed = hit_gain(self.trail_high, entry, self.p.trail_activation_pct)
        return {"trail_high": self.trail_high, "trail_stop": self.trail_high * (1 - self.p.trail_pct / 100), "armed": armed}

    def on_fill(self, fill: FillInfo) -> None:
        if self._ctx.position > 0 and self.trail_high is None:
            self.trail_high = fill.price

    def on_bar(self, i: int) -> None:
        p = self.p
        pos = self._ctx.position
        if pos > 0:
            close = self.bars.close[i]
            high = self.bars.high[i]
            entry = self._ctx.avg_price
            self.trail_high = high if self.trail_high is None else max(self.trail_high, high)
            if p.stop_loss_pct and hit_loss(close, entry, p.stop_loss_pct):
                self.close(tag="stop_loss")
                return
            if p.take_profit_pct and hit_gain(close, entry, p.take_profit_pct):
                self.close(tag="take_profit")
                return
            if (p.trail_pct and hit_gain(self.trail_high, entry, p.trail_activation_pct)
                    and hit_loss(close, self.trail_high, p.trail_pct)):
                self.close(tag="trailing_stop")
                return
            if self.ind["sell"][i]:
                self.close(tag="sell_signal")
                return
        elif pos == 0:
            self.trail_high = None
            self.buys = 0
        if pos >= 0 and self.buys < p.max_buys and self.ind["buy"][i]:
            if p.buy_amount > 0:
                self.buy(value=p.buy_amount, tag="buy_signal")
            else:
                self.buy(fraction=1.0, tag="buy_signal")
            self.buys += 1
