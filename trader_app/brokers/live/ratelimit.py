"""Rate-limit budgets as the venue counts them: request weight per IP (shared by every account of the venue on
this machine, which is our normal case) and order counts per account.

A venue declares its limits (Binance: ``GET /api/v3/exchangeInfo`` ``rateLimits``, e.g. REQUEST_WEIGHT 6000 per
1 MINUTE, ORDERS 10 per 1 SECOND; https://developers.binance.com/docs/binance-spot-api-docs/rest-api/limits).
Each limit is a fixed window aligned to the clock (a minute window starts at :00), as the venue counts it. A
request first ``acquire``s its weight: when a window would overflow, it waits for the next window (up to
``max_wait_s``) or fails with ``RateLimited`` without sending anything. Every answer's usage headers
(``X-MBX-USED-WEIGHT-1M``, ``X-MBX-ORDER-COUNT-10S``) are read back with ``observe``: the venue's count wins
when it is higher (another process on the same IP). A 429 pauses the budget for the ``Retry-After``
seconds (``pause``); a 418 bans it (``ban``) until the time the venue gives: every request of every account
on this budget then fails at once with ``VenueBanned`` until it lifts, and ``ban_listeners`` are told (the
adapters report BANNED on their connection, which the Accounts panel shows).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ...core.errors import RateLimited, VenueBanned
from ...core.ids import now_ms

_UNIT_MS = {"S": 1000, "M": 60_000, "H": 3_600_000, "D": 86_400_000}
_INTERVAL_MS = {"SECOND": 1000, "MINUTE": 60_000, "HOUR": 3_600_000, "DAY": 86_400_000}
_HEADER = re.compile(r"^(\d+)([smhd])$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """One limit: at most ``limit`` units of ``kind`` (REQUEST_WEIGHT, ORDERS, RAW_REQUESTS) per window of
    ``interval_ms``."""

    kind: str
    interval_ms: int
    limit: int

    @classmethod
    def from_binance(cls, entry: Mapping[str, object]) -> "RateLimit":
        """From one ``exchangeInfo.rateLimits`` entry ``{"rateLimitType", "interval", "intervalNum", "limit"}``.
        Raises ValueError for an unknown interval."""
        interval = str(entry["interval"]).upper()
        if interval not in _INTERVAL_MS:
            raise ValueError(f"unknown rate-limit interval {interval!r}")
        return cls(str(entry["rateLimitType"]), _INTERVAL_MS[interval] * int(entry["intervalNum"]),  # type: ignore[arg-type]
                   int(entry["limit"]))  # type: ignore[arg-type]


def header_interval_ms(suffix: str) -> int | None:
    """The window of a usage header's suffix (``1m`` -> 60000, ``10s`` -> 10000); None if malformed."""
    m = _HEADER.match(suffix)
    return int(m.group(1)) * _UNIT_MS[m.group(2).upper()] if m else None


class RateBudget:
    """The budget of one kind of unit (``kind``) under ``limits`` for one scope (``name``: "binance api.binance.com"
    or an account). ``clock_ms``: epoch ms; ``max_wait_s``: longest ``acquire`` waits for a window to roll over;
    ``headroom``: fraction of each limit kept free for other processes and for the venue's own rounding."""

    def __init__(self, name: str, kind: str, limits: Iterable[RateLimit] = (), *, clock_ms: Callable[[], int] = now_ms,
                 max_wait_s: float = 5.0, headroom: float = 0.05, order_reserve: float = 0.3) -> None:
        self.name = name
        self.kind = kind
        self.clock_ms = clock_ms
        self.max_wait_s = max_wait_s
        self.headroom = headroom
        # orders go first: reads (reconciliation, balances, history) never use the last ``order_reserve`` of a
        # window, so a 30 s reconcile of 1,000 accounts cannot leave a signal's orders without weight
        self.order_reserve = order_reserve
        self._limits: list[RateLimit] = []
        self._used: dict[int, tuple[int, int]] = {}  # interval_ms -> (window start, units used)
        self.paused_until_ms = 0
        self.banned_until_ms = 0
        self.ban_listeners: list[Callable[[int], None]] = []
        self.waited_s = 0.0  # total time acquire() spent waiting for a window
        self.spent = {"reads": 0, "orders": 0}  # units acquire() counted, by kind (benches, status)
        self.set_limits(limits)

    def set_limits(self, limits: Iterable[RateLimit]) -> None:
        """Use the venue's declared ``limits`` (those of this budget's ``kind``)."""
        self._limits = [lim for lim in limits if lim.kind == self.kind]

    @property
    def limits(self) -> list[RateLimit]:
        return list(self._limits)

    def used(self, interval_ms: int) -> int:
        """Units used in the current window of ``interval_ms``."""
        start, used = self._used.get(interval_ms, (0, 0))
        return used if start == self._start(interval_ms) else 0

    def _start(self, interval_ms: int) -> int:
        now = self.clock_ms()
        return now - now % interval_ms

    def wait_s(self, units: int = 1, *, order: bool = False) -> float:
        """Seconds until ``units`` fit in every window (0 = now): an order may use the whole limit (less the
        headroom), a read all but the ``order_reserve``. Raises VenueBanned while banned."""
        now = self.clock_ms()
        if now < self.banned_until_ms:
            raise VenueBanned(self.name, self.banned_until_ms, (self.banned_until_ms - now) / 1000)
        wait_ms = max(0, self.paused_until_ms - now)
        share = 1 - self.headroom if order else (1 - self.headroom) * (1 - self.order_reserve)
        for lim in self._limits:
            cap = max(1, int(lim.limit * share))
            if self.used(lim.interval_ms) + units > cap:
                wait_ms = max(wait_ms, lim.interval_ms - now % lim.interval_ms)
        return wait_ms / 1000

    def take(self, units: int = 1) -> None:
        """Count ``units`` as used now in every window."""
        for lim in self._limits:
            start = self._start(lim.interval_ms)
            self._used[lim.interval_ms] = (start, self.used(lim.interval_ms) + units)

    async def acquire(self, units: int = 1, *, order: bool = False) -> None:
        """Wait until ``units`` fit (at most ``max_wait_s``), then count them; ``order``: an order placement,
        which may use the reserve reads leave (see ``order_reserve``). Raises ``VenueBanned`` while banned,
        ``RateLimited`` (nothing counted, nothing to send) when the wait would be longer."""
        while True:
            wait = self.wait_s(units, order=order)
            if wait <= 0:
                self.take(units)
                self.spent["orders" if order else "reads"] += units
                return
            if wait > self.max_wait_s:
                raise RateLimited(f"{self.name}: {self.kind} budget spent", wait)
            self.waited_s += wait
            await asyncio.sleep(wait)

    def observe(self, headers: Mapping[str, str], prefix: str) -> None:
        """Read the venue's usage headers ``<prefix><n><unit>`` (case-insensitive, e.g. ``x-mbx-used-weight-1m``):
        a count above ours replaces ours for that window."""
        plen = len(prefix)
        for name, value in headers.items():
            if not name.lower().startswith(prefix):
                continue
            interval = header_interval_ms(name[plen:])
            if interval is None:
                continue
            try:
                count = int(value)
            except ValueError:
                continue
            if count > self.used(interval):
                self._used[interval] = (self._start(interval), count)

    def pause(self, retry_after_s: float) -> None:
        """A 429: send nothing on this budget for ``retry_after_s`` seconds."""
        self.paused_until_ms = max(self.paused_until_ms, self.clock_ms() + int(retry_after_s * 1000))

    def ban(self, retry_after_s: float) -> None:
        """A 418: every request fails with VenueBanned for ``retry_after_s`` seconds; listeners get the end."""
        self.banned_until_ms = max(self.banned_until_ms, self.clock_ms() + int(retry_after_s * 1000))
        for fn in tuple(self.ban_listeners):
            fn(self.banned_until_ms)

    @property
    def banned(self) -> bool:
        return self.clock_ms() < self.banned_until_ms
