"""Report periods and market calendars: when a day or a week ends, and when its report is due.

- crypto venues (and the paper venue): the day is the UTC calendar day, closing at 00:00 UTC; its report is
  due at 00:05 UTC;
- KRX (the account kinds ``brokers/venues.py`` VENUE_CALENDARS maps to "krx"): the day is the Asia/Seoul
  calendar day; the market closes at 15:30 KST (KRX regular session, https://global.krx.co.kr), so the
  day's report is due at 15:45 KST on weekdays.
- A week is the seven days ending with Friday's close: Saturday 00:00 to Saturday 00:00 in the market's time
  zone (for KRX the trading days Monday to Friday fall inside); its report is due 5 minutes after the daily
  one on Friday's close (crypto: Saturday 00:10 UTC, KRX: Friday 15:50 KST).

Times are epoch ms UTC; a period is ``[start_ms, end_ms)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..brokers.venues import VENUE_CALENDARS
from ..core.errors import ConfigError

PERIODS = ("daily", "weekly")


@dataclass(frozen=True, slots=True)
class MarketCalendar:
    """A market's report clock: its time zone, the local time its trading day ends (``close``), and the cron
    fields (APScheduler ``CronTrigger`` keywords) of its daily and weekly report jobs."""

    name: str
    timezone: str
    close: time
    daily_cron: dict[str, Any]
    weekly_cron: dict[str, Any]

    @property
    def zone(self) -> ZoneInfo:
        """The market's time zone (IANA database)."""
        return ZoneInfo(self.timezone)


CRYPTO = MarketCalendar("crypto", "UTC", time(0, 0),
                        {"hour": 0, "minute": 5, "timezone": "UTC"},
                        {"day_of_week": "sat", "hour": 0, "minute": 10, "timezone": "UTC"})
KRX = MarketCalendar("krx", "Asia/Seoul", time(15, 30),
                     {"day_of_week": "mon-fri", "hour": 15, "minute": 45, "timezone": "Asia/Seoul"},
                     {"day_of_week": "fri", "hour": 15, "minute": 50, "timezone": "Asia/Seoul"})
MARKETS = {m.name: m for m in (CRYPTO, KRX)}


def market_of_broker(broker: str, calendars: Mapping[str, str] | None = None) -> MarketCalendar:
    """The report calendar of an account kind: the one the venue registry declares for it
    (``brokers/venues.py`` VENUE_CALENDARS, or ``calendars`` when given), the crypto calendar for every other
    venue (paper and the crypto exchanges). Raises ``ConfigError`` for a declared calendar that does not exist."""
    name = (VENUE_CALENDARS if calendars is None else calendars).get(broker, CRYPTO.name)
    if name not in MARKETS:
        raise ConfigError(f"venue {broker!r} declares the calendar {name!r}: one of {', '.join(MARKETS)}")
    return MARKETS[name]


def _ms(day: date, market: MarketCalendar) -> int:
    return int(datetime.combine(day, time(0, 0), tzinfo=market.zone).timestamp() * 1000)


def period_bounds(period: str, day: date, market: MarketCalendar = CRYPTO) -> tuple[int, int]:
    """``(start_ms, end_ms)`` of the daily period of ``day`` or the weekly period (Saturday to Friday) that
    contains it, in the market's time zone. Raises ``ConfigError`` for an unknown period."""
    if period == "daily":
        return _ms(day, market), _ms(day + timedelta(days=1), market)
    if period == "weekly":
        saturday = day - timedelta(days=(day.weekday() - 5) % 7)
        return _ms(saturday, market), _ms(saturday + timedelta(days=7), market)
    raise ConfigError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")


def last_closed_day(period: str, now_ms: int, market: MarketCalendar = CRYPTO) -> date:
    """The ``day`` whose period (as :func:`period_bounds` takes it) closed most recently at ``now_ms``:
    yesterday for crypto days; for KRX today once 15:30 KST has passed, else the previous weekday; for weeks
    the Friday of the last week whose close has passed."""
    local = datetime.fromtimestamp(now_ms / 1000, tz=market.zone)
    today = local.date()
    closed_today = market.close != time(0, 0) and local.time() >= market.close
    day = today if closed_today else today - timedelta(days=1)
    if period == "daily":
        if market is KRX:
            while day.weekday() >= 5:
                day -= timedelta(days=1)
        return day
    if period == "weekly":
        return day - timedelta(days=(day.weekday() - 4) % 7)  # the last Friday on or before it
    raise ConfigError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")


def period_label(period: str, start_ms: int, end_ms: int, market: MarketCalendar = CRYPTO) -> str:
    """``daily 2026-12-04`` or ``weekly 2026-11-28 to 2026-12-04`` (local dates of the market)."""
    first = datetime.fromtimestamp(start_ms / 1000, tz=market.zone).date()
    last = datetime.fromtimestamp((end_ms - 1) / 1000, tz=market.zone).date()
    return f"{period} {first}" if first == last else f"{period} {first} to {last}"
