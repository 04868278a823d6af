"""The store, durable and checked (issue 12): synchronous=FULL, quick_check on open, online backups with
retention and before migrations, restore, and an order path that fails closed when the store cannot write
(a real full disk and a real read-only data directory on a tmpfs, and the same errors from SQLite limits)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest

from trader_app.__main__ import main as cli_main
from trader_app.app import build_services
from trader_app.store.instance import hold_data_dir
from trader_app.core import QuoteEvent
from trader_app.core.enums import OrderType, Side
from trader_app.core.errors import ConfigError, StoreUnavailable
from trader_app.core.market_data import Quote
from trader_app.core.orders import OrderRequest
from trader_app.store import Store
from trader_app.store.backup import (
    KEEP,
    StoreCorrupt,
    backup_due,
    list_backups,
    make_backup,
    newest_backup,
    quick_check,
    restore,
)


def _fill_db(path: Path, rows: int = 2000) -> Store:
    store = Store.open(path)
    store.kv.set("k", {"v": "x" * 50})
    for i in range(rows):
        store.kv.set(f"key{i}", {"n": i, "pad": "y" * 100})
    return store


def test_every_connection_syncs_each_commit(tmp_path):
    store = Store.open(tmp_path / "trader.db")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        store.close()


def test_a_damaged_database_is_refused_and_the_newest_backup_named(tmp_path):
    db = tmp_path / "trader.db"
    _fill_db(db).close()
    backup = make_backup(db, "daily")
    raw = bytearray(db.read_bytes())
    for offset in range(4096 * 3, len(raw), 4096):  # scribble over the page headers after the schema
        raw[offset:offset + 8] = b"\xff" * 8
    db.write_bytes(bytes(raw))
    assert quick_check(db)
    with pytest.raises(StoreCorrupt) as info:
        Store.open(db)
    assert info.value.backup == backup
    assert "failed its integrity check" in str(info.value) and f"trader-app restore {backup}" in str(info.value)
    # restore puts the backup back, keeps the damaged file, and the store opens again
    moved = restore(db, backup)
    assert moved.name.startswith("trader.db.replaced-") and moved.exists()
    store = Store.open(db)
    try:
        assert store.kv.get("key1999")["n"] == 1999
    finally:
        store.close()


def test_backups_are_online_consistent_and_kept_by_kind(tmp_path):
    db = tmp_path / "trader.db"
    store = _fill_db(db, 200)
    try:
        t0 = 1_764_806_400.0  # 2025-12-04 00:00 UTC
        made = [make_backup(db, "daily", now_s=t0 + i * 86_400) for i in range(KEEP["daily"] + 3)]
        kept = list_backups(db, "daily")
        assert kept == made[-KEEP["daily"]:]  # the oldest three dropped
        assert newest_backup(db) == made[-1]
        assert not backup_due(db, now_s=t0 + (KEEP["daily"] + 2) * 86_400 + 3600)
        assert backup_due(db, now_s=t0 + (KEEP["daily"] + 3) * 86_400 + 1)
        copy = sqlite3.connect(made[-1])
        try:
            assert copy.execute("SELECT count(*) FROM kv").fetchone()[0] == 201
        finally:
            copy.close()
        with pytest.raises(ConfigError, match="unknown backup kind"):
            make_backup(db, "hourly")
    finally:
        store.close()


def test_a_schema_upgrade_is_preceded_by_a_backup(tmp_path):
    from trader_app.store.engine import make_engine, sqlite_url
    from trader_app.store.migrate import upgrade

    db = tmp_path / "trader.db"
    engine = make_engine(sqlite_url(db))
    upgrade(engine, "0002")  # an older release's schema
    engine.dispose()
    Store.open(db).close()
    (pre,) = list_backups(db, "pre-migration")
    conn = sqlite3.connect(pre)
    try:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0].startswith("0002")
    finally:
        conn.close()
    Store.open(db).close()  # at head now: no second backup
    assert len(list_backups(db, "pre-migration")) == 1


def test_backup_and_restore_commands(tmp_path, capsys):
    home = tmp_path / "home"
    _fill_db(home / "trader.db", 10).close()
    assert cli_main(["backup", "--data-dir", str(home)]) == 0
    (made,) = list_backups(home / "trader.db", "manual")
    assert f"backup written: {made}" in capsys.readouterr().out
    lock = hold_data_dir(home)  # a running app holds the data directory
    try:
        assert cli_main(["restore", str(made), "--data-dir", str(home)]) == 2
        assert "another Trader App is running" in capsys.readouterr().err
    finally:
        lock.release()
    assert cli_main(["restore", str(made), "--data-dir", str(home)]) == 0
    assert "the replaced database is" in capsys.readouterr().out
    bogus = tmp_path / "not-a-db.db"
    bogus.write_bytes(b"hello" * 1000)
    assert cli_main(["restore", str(bogus), "--data-dir", str(home)]) == 2
    assert "not a sound database" in capsys.readouterr().err


# ---- fail closed ----------------------------------------------------------------------------------------
class CountingPlace:
    """Wraps a broker's place_order to count what reaches the venue."""

    def __init__(self, broker) -> None:
        self.calls = 0
        self._inner = broker.place_order
        broker.place_order = self

    async def __call__(self, request):
        self.calls += 1
        return await self._inner(request)


async def _started(data_dir: Path):
    services = build_services(data_dir, demo=False, start_webhook=False)
    await services.start()
    account = services.accounts.list()[0].account_id
    now = int(time.time() * 1000)
    services.bus.publish(QuoteEvent(Quote("BTC/USDT", now, Decimal("64999"), Decimal("65001"), Decimal("65000"),
                                          Decimal(1), Decimal("64000"))))
    await services.bus.drain()
    broker = services.order_manager.broker(account)
    return services, account, CountingPlace(broker)


def _on_every_connection(store: Store, sql: str) -> None:
    """Apply ``sql`` to every connection the store opens from now on (the worker opens a new one after a
    broken batch), as a disk that stays full or read-only would."""
    from sqlalchemy import event

    event.listen(store.engine, "connect", lambda dbapi_conn, _rec: dbapi_conn.execute(sql))


def _pragma(store: Store, sql: str) -> None:
    store.db.ambient.exec_driver_sql(sql)


def _request(account: str, n: int) -> OrderRequest:
    return OrderRequest(account, "BTC/USDT", Side.BUY, OrderType.MARKET, Decimal("0.01"), f"fc-{n}")


async def _assert_fails_closed(services, account, counting, why: str) -> None:
    with pytest.raises(StoreUnavailable, match=why):
        await services.order_manager.submit(_request(account, 2))
    assert counting.calls == 1  # only the order placed before the failure reached the venue
    state = services.risk_book.kill_switch(account)
    assert state is not None and "order journal cannot be written" in state.reason and why in state.reason
    with pytest.raises(Exception, match="kill switch tripped"):  # refused before the journal from now on
        await services.order_manager.submit(_request(account, 3))
    assert counting.calls == 1


async def test_a_journal_write_the_database_refuses_fails_closed(tmp_path, monkeypatch):
    """The order path alone, everywhere (the tmpfs tests below need root): the journal's job gets SQLite's
    "database or disk is full" as the driver raises it."""
    import sqlalchemy.exc

    services, account, counting = await _started(tmp_path / "data")
    try:
        await services.order_manager.submit(_request(account, 1))

        def full(_orders):
            raise sqlalchemy.exc.OperationalError("INSERT INTO orders", {}, sqlite3.OperationalError(
                "database or disk is full"))

        monkeypatch.setattr(services.store.orders, "insert_new_many", full)
        await _assert_fails_closed(services, account, counting, "full")
    finally:
        with contextlib.suppress(Exception):
            await services.stop()


async def test_a_read_only_database_fails_closed(tmp_path):
    services, account, counting = await _started(tmp_path / "data")
    try:
        await services.order_manager.submit(_request(account, 1))
        _on_every_connection(services.store, "PRAGMA query_only=ON")
        await services.store.run(_pragma, services.store, "PRAGMA query_only=ON")
        await _assert_fails_closed(services, account, counting, "readonly")
    finally:
        with contextlib.suppress(Exception):
            await services.stop()


@contextlib.contextmanager
def _tmpfs(path: Path, size: str = "4m"):
    path.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True,
                       capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN); the injected-error tests above "
                    "cover the order path")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=10)


async def test_a_real_full_disk_fails_closed(tmp_path):
    with _tmpfs(tmp_path / "disk", "6m") as disk:
        services, account, counting = await _started(disk / "data")
        try:
            await services.order_manager.submit(_request(account, 1))
            fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)  # fill the disk to the last byte
            try:
                for chunk in (65536, 512, 1):
                    with contextlib.suppress(OSError):
                        while True:
                            os.write(fd, b"\0" * chunk)
            finally:
                os.close(fd)
            await _assert_fails_closed(services, account, counting, "full")
        finally:
            with contextlib.suppress(Exception):
                await services.stop()


async def test_a_read_only_data_directory_is_refused_at_start(tmp_path):
    """A data directory that cannot be written (a read-only mount) never gets as far as trading."""
    with _tmpfs(tmp_path / "disk", "16m") as disk:
        services, _account, _counting = await _started(disk / "data")
        await services.stop()
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True, capture_output=True, timeout=10)
        try:
            with pytest.raises(StoreUnavailable, match="is read-only: Trader App writes every order to its journal"):
                build_services(disk / "data", demo=False, start_webhook=False)
        finally:
            subprocess.run(["mount", "-o", "remount,rw", str(disk)], capture_output=True, timeout=10)
