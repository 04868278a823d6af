"""The SQLAlchemy engine: a sync engine (STACK.md trap 7: the async engine stalls the loop), with SQLite tuned
for one writer thread and concurrent readers.

SQLite connections get, on every connect: ``journal_mode=WAL`` (file databases), ``synchronous=FULL``,
``foreign_keys=ON`` (link rows cascade with their group) and ``busy_timeout=5000`` (ms).

Why FULL (issue 12): an order is journalled, then sent. In WAL mode ``synchronous=NORMAL`` syncs the WAL
only at checkpoints, so "a transaction committed in WAL mode with synchronous=NORMAL might roll back
following a power loss or system crash" (https://sqlite.org/pragma.html#pragma_synchronous): the journal
entry of an order already at the venue could vanish, and the order with it. FULL syncs the WAL at every
commit. The cost is one fsync per commit, and the store commits a whole batch at once (``worker.py``, group
commit: a fan-out's orders share one transaction), so it is paid once per batch, not once per order.

Transactions on SQLite are begun by SQLAlchemy, not by pysqlite: the driver's own implicit BEGIN (only
before INSERT/UPDATE/DELETE) is switched off and every SQLAlchemy transaction emits ``BEGIN`` itself, so
SAVEPOINTs nest inside a real transaction (the SQLAlchemy SQLite dialect documentation, "Serializable
isolation / Savepoints / Transactional DDL"). The store worker's batch transactions use ``BEGIN IMMEDIATE``
(execution option ``trader_begin="IMMEDIATE"``): the write lock is taken up front, so a batch that reads
before it writes never fails to upgrade its snapshot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

BUSY_TIMEOUT_MS = 5000


def sqlite_url(path: Path) -> str:
    """``sqlite:///<absolute path>`` for a database file."""
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def make_engine(url: str) -> Engine:
    """Create the engine for ``url`` (any SQLAlchemy URL). In-memory SQLite shares one connection
    (``StaticPool``) so every thread sees the same database. Raises ``sqlalchemy.exc.ArgumentError`` for a bad URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    memory = parsed.database in (None, "", ":memory:") or "mode=memory" in str(parsed)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)
    _install_sqlite_pragmas(engine, wal=not memory)
    return engine


def _install_sqlite_pragmas(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # pysqlite must not BEGIN/COMMIT on its own (see the module doc)
        cursor = dbapi_conn.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("trader_begin", "")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")
