"""``store.run``: one worker thread, off the event loop, in submission order."""

from __future__ import annotations

import asyncio
import threading

import pytest

from trader_app.store.store import WORKER_THREAD_NAME


async def test_run_executes_off_the_loop_thread(store):
    loop_thread = threading.current_thread().name
    name = await store.run(lambda: threading.current_thread().name)
    assert name != loop_thread
    assert name.startswith(WORKER_THREAD_NAME)


async def test_run_uses_one_thread_and_keeps_submission_order(store):
    seen: list[tuple[int, str]] = []

    def work(i: int) -> int:
        seen.append((i, threading.current_thread().name))
        return i * 2

    results = await asyncio.gather(*(store.run(work, i) for i in range(50)))
    assert results == [i * 2 for i in range(50)]
    assert [i for i, _ in seen] == list(range(50))
    assert len({name for _, name in seen}) == 1


async def test_run_passes_args_and_kwargs_and_repository_calls(store):
    await store.run(store.watchlist.set, ["ETH/USDT", "AAPL"])
    assert await store.run(store.watchlist.get) == ["ETH/USDT", "AAPL"]
    assert await store.run(store.kv.get, "missing", default=7) == 7


async def test_run_propagates_exceptions(store):
    with pytest.raises(ValueError, match="must be unique"):
        await store.run(store.watchlist.set, ["A", "A"])
    assert await store.run(store.watchlist.get) == []


async def test_run_after_close_raises(db_path):
    from trader_app.store import Store

    s = Store.open(db_path)
    s.close()
    s.close()  # idempotent
    assert s.closed
    with pytest.raises(RuntimeError, match="closed"):
        await s.run(lambda: None)
