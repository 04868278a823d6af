"""Opening the store: engine settings, alembic migrations against the ORM metadata, URL forms."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from trader_app.store import Store
from trader_app.store.migrate import current_revision, head_revision, migrations_dir
from trader_app.store.models import Base


def test_migrated_schema_matches_the_orm_metadata(store):
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        assert compare_metadata(context, Base.metadata) == []


def test_migration_creates_every_table_and_is_at_head(store):
    tables = set(inspect(store.engine).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    assert head_revision() == "0005"
    assert current_revision(store.engine) == "0005"


def test_sqlite_pragmas_are_set_on_every_connection(store):
    with store.engine.connect() as conn:
        values = [conn.execute(text(f"PRAGMA {name}")).scalar() for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")]
    assert values == ["wal", 2, 1, 5000]  # synchronous 2 = FULL (engine.py says why)


def test_open_creates_the_parent_folder_and_reopen_is_idempotent(tmp_path):
    path = tmp_path / "a" / "b" / "trader.db"
    Store.open(path).close()
    assert path.is_file()
    with Store.open(path) as again:
        assert current_revision(again.engine) == "0005"


def test_in_memory_url_is_migrated_and_shared_across_threads():
    import threading

    with Store.open(url="sqlite://") as store:
        store.watchlist.set(["AAPL"])
        seen = []
        t = threading.Thread(target=lambda: seen.append(store.watchlist.get()))
        t.start()
        t.join()
        assert seen == [["AAPL"]]


def test_path_and_url_together_are_refused(tmp_path):
    with pytest.raises(ValueError):
        Store.open(tmp_path / "x.db", url="sqlite://")


def test_migrations_folder_is_a_real_directory_with_the_scripts():
    with migrations_dir() as location:
        assert (location / "env.py").is_file()
        assert (location / "script.py.mako").is_file()
        assert (location / "versions" / "0001_initial.py").is_file()


def test_money_columns_are_text_in_the_migrated_schema(store):
    columns = {c["name"]: str(c["type"]) for c in inspect(store.engine).get_columns("orders")}
    assert (columns["quantity"], columns["price"], columns["created_ms"]) == ("TEXT", "TEXT", "BIGINT")


def test_migrations_can_be_extracted_from_a_zip(tmp_path):
    """A zip import (no real folder) is copied out so alembic gets a directory."""
    import zipfile

    from trader_app.store.migrate import _copy_tree

    with migrations_dir() as location:
        archive = tmp_path / "m.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for path in location.rglob("*"):
                if path.is_file() and "__pycache__" not in path.parts:
                    zf.write(path, path.relative_to(location.parent).as_posix())
        _copy_tree(zipfile.Path(archive) / "migrations/", tmp_path / "out")
        originals = sorted(p.relative_to(location).as_posix() for p in location.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    copied = sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert copied == originals
    assert "versions/0001_initial.py" in copied


def test_memory_path_means_an_in_memory_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with Store.open(":memory:") as store:
        assert store.url == "sqlite://"
        store.kv.set("k", 1)
        assert store.kv.get("k") == 1
    assert not (tmp_path / ":memory:").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["home"]  # only the per-test TRADER_APP_HOME


def test_bars_stored_before_venues_become_the_paper_venues_bars(tmp_path):
    """Migration 0003: a store written by 0002 (bars keyed by symbol) keeps every bar, as the paper venue's."""
    from decimal import Decimal as D

    from sqlalchemy import create_engine

    from trader_app.core.enums import Interval
    from trader_app.store.migrate import upgrade

    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO bars VALUES ('BTC/USDT', '1m', 60000, '1', '2', '0.5', '1.5', '3', 1)"))
    engine.dispose()
    with Store.open(path) as store:
        assert current_revision(store.engine) == "0005"
        (bar,) = store.bars.load("BTC/USDT", Interval.M1)
        assert (bar.venue, bar.open_time_ms, bar.close, bar.volume) == ("paper", 60000, D("1.5"), D("3"))
        assert store.bars.load("BTC/USDT", Interval.M1, venue="binance") == []
