"""Alembic environment for the Trader App store.

Two ways in:
- the app (``trader_app.store.migrate.upgrade``) passes an open connection in ``config.attributes["connection"]``;
- a developer runs the alembic CLI, e.g.
  ``alembic -c trader_app/store/migrations/alembic.ini revision --autogenerate -m "add x"``; the database is
  ``TRADER_APP_DB_URL`` if set, else ``<data dir>/trader.db`` (``TRADER_APP_HOME`` or the platform default).

``target_metadata`` is the ORM metadata, so autogenerate compares the models with the database.
SQLite uses batch mode (table copy) for ALTERs it cannot do in place.
"""

from __future__ import annotations

import os
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy.types import TypeDecorator

from trader_app.store.engine import make_engine, sqlite_url
from trader_app.store.models import Base

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our TypeDecorators (DecimalText, JSONText) as their plain column type in migration scripts,
    so migrations never import app code that may change later."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"
    return False


def _configure(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )


def _developer_url() -> str:
    url = os.environ.get("TRADER_APP_DB_URL") or config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from trader_app.config import resolve_data_dir

    return sqlite_url(resolve_data_dir() / "trader.db")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_developer_url())
    try:
        with engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=_developer_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
