"""Group commit in the store worker: jobs queued together share one transaction, each in a SAVEPOINT; a caller
is answered only after the commit; a failing job rolls back only its own writes."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from decimal import Decimal as D

import pytest

from trader_app.core.enums import OrderType, Side
from trader_app.core.orders import Order, OrderRequest
from trader_app.core.portfolio import Balance


def _order(account: str, coid: str) -> Order:
    return Order.from_request(OrderRequest(account, "BTC/USDT", Side.BUY, OrderType.MARKET, D("1"), coid), 1)


def _count(db_path, table: str) -> int:
    """Rows committed, as a second connection (another process would) sees them."""
    con = sqlite3.connect(db_path)
    try:
        return con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        con.close()


async def _hold(store):
    """Queue a job that blocks the worker until the returned event is set (so later jobs queue together)."""
    gate = threading.Event()
    started = threading.Event()

    def block():
        started.set()
        gate.wait(10)

    task = asyncio.ensure_future(store.run(block))
    await asyncio.get_running_loop().run_in_executor(None, started.wait, 10)
    return gate, task


async def test_jobs_queued_together_share_one_commit_and_answer_after_it(store, db_path):
    gate, blocker = await _hold(store)
    seen_by_others: list[int] = []

    def peek():
        seen_by_others.append(_count(db_path, "orders"))  # inside the batch, before its commit
        return "peeked"

    batches = store.worker.batches
    jobs = [asyncio.ensure_future(store.run(store.orders.insert_new, _order("a1", f"c{i}"))) for i in range(5)]
    jobs.append(asyncio.ensure_future(store.run(peek)))
    await asyncio.sleep(0)  # let the tasks queue their jobs behind the blocker
    gate.set()
    await blocker
    results = await asyncio.gather(*jobs)
    assert results == [True] * 5 + ["peeked"]
    assert seen_by_others == [0]  # not yet committed while the batch ran ...
    assert _count(db_path, "orders") == 5  # ... committed before any caller was answered
    assert store.worker.batches - batches == 2  # the blocker's, then ONE for the five inserts and the peek


async def test_a_failing_job_rolls_back_all_its_writes_and_only_its_own(store, db_path):
    gate, blocker = await _hold(store)

    def two_writes_then_fail():
        store.balances.save(Balance("a1", "USDT", D("1")))
        store.balances.save(Balance("a1", "KRW", D("2")))
        raise ValueError("job failed after two writes")

    before = asyncio.ensure_future(store.run(store.balances.save, Balance("a0", "USDT", D("10"))))
    failing = asyncio.ensure_future(store.run(two_writes_then_fail))
    after = asyncio.ensure_future(store.run(store.balances.save, Balance("a2", "USDT", D("30"))))
    await asyncio.sleep(0)  # let the tasks queue their jobs behind the blocker
    gate.set()
    await blocker
    await before
    with pytest.raises(ValueError, match="after two writes"):
        await failing
    await after
    assert [(b.account_id, b.currency, b.total) for b in store.balances.list()] == [
        ("a0", "USDT", D("10")),
        ("a2", "USDT", D("30")),
    ]


async def test_a_job_sees_the_writes_of_earlier_jobs_of_its_batch(store):
    gate, blocker = await _hold(store)
    first = asyncio.ensure_future(store.run(store.orders.insert_new, _order("a1", "dup")))
    second = asyncio.ensure_future(store.run(store.orders.insert_new, _order("a1", "dup")))
    read = asyncio.ensure_future(store.run(store.orders.get, "a1", "dup"))
    await asyncio.sleep(0)  # let the tasks queue their jobs behind the blocker
    gate.set()
    await blocker
    assert (await first, await second) == (True, False)
    assert (await read).client_order_id == "dup"


async def test_a_job_that_breaks_the_transaction_fails_the_batch_before_it_not_after(store):
    gate, blocker = await _hold(store)

    def break_transaction():
        store.db.ambient.exec_driver_sql("ROLLBACK")  # ends the batch transaction under the worker's feet

    earlier = asyncio.ensure_future(store.run(store.balances.save, Balance("a1", "USDT", D("1"))))
    breaking = asyncio.ensure_future(store.run(break_transaction))
    later = asyncio.ensure_future(store.run(store.balances.save, Balance("a3", "USDT", D("3"))))
    await asyncio.sleep(0)  # let the tasks queue their jobs behind the blocker
    gate.set()
    await blocker
    outcomes = await asyncio.gather(earlier, breaking, later, return_exceptions=True)
    assert isinstance(outcomes[0], Exception) and isinstance(outcomes[1], Exception)
    assert outcomes[2] is None
    assert [b.account_id for b in store.balances.list()] == ["a3"]


async def test_a_job_whose_caller_was_cancelled_before_it_ran_is_not_run(store):
    gate, blocker = await _hold(store)
    ran: list[int] = []
    job = asyncio.ensure_future(store.run(ran.append, 1))
    await asyncio.sleep(0)  # queued behind the blocker
    job.cancel()
    gate.set()
    await blocker
    await store.run(ran.append, 2)
    assert ran == [2]


def test_repositories_called_directly_commit_on_their_own(store, db_path):
    assert store.orders.insert_new(_order("a1", "x")) is True
    assert store.orders.insert_new(_order("a1", "x")) is False
    assert _count(db_path, "orders") == 1
