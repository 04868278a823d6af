"""Shared plumbing of the repositories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Base

RowT = TypeVar("RowT", bound=Base)


class Repository:
    """Holds the ``Database`` (``store/session.py``): each public method runs in its own transaction, or, on
    the store worker inside a batch, in a SAVEPOINT of the batch's transaction (committed with the batch)."""

    def __init__(self, sessions: Any) -> None:
        self._sessions = sessions


def upsert_row(session: Session, model: type[RowT], key: dict[str, Any], values: dict[str, Any]) -> RowT:
    """Insert ``values`` as a new ``model`` row, or update the row matching ``key`` (portable: works the
    same on any database; the store's single writer thread keeps it race-free). The slow path: one SELECT
    and one flush through the ORM; ``Upsert`` is the one-statement path on SQLite/PostgreSQL."""
    stmt = select(model).filter_by(**key)
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        row = model(**values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    return row


class _DriverStatement:
    """The compiled SQL of a statement and its columns' bind processors (``DecimalText``/``JSONText``:
    the same conversions and the same ``TypeError`` for a float as through SQLAlchemy), executed straight
    on the DBAPI cursor: an executemany of N rows costs about a tenth of SQLAlchemy's per-row parameter
    handling. Only for positional ("qmark", SQLite) drivers; ``build`` returns None otherwise."""

    def __init__(self, sql: str, names: tuple[str, ...], processors: list[Any]) -> None:
        self.sql = sql
        self.names = names
        self.processors = processors

    @classmethod
    def build(cls, stmt: Any, dialect: Any, model: type[Base], columns: Sequence[str]) -> "_DriverStatement | None":
        if stmt is None or dialect.paramstyle != "qmark":
            return None
        compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
        names = tuple(compiled.positiontup or ())
        if sorted(names) != sorted(columns):
            return None
        table = model.__table__
        return cls(str(compiled), names, [table.c[n].type.bind_processor(dialect) for n in names])

    def executemany(self, conn: Any, rows: Sequence[dict[str, Any]]) -> None:
        pairs = list(zip(self.names, self.processors))
        params = [tuple(v if p is None else p(v) for n, p in pairs for v in (row[n],)) for row in rows]
        conn.exec_driver_sql(self.sql, params)


def _dialect_insert(dialect: str) -> Any:
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        return None
    return insert


class Upsert:
    """One-statement write of a row keyed by a unique constraint, through SQLAlchemy Core (no ORM select and
    flush): ``INSERT .. ON CONFLICT (key) DO UPDATE SET <every other given column>`` (``replace=True``) or
    ``INSERT .. ON CONFLICT (key) DO NOTHING`` (``replace=False``), as SQLite (>= 3.24) and PostgreSQL spell
    it. Column types (``DecimalText``, ``JSONText``) apply as with the ORM. On another database it falls
    back to the portable ORM path (SELECT, then INSERT or UPDATE) with the same results.

    ``db``: the repository's ``Database``; ``model``: the mapped class; ``key``: the unique columns;
    ``columns``: every column a call provides (the key included).
    """

    def __init__(self, db: Any, model: type[Base], key: Sequence[str], columns: Sequence[str], *,
                 replace: bool = True) -> None:
        self._db = db
        self._model = model
        self._key = tuple(key)
        self._replace = replace
        insert = _dialect_insert(db.engine.dialect.name)
        self._stmt: Any = None
        if insert is not None:
            stmt = insert(model.__table__)
            if replace:
                updated = [c for c in columns if c not in self._key]
                stmt = stmt.on_conflict_do_update(index_elements=list(self._key),
                                                  set_={c: stmt.excluded[c] for c in updated})
            else:
                stmt = stmt.on_conflict_do_nothing(index_elements=list(self._key))
            self._stmt = stmt
        self._driver = _DriverStatement.build(self._stmt, db.engine.dialect, model, columns)

    def many(self, rows: Sequence[dict[str, Any]]) -> list[bool]:
        """Write several rows, in order, atomically (all or none): with ``replace=True`` one executemany of
        the upsert (a key given twice ends with its last values; every entry True); with ``replace=False``
        one SELECT of the keys already stored, then one executemany INSERT of the others (a key given twice:
        only its first row is inserted). Returns, per row, whether it was written."""
        if not rows:
            return []
        if self._stmt is None:
            with self._db.savepoint():
                return [self(r) for r in rows]
        if self._replace:
            with self._db.write() as conn:
                self._executemany(conn, rows)
            return [True] * len(rows)
        table = self._model.__table__
        keys = [tuple(r[k] for k in self._key) for r in rows]
        narrow = table.c[self._key[-1]]  # the most selective key column
        out: list[bool] = []
        with self._db.savepoint() as conn:
            stored: set[tuple[Any, ...]] = set()
            wanted = sorted({k[-1] for k in keys})
            for start in range(0, len(wanted), 500):
                stmt = select(*(table.c[k] for k in self._key)).where(narrow.in_(wanted[start:start + 500]))
                stored.update(tuple(row) for row in conn.execute(stmt))
            new = []
            for key, row in zip(keys, rows):
                fresh = key not in stored
                out.append(fresh)
                if fresh:
                    stored.add(key)
                    new.append(row)
            if new:
                self._executemany(conn, new)
        return out

    def _executemany(self, conn: Any, rows: Sequence[dict[str, Any]]) -> None:
        if self._driver is not None:
            self._driver.executemany(conn, rows)
        else:
            conn.execute(self._stmt, list(rows))

    def __call__(self, values: dict[str, Any]) -> bool:
        """Write ``values`` (one row). Returns True if a row was inserted or replaced, False if
        ``replace=False`` and the key already existed (nothing changed). Database errors propagate."""
        if self._stmt is not None:
            with self._db.write() as conn:
                return conn.execute(self._stmt, values).rowcount > 0
        key = {k: values[k] for k in self._key}
        with self._db.begin() as s:
            if self._replace:
                upsert_row(s, self._model, key, values)
                return True
            if s.execute(select(self._model).filter_by(**key)).first() is not None:
                return False
            s.add(self._model(**values))
            return True
