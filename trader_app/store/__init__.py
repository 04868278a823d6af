"""Persistence: SQLAlchemy 2 models and repositories over one database (SQLite in WAL mode by default),
migrated by alembic at open, written from one worker thread (``await store.run(...)``).

``from trader_app.store import Store``; see ``Store`` for the repositories.
"""

from .store import Store

__all__ = ["Store"]
