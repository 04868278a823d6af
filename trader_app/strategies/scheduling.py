"""Time-based strategy jobs (``weekly``'s Monday entry and Friday exit) on APScheduler's asyncio scheduler.

A strategy declares ``schedules(venue) -> [(cron_fields, method_name), ...]`` where ``cron_fields`` are
``apscheduler.triggers.cron.CronTrigger`` keyword arguments including ``timezone`` (the venue's zone).
The scheduler is created on first use, on the running asyncio loop (the app's qasync loop).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from .base import Strategy


class StrategyJobs:
    """Owns one ``AsyncIOScheduler``; :meth:`add` registers a strategy's cron jobs."""

    def __init__(self) -> None:
        self.scheduler: Any = None

    def add(self, strategy: Strategy, venue: str, callback: Callable[[str, str, str], None], name: str,
            symbol: str) -> list[Any]:
        """Register every job of ``strategy.schedules(venue)``: at each trigger ``callback(name, symbol,
        method)`` runs on the loop. Returns the APScheduler jobs (``job.remove()`` to drop one)."""
        schedules = getattr(strategy, "schedules", None)
        if schedules is None:
            return []
        from apscheduler.triggers.cron import CronTrigger

        jobs = []
        for fields, method in schedules(venue):
            jobs.append(self._ensure().add_job(callback, CronTrigger(**fields), args=[name, symbol, method],
                                               id=f"{name}:{symbol}:{method}", replace_existing=True))
        return jobs

    def get_jobs(self) -> list[Any]:
        return self.scheduler.get_jobs() if self.scheduler is not None else []

    def shutdown(self) -> None:
        if self.scheduler is not None:
            with contextlib.suppress(Exception):
                self.scheduler.shutdown(wait=False)
            self.scheduler = None

    def _ensure(self) -> Any:
        if self.scheduler is None:
            from apscheduler.schedulers.asyncio import AsyncIOScheduler

            self.scheduler = AsyncIOScheduler(event_loop=asyncio.get_running_loop())
            self.scheduler.start()
        return self.scheduler
