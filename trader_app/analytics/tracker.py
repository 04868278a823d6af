"""Live performance: equity over time per account, per strategy group and in total, with the metrics.

``PerformanceTracker`` listens to ``AccountSummaryEvent`` (the portfolio service's mark-to-market, about
4 a second per account) and keeps one equity series per (account, currency) (:class:`EquitySeries`): a point
per ``sample_ms`` (default 1 s buckets; a later update in the same bucket replaces the point) for the last
``FINE_POINTS`` (6 hours at 1 s), and before them one point per minute for ``PERSIST_POINTS`` minutes (about
13.9 days), so a week's report has the whole week however long the app runs. Aggregates:

- a strategy group: ``sum(equity_account x weight)`` over its linked accounts (the capital allocated to
  the group; FUTURES leverage is not counted: it is exposure, not equity);
- the total of a currency: ``sum(equity_account)`` over every account with that currency.
Component series are aligned on the union of their times with forward fill, from the first time every
component has a value.

Metrics are :func:`~trader_app.analytics.summary.performance_metrics` of a series (no trade list: the
trade-based keys are ``nan``/0), annualised with 365 for crypto quote currencies (USDT, USDC, BTC, ...)
and 252 otherwise. Series persist in ``store.kv`` (key ``performance.equity``, one point per minute, the
last 20,000 per series) so curves survive a restart. :meth:`snapshot` is the JSON that
``GET /api/v1/dashboard/performance`` returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..core.events import AccountSummaryEvent
from ..core.ids import now_ms
from .pnl import cumulative_pnl, daily_pnl
from .returns import CRYPTO_PERIODS, STOCK_PERIODS
from .summary import metrics_to_json, performance_metrics

log = logging.getLogger(__name__)

KV_KEY = "performance.equity"
CRYPTO_CURRENCIES = frozenset({"USDT", "USDC", "BUSD", "FDUSD", "DAI", "BTC", "ETH"})
FINE_POINTS = 21_600
PERSIST_POINTS = 20_000
PERSIST_STEP_MS = 60_000
Scope = tuple[str, ...]  # ("total", ccy) | ("account", account_id, ccy) | ("group", group_name, ccy)


class EquitySeries:
    """The points ``(t_ms, equity)`` of one (account, currency), in time order: ``fine`` holds the last
    ``FINE_POINTS`` at the tracker's sample resolution, ``coarse`` the last point of each minute (every point
    goes to both; ``coarse`` keeps ``PERSIST_POINTS`` minutes). :meth:`points` is the minute points older than
    the first fine point followed by the fine points."""

    __slots__ = ("fine", "coarse")

    def __init__(self) -> None:
        self.fine: deque[tuple[int, float]] = deque(maxlen=FINE_POINTS)
        self.coarse: deque[tuple[int, float]] = deque(maxlen=PERSIST_POINTS)

    def __len__(self) -> int:
        return len(self.coarse) + len(self.fine)

    def last(self) -> tuple[int, float] | None:
        """The newest point, or None."""
        if self.fine:
            return self.fine[-1]
        return self.coarse[-1] if self.coarse else None

    def add(self, point: tuple[int, float], replace_last: bool = False) -> None:
        """Append ``point`` (or put it in place of the newest fine point)."""
        if replace_last and self.fine:
            self.fine[-1] = point
        else:
            self.fine.append(point)
        if self.coarse and self.coarse[-1][0] // PERSIST_STEP_MS == point[0] // PERSIST_STEP_MS:
            self.coarse[-1] = point
        else:
            self.coarse.append(point)

    def load(self, points: Any) -> None:
        """Put saved minute points (``[[t_ms, equity], ...]``, time order) into the minute history."""
        self.coarse.extend((int(t), float(e)) for t, e in points)

    def points(self) -> list[tuple[int, float]]:
        """Every point, oldest first (minute points, then the fine ones)."""
        first = self.fine[0][0] if self.fine else None
        older = list(self.coarse) if first is None else list(itertools.takewhile(lambda p: p[0] < first, self.coarse))
        return older + list(self.fine)

    def copy(self) -> "EquitySeries":
        other = EquitySeries()
        other.fine.extend(self.fine)
        other.coarse.extend(self.coarse)
        return other


def periods_for_currency(currency: str) -> int:
    """365 for crypto quote currencies (markets trade every day), 252 (trading days) otherwise."""
    return CRYPTO_PERIODS if currency.upper() in CRYPTO_CURRENCIES else STOCK_PERIODS


class PerformanceTracker:
    """Equity series and metrics per account, group and total. ``await start()`` / ``await stop()``.

    ``store`` (optional) gives group links and persistence; ``clock`` returns epoch ms.
    """

    def __init__(self, bus: Any, store: Any = None, *, clock: Callable[[], int] = now_ms,
                 sample_ms: int = 1_000, persist_every_s: float = 60.0) -> None:
        self.bus = bus
        self.store = store
        self.clock = clock
        self.sample_ms = sample_ms
        self.persist_every_s = persist_every_s
        self._series: dict[tuple[str, str], EquitySeries] = {}
        self._groups: dict[str, list[tuple[str, float]]] = {}
        self._unsubscribe: Callable[[], None] | None = None
        self._task: asyncio.Task[Any] | None = None
        self.updates = 0

    # ---- life cycle ------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Load persisted series and group links, subscribe, and persist every ``persist_every_s``."""
        if self._unsubscribe is not None:
            return
        if self.store is not None:
            with contextlib.suppress(Exception):
                self.load_saved(await self.store.run(self.store.kv.get, KV_KEY, {}))
            await self.refresh_groups()
        self._unsubscribe = self.bus.subscribe(AccountSummaryEvent, self.on_summary)
        if self.store is not None and self.persist_every_s > 0:
            self._task = asyncio.ensure_future(self._persist_loop())

    def copy(self) -> "PerformanceTracker":
        """A detached copy of the series and groups (no bus, no store), safe to read on another thread while
        this one keeps recording. O(points), on the caller's thread."""
        other = PerformanceTracker(bus=None, sample_ms=self.sample_ms)
        other._series = {k: v.copy() for k, v in self._series.items()}
        other._groups = {g: list(m) for g, m in self._groups.items()}
        return other

    def load_saved(self, saved: dict[str, list[list[float]]] | None) -> None:
        """Take the series as :meth:`persist` saved them (``{"<account_id>|<currency>": [[t_ms, equity],
        ...]}``), replacing any series of the same key."""
        for key, points in (saved or {}).items():
            account_id, _, currency = key.rpartition("|")
            series = self._series[(account_id, currency)] = EquitySeries()
            series.load(points)

    async def stop(self) -> None:
        """Unsubscribe and save the series once more."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self.store is not None:
            with contextlib.suppress(Exception):
                await self.persist()

    def cancel(self) -> None:
        """Synchronous stop without the final save (for Qt's aboutToQuit, when the loop no longer runs)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def refresh_groups(self) -> None:
        """Reload the strategy groups' linked accounts and weights from the store."""
        if self.store is None:
            return
        links = await self.store.run(self.store.links.list)
        groups: dict[str, list[tuple[str, float]]] = {}
        for link in links:
            groups.setdefault(link.group_name, []).append((link.account_id, float(link.weight)))
        self._groups = groups

    def set_groups(self, groups: dict[str, list[tuple[str, float]]]) -> None:
        """Set group membership directly: ``{group_name: [(account_id, weight), ...]}``."""
        self._groups = {g: list(v) for g, v in groups.items()}

    async def persist(self) -> None:
        """Save one point per minute of every series (the last 20,000) to ``store.kv``."""
        data = {f"{a}|{c}": _thin(s.points()) for (a, c), s in self._series.items()}
        await self.store.run(self.store.kv.set, KV_KEY, data)

    async def _persist_loop(self) -> None:
        while True:
            await asyncio.sleep(self.persist_every_s)
            try:
                await self.persist()
            except Exception as exc:  # noqa: BLE001 - a failed save is retried next time
                log.warning("performance series not saved: %s", exc)

    # ---- input -------------------------------------------------------------------------------------------
    def on_summary(self, event: AccountSummaryEvent) -> None:
        """Record ``event.summary.equity`` at the tracker's clock (bus handler, O(1))."""
        s = event.summary
        self.add_point(s.account_id, s.currency, self.clock(), float(s.equity))

    def add_point(self, account_id: str, currency: str, ts_ms: int, equity: float) -> None:
        """Add a point. Points fall in buckets of ``sample_ms``: a point in the same bucket as the last one
        replaces it (latest time and value); a point older than the last one is ignored."""
        series = self._series.get((account_id, currency))
        if series is None:
            series = self._series[(account_id, currency)] = EquitySeries()
        last = series.last()
        same_bucket = False
        if last is not None:
            if ts_ms < last[0]:
                return
            same_bucket = ts_ms // self.sample_ms == last[0] // self.sample_ms
        series.add((ts_ms, equity), replace_last=same_bucket)
        self.updates += 1

    # ---- output ------------------------------------------------------------------------------------------
    def scopes(self) -> list[Scope]:
        """Every scope with data: totals per currency, then groups, then accounts."""
        currencies = sorted({c for (_, c) in self._series})
        out: list[Scope] = [("total", c) for c in currencies]
        for group, members in sorted(self._groups.items()):
            for c in currencies:
                if any((a, c) in self._series for a, _ in members):
                    out.append(("group", group, c))
        out += [("account", a, c) for (a, c) in sorted(self._series)]
        return out

    def series(self, scope: Scope) -> tuple[np.ndarray, np.ndarray]:
        """``(times_ms int64, equity float64)`` of a scope (empty arrays when it has no data).
        Raises ``ValueError`` for an unknown scope kind."""
        kind = scope[0]
        if kind == "account":
            series = self._series.get((scope[1], scope[2]))
            return _arrays(series.points() if series is not None else ())
        if kind == "total":
            parts = [(s.points(), 1.0) for (a, c), s in self._series.items() if c == scope[1]]
        elif kind == "group":
            parts = [(self._series[(a, scope[2])].points(), w) for a, w in self._groups.get(scope[1], ())
                     if (a, scope[2]) in self._series]
        else:
            raise ValueError(f"unknown scope {scope!r}")
        return combine_series(parts)

    def accounts_series(self, account_ids: list[str], currency: str) -> tuple[np.ndarray, np.ndarray]:
        """The sum of the equity of ``account_ids`` in ``currency`` (unweighted), as :meth:`series`; an account
        counts 0 before its first point (an account added later joins the sum as a deposit would)."""
        return combine_series([(self._series[(a, currency)].points(), 1.0) for a in account_ids
                               if (a, currency) in self._series], before_first=0.0)

    def currencies(self, account_ids: list[str]) -> list[str]:
        """The currencies in which any of ``account_ids`` has an equity series, sorted."""
        wanted = set(account_ids)
        return sorted({c for (a, c) in self._series if a in wanted})

    def metrics(self, scope: Scope) -> dict[str, Any]:
        """``performance_metrics`` of the scope's series (keys ``analytics.METRIC_KEYS``)."""
        t, e = self.series(scope)
        return performance_metrics(t, e, periods=periods_for_currency(scope[-1]),
                                   initial_equity=float(e[0]) if e.size else None)

    def pnl(self, scope: Scope) -> dict[str, list[Any]]:
        """Daily and cumulative PnL of the scope: ``{"dates", "daily", "cumulative"}`` (UTC dates)."""
        t, e = self.series(scope)
        if not e.size:
            return {"dates": [], "daily": [], "cumulative": []}
        d = daily_pnl(e, t, float(e[0]))
        c = cumulative_pnl(e, t, float(e[0]))
        return {"dates": [str(x.date()) for x in d.index], "daily": d.round(8).tolist(), "cumulative": c.round(8).tolist()}

    def snapshot(self) -> dict[str, Any]:
        """JSON for the dashboard: ``{"total": [...], "groups": [...], "accounts": [...]}``, each item
        ``{"scope", "name", "currency", "metrics", "pnl"}`` with JSON-safe values."""
        out: dict[str, list[dict[str, Any]]] = {"total": [], "groups": [], "accounts": []}
        bucket = {"total": "total", "group": "groups", "account": "accounts"}
        for scope in self.scopes():
            out[bucket[scope[0]]].append({
                "scope": scope[0],
                "name": scope[1] if len(scope) == 3 else "total",
                "currency": scope[-1],
                "metrics": metrics_to_json(self.metrics(scope)),
                "pnl": self.pnl(scope),
            })
        return out


def _arrays(points: Any) -> tuple[np.ndarray, np.ndarray]:
    pts = list(points)
    if not pts:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    t, e = zip(*pts)
    return np.asarray(t, dtype=np.int64), np.asarray(e, dtype=np.float64)


def combine_series(parts: list[tuple[Any, float]], before_first: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``sum(series x weight)`` of ``[(points, weight), ...]`` (points ``(t_ms, equity)`` in time order),
    aligned on the union of their times with forward fill, from the first time every part has a value (or,
    with ``before_first``, from the first point of any part, a part counting that value before its first)."""
    parts = [(s, w) for s, w in parts if len(s)]
    if not parts:
        return _arrays(())
    if len(parts) == 1:
        t, e = _arrays(parts[0][0])
        return t, e * parts[0][1]
    cols = {}
    for k, (s, w) in enumerate(parts):
        t, e = _arrays(s)
        cols[k] = pd.Series(e * w, index=t)
    frame = pd.DataFrame(cols).sort_index().ffill()
    frame = frame.dropna() if before_first is None else frame.fillna(before_first)
    return frame.index.to_numpy(dtype=np.int64), frame.sum(axis=1).to_numpy(dtype=np.float64)


def _thin(points: list[tuple[int, float]]) -> list[list[float]]:
    """One point per minute (the last of each minute), the latest ``PERSIST_POINTS``."""
    out: list[list[float]] = []
    for t, e in points:
        if out and t // PERSIST_STEP_MS == out[-1][0] // PERSIST_STEP_MS:
            out[-1] = [t, e]
        else:
            out.append([t, e])
    return out[-PERSIST_POINTS:]
