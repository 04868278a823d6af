"""Shared plumbing of the repositories."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..models import Base

RowT = TypeVar("RowT", bound=Base)


class Repository:
    """Holds the session factory. Each public method opens one session and commits it (or rolls back)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions


def upsert_row(session: Session, model: type[RowT], key: dict[str, Any], values: dict[str, Any]) -> RowT:
    """Insert ``values`` as a new ``model`` row, or update the row matching ``key`` (portable: works the
    same on SQLite and PostgreSQL; the store's single writer thread keeps it race-free)."""
    stmt = select(model).filter_by(**key)
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        row = model(**values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    return row
