"""Key/value settings that belong with the data (never secrets)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from ..models import KeyValueRow
from ..types import dumps
from .base import Repository, upsert_row


class KeyValueRepository(Repository):
    """``store.kv``: JSON values by string key."""

    def get(self, key: str, default: Any = None) -> Any:
        """The stored value (as JSON decoded it: Decimals come back as strings), or ``default``."""
        with self._sessions() as s:
            row = s.get(KeyValueRow, key)
            return default if row is None else row.value

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``. Raises ``TypeError`` (nothing stored) if it is not JSON-able."""
        dumps(value)  # fail before touching the database
        with self._sessions.begin() as s:
            upsert_row(s, KeyValueRow, {"key": key}, {"key": key, "value": value})

    def delete(self, key: str) -> bool:
        """Remove ``key``. False if it was not set."""
        with self._sessions.begin() as s:
            return bool(s.execute(delete(KeyValueRow).where(KeyValueRow.key == key)).rowcount)
