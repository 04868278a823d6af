"""``mean_reversion``: rolling z-score entries with stop-loss and take-profit."""

from __future__ import annotations

import math

import numpy as np

from .base import BarData, Strategy, hit_gain, hit_loss
from .indicators import rolling_zscore
from .params import Param


class MeanReversion(Strategy):
    """Mean reversion on a rolling z-score (long only).

    ``z_i = (close_i - mean(close over window)) / std(close over window, ddof=0)``.
    At a bar's close, when flat: ``z < -z_threshold`` -> buy ``fraction`` of available equity.
    When long, in this order: close <= entry x (1 - stop_loss_pct/100) -> stop-loss exit;
    close >= entry x (1 + take_profit_pct/100) -> take-profit exit; ``z > +z_threshold`` -> exit.
    ``entry`` is the position's average price; 0 disables a percentage. Orders fill at the next open.
    """

    name = "mean_reversion"
    title = "Mean reversion (z-score)"
    description = "Buy below -z, sell above +z over a rolling window, with stop-loss and take-profit."
    params = (
        Param("window", int, 20, 2, 100_000, "rolling window (bars)"),
        Param("z_threshold", float, 2.0, 0.0, 100.0, "entry/exit z-score threshold", step=0.1),
        Param("stop_loss_pct", float, 5.0, 0.0, 100.0, "exit when the close falls this % below entry (0 = off)"),
        Param("take_profit_pct", float, 11.0, 0.0, 10_000.0, "exit when the close rises this % above entry (0 = off)"),
        Param("fraction", float, 1.0, 0.0001, 1.0, "fraction of available equity per entry", step=0.05),
    )

    def warmup(self) -> int:
        return self.p.window

    def indicators(self, data: BarData) -> dict[str, np.ndarray]:
        return {"z": rolling_zscore(data.close, self.p.window)}

    def on_bar(self, i: int) -> None:
        z = self.ind["z"][i]
        if math.isnan(z):
            return
        pos = self._ctx.position
        zt = self.p.z_threshold
        if pos > 0:
            close = self.bars.close[i]
            entry = self._ctx.avg_price
            sl, tp = self.p.stop_loss_pct, self.p.take_profit_pct
            if sl and hit_loss(close, entry, sl):
                self.close(tag="stop_loss")
            elif tp and hit_gain(close, entry, tp):
                self.close(tag="take_profit")
            elif z > zt:
                self.close(tag="z_exit")
        elif pos == 0 and z < -zt:
            self.buy(fraction=self.p.fraction, tag="z_entry")
