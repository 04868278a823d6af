"""``sma_cross``: golden cross long with all equity, death cross short with all of it (or flat)."""

from __future__ import annotations

import numpy as np

from ..core.errors import ConfigError
from .base import BarData, Strategy
from .indicators import crosses_above, crosses_below, sma
from .params import Param


class SmaCross(Strategy):
    """Simple-moving-average crossover.

    - ``fast`` SMA crosses above ``slow`` (``fast[i-1] <= slow[i-1]`` and ``fast[i] > slow[i]``, the golden
      cross) -> target a long position of all equity (``target_position(fraction=1.0)``).
    - ``fast`` crosses below ``slow`` (death cross) -> target a short of all equity, or, with
      ``long_only=true``, close the long and stay flat.
    A cross in the direction already held changes nothing. Orders fill at the next bar's open.
    Indicator ``cross`` per bar: +1 golden, -1 death, 0 none (precomputed, vectorised).
    """

    name = "sma_cross"
    title = "SMA cross"
    description = "Golden cross: long with all equity; death cross: short with all of it (or flat if long_only)."
    params = (
        Param("fast", int, 10, 2, 100_000, "fast SMA period (bars)"),
        Param("slow", int, 20, 2, 100_000, "slow SMA period (bars)"),
        Param("long_only", bool, False, help="on a death cross go flat instead of short"),
    )

    def validate(self) -> None:
        if self.p.fast >= self.p.slow:
            raise ConfigError(f"fast ({self.p.fast}) must be < slow ({self.p.slow})")

    def warmup(self) -> int:
        return self.p.slow + 1

    def indicators(self, data: BarData) -> dict[str, np.ndarray]:
        fast = sma(data.close, self.p.fast)
        slow = sma(data.close, self.p.slow)
        cross = crosses_above(fast, slow).astype(np.int8) - crosses_below(fast, slow).astype(np.int8)
        return {"fast": fast, "slow": slow, "cross": cross}

    def on_bar(self, i: int) -> None:
        x = self.ind["cross"][i]
        if not x:
            return
        pos = self._ctx.position
        if x > 0:
            if pos <= 0:
                self.target_position(fraction=1.0, tag="golden_cross")
        elif self.p.long_only:
            if pos > 0:
                self.close(tag="death_cross")
        elif pos >= 0:
            self.target_position(fraction=-1.0, tag="death_cross")
