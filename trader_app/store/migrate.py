"""Schema migrations: ``alembic upgrade head`` run programmatically when the store opens.

The scripts live beside this module in ``trader_app/store/migrations`` (package data: in the wheel and, as
data files, in the PyInstaller bundle). Alembic needs a real directory, so a resource inside a zip is extracted first.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


@contextmanager
def migrations_dir() -> Iterator[Path]:
    """The migrations folder as a real filesystem path (for the duration of the ``with``)."""
    resource = files("trader_app.store") / "migrations"
    if isinstance(resource, Path):  # wheel install, source tree, PyInstaller one-folder bundle
        yield resource
        return
    with tempfile.TemporaryDirectory(prefix="trader-migrations-") as tmp:  # zip import: extract a copy
        target = Path(tmp) / "migrations"
        _copy_tree(resource, target)
        yield target


def _copy_tree(source: Traversable, target: Path) -> None:
    """Copy a resource folder (any ``Traversable``, e.g. inside a zip) to ``target``, skipping caches."""
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.name == "__pycache__":
            continue
        if item.is_dir():
            _copy_tree(item, target / item.name)
        else:
            (target / item.name).write_bytes(item.read_bytes())


def alembic_config(script_location: Path) -> Config:
    """An alembic ``Config`` without an ini file (the app's logging is left alone)."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest). Idempotent; runs in one transaction."""
    with migrations_dir() as location, engine.begin() as connection:
        config = alembic_config(location)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` before the first migration)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with the app."""
    with migrations_dir() as location:
        return ScriptDirectory.from_config(alembic_config(location)).get_current_head()
