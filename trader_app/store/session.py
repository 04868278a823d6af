"""Where the repositories get their sessions and connections: either a transaction of their own, or the
store worker's open batch transaction (group commit, see ``worker.py``).

On the store's worker thread, while a batch runs, ``Database`` hands out sessions and connections bound to
the batch's one connection: a repository call then becomes part of the batch and is committed with it
(SAVEPOINT-scoped, so a failing call rolls back only its own writes). Anywhere else (the CLI, tests, a
direct call) every repository call opens and commits its own transaction, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session


class Database:
    """Session and connection source of the repositories (a drop-in for ``sessionmaker``: ``db()`` is a
    ``Session`` and ``db.begin()`` a context manager yielding a ``Session`` inside a transaction that is
    committed on normal exit and rolled back on an exception).

    ``engine``: the store's engine. Thread-safe: the ambient batch connection is thread-local.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._local = threading.local()

    # ---- the batch connection (worker thread only) ------------------------------------------------
    @property
    def ambient(self) -> Connection | None:
        """The batch connection of the current thread, or None outside a batch."""
        return getattr(self._local, "conn", None)

    @contextmanager
    def batch(self, conn: Connection) -> Iterator[Connection]:
        """Make ``conn`` (in a transaction) the current thread's ambient connection for the ``with`` body."""
        self._local.conn = conn
        try:
            yield conn
        finally:
            self._local.conn = None

    # ---- sessions (ORM) ------------------------------------------------------------------------------
    def __call__(self) -> Session:
        """A new ``Session``: bound to the ambient batch connection (its transaction is a SAVEPOINT of the
        batch: commit releases it, rollback undoes only this session's writes) or to the engine."""
        conn = self.ambient
        if conn is None:
            return Session(bind=self.engine, expire_on_commit=False)
        return Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """``with db.begin() as s:`` a session in a transaction; committed (or released into the batch) on
        normal exit, rolled back on an exception (which propagates)."""
        with self() as session, session.begin():
            yield session

    # ---- connections (Core) --------------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection for ONE write statement (atomic by itself): the ambient batch connection (committed
        with the batch), or a new transaction committed on exit. Several statements that must be atomic
        together use ``begin()`` or ``savepoint()`` instead."""
        conn = self.ambient
        if conn is not None:
            yield conn
            return
        with self.engine.begin() as own:
            yield own

    @contextmanager
    def savepoint(self) -> Iterator[Connection]:
        """A connection for several writes that succeed or fail together: a SAVEPOINT of the batch, or a
        transaction of its own outside a batch."""
        conn = self.ambient
        if conn is None:
            with self.engine.begin() as own:
                yield own
            return
        nested = conn.begin_nested()
        try:
            yield conn
        except BaseException:
            nested.rollback()
            raise
        nested.commit()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads: the ambient batch connection (sees the batch's writes) or a new one."""
        conn = self.ambient
        if conn is not None:
            yield conn
            return
        with self.engine.connect() as own:
            yield own
