"""``weekly``: buy at the first bar of the week, exit at the week's last bar close, SL/TP in between."""

from __future__ import annotations

from datetime import time as dtime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from ..brokers.venues import VENUE_TIMEZONES
from ..core.errors import ConfigError
from .base import AT_CLOSE, AT_OPEN, BarData, Strategy, hit_gain, hit_loss
from .params import Param

# Exchange -> IANA time zone for the live schedule when ``timezone`` is "auto"; a live venue's own zone comes from
# its profile (``brokers/venues.py`` VENUE_TIMEZONES).
EXCHANGE_TIMEZONES = {
    "krx": "Asia/Seoul",
    "nyse": "America/New_York",
    "nasdaq": "America/New_York",
    "xnys": "America/New_York",
    "xnas": "America/New_York",
    "lse": "Europe/London",
    "tse": "Asia/Tokyo",
}


def venue_timezone(venue: str) -> str:
    """The IANA zone of a venue: a live venue's profile's, else an exchange's (``EXCHANGE_TIMEZONES``); crypto
    venues and unknown ones trade in UTC."""
    name = venue.lower()
    return VENUE_TIMEZONES.get(name) or EXCHANGE_TIMEZONES.get(name, "UTC")


def week_flags(time_ms: np.ndarray, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """``(first, last)`` booleans per bar: the bar is the first / last bar of its ISO week (Monday-Sunday)
    in time zone ``tz``. The last bar of the data counts as the last of its week.

    ``last`` is calendar knowledge (the next bar belongs to another week), not a price: the live strategy
    gets the same from its schedule. Raises ``ConfigError`` for an unknown zone.
    """
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {tz!r}") from None
    n = time_ms.shape[0]
    if n == 0:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    local = pd.DatetimeIndex(pd.to_datetime(time_ms, unit="ms", utc=True)).tz_convert(zone)
    days = (local.tz_localize(None).normalize().as_unit("ms").asi8 // 86_400_000).astype(np.int64)
    week = (days + 3) // 7  # 1970-01-01 was a Thursday: (days + 3) // 7 changes every Monday
    first = np.ones(n, dtype=bool)
    last = np.ones(n, dtype=bool)
    first[1:] = week[1:] != week[:-1]
    last[:-1] = week[:-1] != week[1:]
    return first, last


def _parse_hhmm(text: str, name: str) -> dtime:
    try:
        hh, mm = text.split(":")
        return dtime(int(hh), int(mm))
    except ValueError:
        raise ConfigError(f"parameter {name} must be HH:MM, got {text!r}") from None


class Weekly(Strategy):
    """Weekly holding: enter at the first bar of each week (Monday's open), exit at the week's last bar
    close (Friday's close); in between, a bar close at or below entry x (1 - stop_loss_pct/100) or at or
    above entry x (1 + take_profit_pct/100) exits at the next bar's open, and the strategy waits for the
    next week. Weeks are ISO weeks in ``timezone`` ("auto": the venue's zone live, UTC in a backtest).

    Backtest: the entry is a market order at the first bar's open, the exit a market-on-close order.
    Live: APScheduler runs :meth:`scheduled_entry` Mondays at ``entry_time`` and :meth:`scheduled_exit`
    Fridays at ``exit_time`` in the venue's time zone (:meth:`schedules`); bar closes check SL/TP.
    """

    name = "weekly"
    title = "Weekly (Monday to Friday)"
    description = "Buy at the week's first bar, exit at its last bar close, with stop-loss and take-profit."
    params = (
        Param("stop_loss_pct", float, 5.0, 0.0, 100.0, "stop-loss % below entry (0 = off)"),
        Param("take_profit_pct", float, 10.0, 0.0, 10_000.0, "take-profit % above entry (0 = off)"),
        Param("fraction", float, 1.0, 0.0001, 1.0, "fraction of available equity to buy", step=0.05),
        Param("timezone", str, "auto", help="IANA time zone of the week (auto = venue's, UTC in backtests)"),
        Param("entry_time", str, "09:00", help="live: Monday entry time HH:MM in that zone"),
        Param("exit_time", str, "15:50", help="live: Friday exit time HH:MM in that zone"),
    )

    def validate(self) -> None:
        _parse_hhmm(self.p.entry_time, "entry_time")
        _parse_hhmm(self.p.exit_time, "exit_time")
        if self.p.timezone != "auto":
            week_flags(np.zeros(0, dtype=np.int64), self.p.timezone)

    def zone(self, venue: str = "") -> str:
        """The zone the weeks are counted in: the ``timezone`` parameter, or the venue's when "auto"."""
        return self.p.timezone if self.p.timezone != "auto" else venue_timezone(venue)

    def indicators(self, data: BarData) -> dict[str, np.ndarray]:
        first, last = week_flags(data.time_ms, self.zone())
        return {"week_first": first, "week_last": last}

    def on_bar_open(self, i: int) -> None:
        if self.ind["week_first"][i] and self._ctx.position == 0:
            self.buy(fraction=self.p.fraction, at=AT_OPEN, tag="week_open")

    def on_bar(self, i: int) -> None:
        if self._ctx.position <= 0:
            return
        if self.ind["week_last"][i]:
            self.close(at=AT_CLOSE, tag="week_close")
            return
        self.check_exits(self.bars.close[i])

    def check_exits(self, price: float) -> None:
        """Close the position at the next opportunity when ``price`` hits the stop-loss or take-profit."""
        entry = self._ctx.avg_price
        if self.p.stop_loss_pct and hit_loss(price, entry, self.p.stop_loss_pct):
            self.close(tag="stop_loss")
        elif self.p.take_profit_pct and hit_gain(price, entry, self.p.take_profit_pct):
            self.close(tag="take_profit")

    # ---- live schedule ---------------------------------------------------------------------------------
    def schedules(self, venue: str = "") -> list[tuple[dict[str, object], str]]:
        """APScheduler cron fields and the method to call: Monday entry and Friday exit in the zone."""
        tz = self.zone(venue)
        entry = _parse_hhmm(self.p.entry_time, "entry_time")
        exit_ = _parse_hhmm(self.p.exit_time, "exit_time")
        return [
            ({"day_of_week": "mon", "hour": entry.hour, "minute": entry.minute, "timezone": tz}, "scheduled_entry"),
            ({"day_of_week": "fri", "hour": exit_.hour, "minute": exit_.minute, "timezone": tz}, "scheduled_exit"),
        ]

    def scheduled_entry(self) -> None:
        """Live Monday job: buy when flat."""
        if self._ctx.position == 0:
            self.buy(fraction=self.p.fraction, tag="week_open")

    def scheduled_exit(self) -> None:
        """Live Friday job: close the position."""
        if self._ctx.position != 0:
            self.close(tag="week_close")
