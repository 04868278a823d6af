"""Recorded signals with each account's outcome."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ...core.enums import SignalSource
from ...core.groups import SignalRecord
from ..models import SignalRow
from .base import Repository, Upsert


def signal_from_row(r: SignalRow) -> SignalRecord:
    return SignalRecord(
        signal_id=r.signal_id,
        source=SignalSource(r.source),
        group_name=r.group_name,
        payload=r.payload,
        ts_ms=r.ts_ms,
        duplicate=r.duplicate,
        results=tuple(r.results or ()),
        idempotency_key=r.idem_key,
        idempotency_expires_ms=r.idem_expires_ms,
    )


class SignalRepository(Repository):
    """``store.signals``: unique by ``signal_id``. Payload/results are JSON (Decimals become strings)."""

    def __init__(self, sessions: Any) -> None:
        super().__init__(sessions)
        self._upsert = Upsert(sessions, SignalRow, ("signal_id",),
                              ("signal_id", "source", "group_name", "payload", "ts_ms", "duplicate", "results", "idem_key",
                               "idem_expires_ms"))

    def save(self, record: SignalRecord) -> None:
        """Insert the signal or replace the stored one with the same ``signal_id`` (e.g. with results).
        Raises ``TypeError`` (nothing saved) if payload/results are not JSON-able."""
        values = {
            "signal_id": record.signal_id,
            "source": record.source.value,
            "group_name": record.group_name,
            "payload": record.payload,
            "ts_ms": record.ts_ms,
            "duplicate": record.duplicate,
            "results": list(record.results),
            "idem_key": record.idempotency_key,
            "idem_expires_ms": record.idempotency_expires_ms,
        }
        self._upsert(values)

    def get(self, signal_id: str) -> SignalRecord | None:
        with self._sessions() as s:
            row = s.execute(select(SignalRow).filter_by(signal_id=signal_id)).scalar_one_or_none()
            return None if row is None else signal_from_row(row)

    def list(self, limit: int | None = 100, group_name: str | None = None) -> list[SignalRecord]:
        """Newest first (``ts_ms`` descending, then arrival order), at most ``limit`` (None = all)."""
        stmt = select(SignalRow)
        if group_name is not None:
            stmt = stmt.where(SignalRow.group_name == group_name)
        stmt = stmt.order_by(SignalRow.ts_ms.desc(), SignalRow.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._sessions() as s:
            return [signal_from_row(r) for r in s.execute(stmt).scalars()]

    def live_keys(self, now_ms: int) -> list[tuple[str, int, str]]:
        """``(idempotency_key, expires_ms, signal_id)`` of every recorded signal whose key still holds at
        ``now_ms``, oldest first (the executor's idempotency filter is loaded from it at start-up)."""
        stmt = (select(SignalRow.idem_key, SignalRow.idem_expires_ms, SignalRow.signal_id)
                .where(SignalRow.idem_key.is_not(None), SignalRow.idem_expires_ms >= now_ms)
                .order_by(SignalRow.ts_ms, SignalRow.id))
        with self._sessions() as s:
            return [(k, int(e), sid) for k, e, sid in s.execute(stmt)]

    def since(self, ts_ms: int) -> list[SignalRecord]:
        """Every signal received at or after ``ts_ms`` (epoch ms UTC), oldest first."""
        stmt = select(SignalRow).where(SignalRow.ts_ms >= ts_ms).order_by(SignalRow.ts_ms, SignalRow.id)
        with self._sessions() as s:
            return [signal_from_row(r) for r in s.execute(stmt).scalars()]
