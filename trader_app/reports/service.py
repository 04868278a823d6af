"""``ReportService``: makes, stores and schedules the daily and weekly reports.

:meth:`ReportService.make` gathers the numbers (``build.py``, reads on the blocking-call pool: the store's
worker thread journals orders and is never held by a report), asks the model
for a weekly narrative when configured (``narrative.py``), draws the equity pictures and renders the page
(``plot.py``/``render.py``, on the blocking-call pool), and saves the report in ``store.reports`` (the same
period and scope made again replaces it). Listeners (the Telegram notices) hear of each new report.

Schedule (``periods.py``): APScheduler cron jobs per market in use, daily and weekly, in a job store of their
own (``<data dir>/schedule.db``, SQLAlchemy job store), so they survive a restart. A run missed while the app
was closed is caught up **once** at the next start (``coalesce=True``, no misfire limit) and makes the
reports of the last closed period. Each run makes the ``all`` report (with the crypto calendar, or KRX when
every account trades on KRX: VENUE_CALENDARS of brokers/venues.py), one per account of the market and one
per strategy group.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from ..config import Settings
from ..core.errors import ConfigError
from ..core.ids import now_ms
from ..core.offloop import run_blocking
from ..store.repos.reports import StoredReport
from .build import build_report, resolve_scope, scope_market
from ..secrets import delete_secret, get_secret, set_secret
from .narrative import KEY_SECRET, write_narrative
from .periods import MARKETS, last_closed_day, market_of_broker, period_bounds
from .plot import section_pngs
from .render import render_html

log = logging.getLogger(__name__)

SCHEDULE_FILE = "schedule.db"
DAY_MS = 86_400_000
ReportListener = Callable[[StoredReport, dict[str, Any], dict[str, bytes]], Awaitable[None]]

_RUNNING: dict[str, "ReportService"] = {}  # data dir -> the running service, for the persisted jobs


async def run_scheduled(data_dir: str, period: str, market: str) -> None:
    """The scheduled job (APScheduler stores it by this module-level name): make the due reports of
    ``market`` with the service running on ``data_dir``. Nothing when none runs there."""
    service = _RUNNING.get(data_dir)
    if service is None:
        log.warning("scheduled %s report for %s skipped: no report service runs on %s", period, market, data_dir)
        return
    await service.run_due(period, market)


class ReportService:
    """Reports of ``store`` (see the module docstring). ``tracker``: the app's ``PerformanceTracker`` (its
    live series are the reports' equity); ``clock`` epoch ms; ``listeners`` hear of each new report."""

    def __init__(self, store: Any, settings: Settings, data_dir: Path | str | None, *, tracker: Any = None,
                 clock: Callable[[], int] = now_ms) -> None:
        self.store = store
        self.settings = settings
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.tracker = tracker
        self.clock = clock
        self.listeners: list[ReportListener] = []
        self.scheduler: Any = None
        self.made = 0
        self.last_pngs: dict[str, bytes] = {}

    # ---- one report --------------------------------------------------------------------------------------
    async def make(self, period: str, day: date | None = None, scope: str = "all", *,
                   narrative: bool | None = None, announce: bool = True) -> StoredReport:
        """Make, store and (``announce``) tell the listeners of the ``period`` ("daily"/"weekly") report of
        ``scope`` for ``day`` (default: the last closed period of the scope's market). ``narrative``: ask the
        model (default: for weekly reports when configured). The equity pictures of the last report made are
        kept in ``last_pngs``. Equity comes from the app's tracker when there is one, else from the series saved
        in the store. Raises ``ConfigError`` for an unknown period or scope."""
        now = self.clock()
        # reads run on the blocking-call pool, never on the store's worker: that thread journals orders, and a
        # report's reads (every fill of the scope, ~1 s for 10,000) must not hold a signal's journal write
        resolved = await run_blocking(resolve_scope, self.store, scope)
        market = scope_market(resolved)
        day = day or last_closed_day(period, now, market)
        start_ms, end_ms = period_bounds(period, day, market)
        # the running tracker's own series (copied here, on the loop): no save and no decoding of the saved JSON
        # (a multi-MB json.loads holds the GIL, and with it the loop and the journal, for a third of a second)
        series = self.tracker.copy() if self.tracker is not None else None
        report = await run_blocking(build_report, self.store, period, resolved, start_ms, end_ms, now, series)
        cfg = self.settings.reports
        if narrative is None:
            narrative = period == "weekly" and cfg.narrative_enabled
        if narrative:
            key = await run_blocking(_read_key_quietly)
            if key:
                report["narrative"] = await write_narrative(report, base_url=cfg.narrative_base_url,
                                                            model=cfg.narrative_model, api_key=key)
            else:
                log.warning("the weekly narrative is on but no API key is stored; the template summary is used")
        pngs = await run_blocking(section_pngs, report)
        page = await run_blocking(render_html, report, pngs)
        report_id = await self.store.run(self.store.reports.save, period, resolved.text, start_ms, end_ms, now,
                                         report, page)
        stored = StoredReport(report_id, period, resolved.text, start_ms, end_ms, now, report, page)
        self.made += 1
        self.last_pngs = pngs
        for listener in list(self.listeners if announce else ()):
            try:
                await listener(stored, report, pngs)
            except Exception:  # noqa: BLE001 - a listener must not undo the report
                log.exception("a report listener failed")
        return stored

    async def run_due(self, period: str, market_name: str) -> list[StoredReport]:
        """Make the reports of the last closed ``period`` of ``market_name`` ("crypto"/"krx"): ``all`` when its
        calendar is this market's, each account of the market and each strategy group; then delete reports
        older than ``settings.reports.keep_days``. A scope that fails is logged; the others are still made."""
        accounts = await self.store.run(self.store.accounts.list)
        groups = await self.store.run(self.store.groups.list)
        mine = [a for a in accounts if market_of_broker(a.broker).name == market_name]
        if not mine:
            return []
        scopes = []
        all_scope = await run_blocking(resolve_scope, self.store, "all")
        if scope_market(all_scope).name == market_name:
            scopes.append("all")
        scopes += [f"account:{a.account_id}" for a in mine]
        for g in groups:
            scoped = await run_blocking(resolve_scope, self.store, f"group:{g.group_name}")
            if scoped.accounts and scope_market(scoped).name == market_name:
                scopes.append(f"group:{g.group_name}")
        made = []
        for scope in scopes:
            try:
                made.append(await self.make(period, scope=scope))
            except Exception:  # noqa: BLE001 - one scope's failure must not stop the others
                log.exception("the %s report of %s failed", period, scope)
        cutoff = self.clock() - self.settings.reports.keep_days * DAY_MS
        await self.store.run(self.store.reports.delete_older, cutoff)
        log.info("%d %s report(s) made for the %s market", len(made), period, market_name)
        return made

    # ---- schedule ----------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the schedule (when ``settings.reports.schedule`` and a data dir is set): one daily and one
        weekly job per market in use. Jobs already stored keep their next run time, so a run missed while
        the app was closed runs once now."""
        if self.scheduler is not None or self.data_dir is None or not self.settings.reports.schedule:
            return
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        from apscheduler.triggers.cron import CronTrigger

        accounts = await self.store.run(self.store.accounts.list)
        markets = sorted({market_of_broker(a.broker).name for a in accounts} or {"crypto"})
        url = f"sqlite:///{self.data_dir / SCHEDULE_FILE}"
        scheduler = AsyncIOScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=url)},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            event_loop=asyncio.get_running_loop())
        _RUNNING[str(self.data_dir)] = self
        scheduler.start(paused=True)
        wanted = set()
        for name in markets:
            market = MARKETS[name]
            for period, fields in (("daily", market.daily_cron), ("weekly", market.weekly_cron)):
                job_id = f"report:{period}:{name}"
                wanted.add(job_id)
                trigger = CronTrigger(**fields)
                job = scheduler.get_job(job_id)
                if job is None or str(job.trigger) != str(trigger):
                    scheduler.add_job(run_scheduled, trigger, args=[str(self.data_dir), period, name], id=job_id,
                                      replace_existing=True, name=f"{period} reports ({name})")
        for job in scheduler.get_jobs():
            if job.id not in wanted:
                job.remove()
        scheduler.resume()
        self.scheduler = scheduler

    async def configure(self, *, schedule: bool, telegram_daily: bool, narrative_enabled: bool, base_url: str,
                        model: str, api_key: str | None = None, forget_key: bool = False) -> None:
        """Save the report settings (the Reports panel): the schedule on or off (started or stopped now), the
        daily report on Telegram, and the weekly narrative's endpoint and model; ``api_key`` goes to the OS
        keyring (``forget_key`` deletes it). Raises ``ConfigError`` for a base URL that is not http(s) or an
        empty model, ``SecretStoreError`` when the keyring cannot store the key; nothing is changed then."""
        base_url, model = base_url.strip(), model.strip()
        if not base_url.startswith(("http://", "https://")):
            raise ConfigError(f"the narrative's base URL must start with http:// or https://, not {base_url!r}")
        if narrative_enabled and not model:
            raise ConfigError("the narrative needs a model name (e.g. gpt-4o-mini)")
        key = (api_key or "").strip()
        if key:
            await run_blocking(set_secret, KEY_SECRET, key)
        elif forget_key:
            await run_blocking(delete_secret, KEY_SECRET)
        cfg = self.settings.reports
        cfg.schedule, cfg.telegram_daily, cfg.narrative_enabled = schedule, telegram_daily, narrative_enabled
        cfg.narrative_base_url, cfg.narrative_model = base_url, model or cfg.narrative_model
        if self.data_dir is not None:
            await run_blocking(self.settings.save, self.data_dir)
        if schedule and self.scheduler is None:
            await self.start()
        elif not schedule and self.scheduler is not None:
            await self.stop()

    async def key_stored(self) -> bool:
        """Whether the narrative's API key is in the keyring (never the key itself)."""
        return bool(await run_blocking(_read_key_quietly, logging.DEBUG))  # the panel asks on every show

    def next_runs(self) -> list[tuple[str, Any]]:
        """``[(job id, next run time (aware datetime))]`` of the scheduled report jobs."""
        if self.scheduler is None:
            return []
        return sorted((j.id, j.next_run_time) for j in self.scheduler.get_jobs())

    async def stop(self) -> None:
        """Stop the schedule (the jobs stay stored with their next run time)."""
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None:
            # APScheduler 3 leaves a wakeup already queued on the loop, and that one processes jobs even after
            # shutdown (it checks only for "paused"): pause, let it pass, then shut down.
            scheduler.pause()
            await asyncio.sleep(0)
            scheduler.shutdown(wait=False)
        if self.data_dir is not None and _RUNNING.get(str(self.data_dir)) is self:
            del _RUNNING[str(self.data_dir)]


def _read_key_quietly(level: int = logging.WARNING) -> str | None:
    """The narrative's key, or None when none is stored or the keyring cannot be read (logged at ``level``)."""
    try:
        return get_secret(KEY_SECRET)
    except Exception as exc:  # noqa: BLE001 - no keyring on this machine: no narrative
        log.log(level, "the narrative's API key cannot be read: %s", type(exc).__name__)
        return None
