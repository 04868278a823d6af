"""Schema migrations: ``alembic upgrade head`` run programmatically when the store opens.

The scripts live in ``trader_app/resources/migrations`` (package data: in the wheel and, as data files, in
the PyInstaller bundle). Alembic needs a real directory, so a resource inside a zip is extracted first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import as_file, files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


@contextmanager
def migrations_dir() -> Iterator[Path]:
    """The migrations folder as a real filesystem path (for the duration of the ``with``)."""
    resource = files("trader_app.resources") / "migrations"
    if isinstance(resource, Path):
        yield resource
        return
    with as_file(resource) as path:  # zip import: extracted to a temporary directory
        yield Path(path)


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
