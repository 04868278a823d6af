"""Fixtures for the store tests: a migrated SQLite file per test."""

from __future__ import annotations

import pytest

from trader_app.store import Store


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "data" / "trader.db"


@pytest.fixture
def store(db_path):
    s = Store.open(db_path)
    yield s
    s.close()
