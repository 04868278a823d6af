"""The ``Store``: one database (SQLite file by default), its repositories and its single writer thread."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from ..core.errors import StoreUnavailable

from .engine import make_engine, sqlite_url
from .backup import StoreCorrupt, make_backup, newest_backup, quick_check
from .migrate import current_revision, head_revision, upgrade
from .repos import (
    AccountRepository,
    BalanceRepository,
    BarRepository,
    FillRepository,
    GroupRepository,
    KeyValueRepository,
    LedgerRepository,
    LinkRepository,
    OrderRepository,
    PositionRepository,
    ReportRepository,
    RiskEventRepository,
    SignalRepository,
    StrategyInstanceRepository,
    WatchlistRepository,
)
from .session import Database
from .worker import StoreWorker

T = TypeVar("T")

DB_FILE = "trader.db"
WORKER_THREAD_NAME = "trader-store"


class Store:
    """The persistence layer. Create with ``Store.open(...)``; ``close()`` when done (also a context manager).

    Repositories (sync; from async code call them via ``await store.run(...)``): ``accounts``, ``orders``,
    ``fills``, ``positions``, ``balances``, ``ledger``, ``watchlist``, ``bars``, ``groups``, ``links``,
    ``signals``, ``strategy_instances``, ``kv``.
    """

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url
        sessions = self.db = Database(engine)
        self.accounts = AccountRepository(sessions)
        self.orders = OrderRepository(sessions)
        self.fills = FillRepository(sessions)
        self.positions = PositionRepository(sessions)
        self.balances = BalanceRepository(sessions)
        self.ledger = LedgerRepository(sessions)
        self.watchlist = WatchlistRepository(sessions)
        self.bars = BarRepository(sessions)
        self.groups = GroupRepository(sessions)
        self.links = LinkRepository(sessions)
        self.signals = SignalRepository(sessions)
        self.strategy_instances = StrategyInstanceRepository(sessions)
        self.kv = KeyValueRepository(sessions)
        self.reports = ReportRepository(sessions)
        self.risk_events = RiskEventRepository(sessions)
        self._worker = StoreWorker(sessions, f"{WORKER_THREAD_NAME}_0")
        self._closed = False
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path | str | None = None, *, url: str | None = None) -> "Store":
        """Open (creating if needed) the database and migrate it to the newest schema (``alembic upgrade head``).

        ``path``: SQLite file; a directory means ``<dir>/trader.db``; ``None`` means ``trader.db`` in the data
        directory (``TRADER_APP_HOME`` or the platform default). The parent folder is created.
        ``url``: any SQLAlchemy URL instead (``postgresql+psycopg://...``). ``":memory:"`` or ``url="sqlite://"``
        is an in-memory database shared by all threads through one connection (for tests).
        A database file must pass ``PRAGMA quick_check`` first (``StoreCorrupt`` names the newest backup); one
        that needs a schema upgrade is backed up first (``backups/``, kind ``pre-migration``).
        Raises ``ValueError`` if both are given; ``ConfigError`` if the data directory cannot be created;
        SQLAlchemy/alembic errors if the database cannot be opened or migrated.
        """
        if path is not None and url is not None:
            raise ValueError("give either a path or a url, not both")
        if path == ":memory:":
            path, url = None, "sqlite://"
        file: Path | None = None
        if url is None:
            if path is None:
                from ..config import resolve_data_dir

                file = resolve_data_dir() / DB_FILE
            else:
                file = Path(path).expanduser()
                if file.is_dir():
                    file = file / DB_FILE
            file.parent.mkdir(parents=True, exist_ok=True)
            if not os.access(file.parent, os.W_OK):  # a read-only mount: no journal, so no trading at all
                raise StoreUnavailable(f"the data directory {file.parent} is read-only: Trader App writes every "
                                       "order to its journal there before sending it")
            url = sqlite_url(file)
            problems = quick_check(file)  # a damaged file is refused before anything writes to it
            if problems:
                raise StoreCorrupt(file, problems, newest_backup(file))
        engine = make_engine(url)
        try:
            if file is not None and file.is_file() and file.stat().st_size > 0:
                if current_revision(engine) != head_revision():  # an upgrade ahead: keep the old schema's data
                    make_backup(file, "pre-migration")
            upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, url)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(*args, **kwargs)`` on the store's one worker thread and await its result (exceptions
        propagate). Calls run one at a time in submission order, so writes stay ordered and off the loop.

        Group commit (``worker.py``): the calls queued together run in one transaction, each in a SAVEPOINT
        (a call that raises has all its writes rolled back, and only its own); the result is returned only
        once that transaction is COMMITTED, so when ``await store.run(...)`` returns, the writes are durable
        (``synchronous=FULL``: synced to disk, they survive a power loss). ``fn`` must reach the database through the
        store's repositories (or ``store.db``), never a connection of its own.
        Raises ``RuntimeError`` after ``close()``; ``StoreUnavailable`` when SQLite cannot write or read
        (disk full, read-only, locked, I/O error: its own words in the message); if the batch's commit fails
        for another reason, that error."""
        with self._lock:
            if self._closed:
                raise RuntimeError("store is closed")
            future = self._worker.submit(functools.partial(fn, *args, **kwargs))
        try:
            return await future
        except OperationalError as exc:
            raise StoreUnavailable(f"the database refused the operation: {exc.orig}") from exc

    def close(self) -> None:
        """Finish queued work, stop the worker thread and release the database. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._worker.stop()
        self.engine.dispose()

    @property
    def worker(self) -> StoreWorker:
        """The writer thread (``batches`` committed and ``jobs`` run, for benches)."""
        return self._worker

    @property
    def path(self) -> Path | None:
        """The database file (None for an in-memory or non-SQLite database)."""
        parsed = make_url(self.url)
        if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
            return None
        return Path(parsed.database)

    @property
    def closed(self) -> bool:
        return self._closed

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
