"""The store's one writer thread, with group commit.

Jobs (``store.run(fn, ...)``) queue in submission order; those submitted during one turn of an event loop
are handed in together at the end of that turn. The worker takes every job handed in by the time it is free
as one batch and runs them, in order, inside ONE database transaction, each job in a SAVEPOINT of its own:

- a job that raises has its writes rolled back (the whole job: a job is atomic) and its caller gets the
  exception; the other jobs of the batch are unaffected;
- the batch commits once; only then are the callers' futures resolved (results and exceptions, in
  submission order, one hand-over per event loop). So a caller that awaited ``store.run`` knows its writes
  are committed — "journal before send" holds — and N concurrent writers share one commit instead of N;
- if the commit itself fails, every job of the batch that had succeeded gets that error (nothing of the
  batch was stored); if a job leaves the transaction unusable (its SAVEPOINT cannot be rolled back), the
  jobs before it get that error and the jobs after it run in a new transaction;
- a job whose awaiting task was cancelled before the batch reached it is not run (like
  ``concurrent.futures``).

Jobs run one at a time (never concurrently), so writes stay ordered and the database has a single writer.
Inside a job, the repositories join the batch transaction through ``Database`` (``session.py``); a job must
use them (or ``Database``) rather than open a connection of its own, which would wait for the batch's lock.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from .session import Database

log = logging.getLogger(__name__)

_STOP = object()
# job states: queued -> ran (awaiting the commit) -> committed; or failed (value is the exception)
_QUEUED, _RAN, _COMMITTED, _FAILED = range(4)


class _Job:
    __slots__ = ("fn", "loop", "future", "state", "value")

    def __init__(self, fn: Callable[[], Any], loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> None:
        self.fn = fn
        self.loop = loop
        self.future = future
        self.state = _QUEUED
        self.value: Any = None

    def ran(self, value: Any) -> None:
        self.state, self.value = _RAN, value

    def failed(self, exc: BaseException) -> None:
        self.state, self.value = _FAILED, exc


def _resolve(jobs: list[_Job]) -> None:
    """On the caller's loop: hand each job's outcome to its future (skipping cancelled ones)."""
    for job in jobs:
        fut = job.future
        if fut.done():
            continue
        if job.state == _COMMITTED:
            fut.set_result(job.value)
        else:
            fut.set_exception(job.value)


class StoreWorker:
    """The writer thread (see the module docstring). ``db``: the ``Database`` the repositories use;
    ``name``: the thread's name. ``submit`` is thread-safe; ``stop`` finishes queued jobs first."""

    def __init__(self, db: Database, name: str) -> None:
        self._db = db
        self._name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._pending: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        self._conn: Any = None  # the worker thread's connection
        self.batches = 0  # committed transactions (for benches and tests)
        self.jobs = 0  # jobs run

    def submit(self, fn: Callable[[], Any]) -> asyncio.Future[Any]:
        """Queue ``fn`` (no arguments) and return an asyncio future of the running loop for its outcome.

        The jobs submitted during one turn of a loop are handed to the worker together at the end of that
        turn (one ``call_soon``), so a burst of writes from many tasks lands in one batch."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._ensure_thread()
        pending = self._pending.get(loop)
        if pending is None:
            pending = self._pending[loop] = []
            loop.call_soon(self._hand_in, loop)
        pending.append(_Job(fn, loop, future))
        return future

    def _hand_in(self, loop: asyncio.AbstractEventLoop) -> None:
        jobs = self._pending.pop(loop, None)
        if jobs:
            self._queue.put(jobs)

    def stop(self) -> None:
        """Run every queued job, then end the thread (returns when it has ended)."""
        with self._start_lock:
            thread = self._thread
        if thread is None:
            return
        for loop in list(self._pending):  # jobs submitted this loop turn, not handed in yet
            self._hand_in(loop)
        self._queue.put(_STOP)
        thread.join()

    def _ensure_thread(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                t = threading.Thread(target=self._main, name=self._name, daemon=True)
                t.start()
                self._thread = t

    # ---- worker thread -------------------------------------------------------------------------------
    def _main(self) -> None:
        try:
            self._serve()
        finally:
            self._discard_connection()

    def _serve(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is _STOP:
                return
            jobs = list(item)
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                jobs.extend(item)
            jobs = [j for j in jobs if not j.future.cancelled()]
            if not jobs:
                continue
            try:
                self._run_batch(jobs)
            except BaseException as exc:  # noqa: BLE001 - e.g. no connection: every job not stored gets it
                log.error("store batch failed: %s", exc)
                self._discard_connection()
                for job in jobs:
                    if job.state in (_QUEUED, _RAN):
                        job.failed(exc)
            self._hand_over(jobs)

    def _run_batch(self, jobs: list[_Job]) -> None:
        pending = list(jobs)
        while pending:
            ran: list[_Job] = []
            conn = self._connection()
            with self._db.batch(conn):
                conn.begin()
                broken: BaseException | None = None
                while pending:
                    job = pending.pop(0)
                    if job.future.cancelled():
                        job.failed(asyncio.CancelledError())
                        continue
                    self.jobs += 1
                    savepoint = conn.begin_nested()
                    try:
                        value = job.fn()
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller
                        job.failed(exc)
                        try:
                            savepoint.rollback()
                        except BaseException as undo:  # noqa: BLE001 - the transaction is unusable
                            broken = undo
                            break
                        continue
                    try:
                        savepoint.commit()
                    except BaseException as exc:  # noqa: BLE001 - the transaction is unusable
                        job.failed(exc)
                        broken = exc
                        break
                    job.ran(value)
                    ran.append(job)
                if broken is not None:
                    log.error("store batch transaction broke; %d earlier job(s) not stored: %s", len(ran), broken)
                    for job in ran:
                        job.failed(broken)
                    self._discard_connection()
                    continue  # the jobs after the breaking one run in a new transaction
                try:
                    conn.commit()
                except BaseException as exc:  # noqa: BLE001 - nothing of the batch was stored
                    log.error("store batch commit failed (%d jobs): %s", len(ran), exc)
                    for job in ran:
                        job.failed(exc)
                    self._discard_connection()
                    continue
                self.batches += 1
                for job in ran:
                    job.state = _COMMITTED

    def _connection(self) -> Any:
        """The worker's connection, kept open between batches (no pool check-out per batch)."""
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self._db.engine.connect()
            self._conn.execution_options(trader_begin="IMMEDIATE")  # SQLite: take the write lock up front
        return self._conn

    def _discard_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()  # rolls back whatever is left
            except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is dropped anyway
                log.debug("closing a broken store connection failed", exc_info=True)

    def _hand_over(self, jobs: list[_Job]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        for job in jobs:
            by_loop.setdefault(job.loop, []).append(job)
        for loop, items in by_loop.items():
            try:
                loop.call_soon_threadsafe(_resolve, items)
            except RuntimeError:  # the caller's loop is closed: nobody is waiting any more
                pass
