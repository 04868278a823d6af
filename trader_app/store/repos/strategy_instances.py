"""Configured strategy instances (parameters and persisted state)."""

from __future__ import annotations

from sqlalchemy import delete, select

from ...core.enums import Interval
from ...core.groups import StrategyInstanceRecord
from ..models import StrategyInstanceRow
from .base import Repository, upsert_row


def instance_from_row(r: StrategyInstanceRow) -> StrategyInstanceRecord:
    return StrategyInstanceRecord(
        name=r.name,
        strategy=r.strategy,
        group_name=r.group_name,
        symbols=tuple(r.symbols or ()),
        interval=Interval(r.interval),
        params=dict(r.params or {}),
        state=dict(r.state or {}),
        running=r.running,
    )


class StrategyInstanceRepository(Repository):
    """``store.strategy_instances``: unique by ``name``."""

    def save(self, record: StrategyInstanceRecord) -> None:
        """Insert or replace the instance named ``record.name``. Raises ``TypeError`` (nothing saved) if
        params/state are not JSON-able."""
        values = {
            "name": record.name,
            "strategy": record.strategy,
            "group_name": record.group_name,
            "symbols": list(record.symbols),
            "interval": record.interval.value,
            "params": record.params,
            "state": record.state,
            "running": record.running,
        }
        with self._sessions.begin() as s:
            upsert_row(s, StrategyInstanceRow, {"name": record.name}, values)

    def get(self, name: str) -> StrategyInstanceRecord | None:
        with self._sessions() as s:
            row = s.get(StrategyInstanceRow, name)
            return None if row is None else instance_from_row(row)

    def list(self) -> list[StrategyInstanceRecord]:
        """All instances ordered by name."""
        with self._sessions() as s:
            stmt = select(StrategyInstanceRow).order_by(StrategyInstanceRow.name)
            return [instance_from_row(r) for r in s.execute(stmt).scalars()]

    def delete(self, name: str) -> bool:
        """Delete the instance. False if there was none."""
        with self._sessions.begin() as s:
            return bool(s.execute(delete(StrategyInstanceRow).where(StrategyInstanceRow.name == name)).rowcount)
