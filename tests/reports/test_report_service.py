"""The report service: the weekly narrative sends only the report's numbers to a fake OpenAI-compatible server
on 127.0.0.1; reports are stored and replaced; the schedule survives a restart and catches a missed run up
once."""

from __future__ import annotations

import contextlib
import json
from datetime import date, datetime, timedelta, timezone

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from report_week import build_week, ms
from waiting import until
from fakes.openai_api import ANSWER, FakeOpenAI
from trader_app.config import Settings
from trader_app.reports.narrative import KEY_SECRET, SYSTEM_PROMPT, build_prompt, numbers_only
from trader_app.reports.service import SCHEDULE_FILE, ReportService
from trader_app.secrets import set_secret
from trader_app.store import Store
from trader_app.webhook.server import WebhookServer

API_KEY = "sk-test-key-never-in-a-report"


@contextlib.asynccontextmanager
async def narrative_service(tmp_path):
    """``(fake model server, store with the week, ReportService with the narrative on, pointed at the fake)``."""
    fake = FakeOpenAI(API_KEY)
    server = WebhookServer(None, "127.0.0.1", 0, app=fake.app)
    await server.start()
    store = Store.open(tmp_path / "trader.db")
    build_week(store)
    settings = Settings()
    cfg = settings.reports
    cfg.narrative_enabled, cfg.narrative_base_url, cfg.narrative_model = True, f"{server.url}/v1", "test-model"
    try:
        yield fake, store, ReportService(store, settings, None, clock=lambda: ms("2026-12-05 00:10"))
    finally:
        store.close()
        await server.stop()


async def test_weekly_narrative_sends_only_the_numbers(tmp_path):
    set_secret(KEY_SECRET, API_KEY)
    async with narrative_service(tmp_path) as (fake, store, service):
        stored = await service.make("weekly", date(2026, 12, 4))
        (body,) = fake.requests
        assert body["model"] == "test-model"
        system, user = body["messages"]
        assert system == {"role": "system", "content": SYSTEM_PROMPT}
        assert user["content"] == build_prompt(stored.metrics)
        sent = json.loads(user["content"].split("\n", 1)[1])
        assert sent == json.loads(json.dumps(numbers_only(stored.metrics)))
        assert sent["sections"][0]["metrics"]["pnl"] == "-100.0" and sent["signals"]["outcomes"] == {
            "FILLED": 1, "REJECTED": 1}
        for private in ("acc-1", "Paper 1", "trend", "BTC", "ETH", "insufficient", API_KEY):
            assert private not in json.dumps(body)
        narrative = stored.metrics["narrative"]
        assert narrative["text"] == ANSWER and narrative["model"] == "test-model"
        assert ANSWER in stored.html and "The prompt:" in stored.html and API_KEY not in stored.html
        # daily reports get no narrative; the same weekly report made again replaces the stored one
        await service.make("daily", date(2026, 12, 4))
        assert len(fake.requests) == 1
        again = await service.make("weekly", date(2026, 12, 4))
        assert again.id == stored.id and len(store.reports.list()) == 2


async def test_without_a_key_or_with_a_wrong_one_the_template_summary_is_used(tmp_path):
    async with narrative_service(tmp_path) as (fake, _store, service):
        stored = await service.make("weekly", date(2026, 12, 4))  # no key stored
        assert stored.metrics["narrative"] is None and fake.requests == []
        set_secret(KEY_SECRET, "sk-wrong")
        stored = await service.make("weekly", date(2026, 12, 4))  # refused (401): template only
        assert stored.metrics["narrative"] is None
        assert stored.metrics["summary"].startswith("Weekly 2026-11-28 to 2026-12-04, all accounts:")


async def test_schedule_survives_a_restart_and_catches_a_missed_run_up_once(tmp_path):
    store = Store.open(tmp_path / "trader.db")
    build_week(store)
    service = ReportService(store, Settings(), tmp_path)
    await service.start()
    jobs = dict(service.next_runs())
    assert set(jobs) == {"report:daily:crypto", "report:weekly:crypto"}
    assert (jobs["report:daily:crypto"].hour, jobs["report:daily:crypto"].minute) == (0, 5)
    await service.stop()
    # the app stayed closed over three due runs: the stored next run time lies three days back
    jobstore = SQLAlchemyJobStore(url=f"sqlite:///{tmp_path / SCHEDULE_FILE}")
    jobstore.start(None, "default")
    job = jobstore.lookup_job("report:daily:crypto")
    job.next_run_time = datetime.now(timezone.utc) - timedelta(days=3)
    jobstore.update_job(job)
    jobstore.shutdown()
    assert store.reports.list() == []

    restarted = ReportService(store, Settings(), tmp_path)
    await restarted.start()
    try:
        assert await until(lambda: restarted.made >= 3, 30)  # all, the account and the group, once
        made = store.reports.list()
        assert sorted(r.scope for r in made) == ["account:acc-1", "all", "group:trend"]
        assert {r.period for r in made} == {"daily"}
        assert len({r.start_ms for r in made}) == 1  # the last closed day, once: not three runs
        nxt = dict(restarted.next_runs())["report:daily:crypto"]
        assert nxt > datetime.now(timezone.utc)
    finally:
        await restarted.stop()
        store.close()


async def test_a_reports_reads_never_hold_the_store_worker_that_journals_orders(tmp_path, monkeypatch):
    import threading

    import trader_app.reports.service as service_module
    from trader_app.store.store import WORKER_THREAD_NAME

    store = Store.open(tmp_path / "trader.db")
    build_week(store)
    threads = []
    real = service_module.build_report

    def spy(*args, **kw):
        threads.append(threading.current_thread().name)
        return real(*args, **kw)

    monkeypatch.setattr(service_module, "build_report", spy)
    try:
        await ReportService(store, Settings(), None, clock=lambda: ms("2026-12-05 00:10")).make("weekly")
    finally:
        store.close()
    assert len(threads) == 1 and not threads[0].startswith(WORKER_THREAD_NAME)
