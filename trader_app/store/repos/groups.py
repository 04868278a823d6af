"""Strategy groups."""

from __future__ import annotations

from sqlalchemy import delete, select

from ...core.enums import MarketType
from ...core.groups import StrategyGroup
from ..models import StrategyGroupRow
from .base import Repository, upsert_row


def group_from_row(r: StrategyGroupRow) -> StrategyGroup:
    return StrategyGroup(
        group_name=r.group_name,
        market_type=MarketType(r.market_type),
        description=r.description,
        enabled=r.enabled,
        created_ms=r.created_ms,
    )


class GroupRepository(Repository):
    """``store.groups``: strategy groups by unique ``group_name``."""

    def save(self, group: StrategyGroup) -> None:
        """Insert or update the group named ``group.group_name``. Raises ``ValueError`` for an empty name."""
        if not group.group_name.strip():
            raise ValueError("group_name must not be empty")
        values = {
            "group_name": group.group_name,
            "market_type": group.market_type.value,
            "description": group.description,
            "enabled": group.enabled,
            "created_ms": group.created_ms,
        }
        with self._sessions.begin() as s:
            upsert_row(s, StrategyGroupRow, {"group_name": group.group_name}, values)

    def get(self, group_name: str) -> StrategyGroup | None:
        with self._sessions() as s:
            row = s.get(StrategyGroupRow, group_name)
            return None if row is None else group_from_row(row)

    def list(self) -> list[StrategyGroup]:
        """All groups ordered by name."""
        with self._sessions() as s:
            stmt = select(StrategyGroupRow).order_by(StrategyGroupRow.group_name)
            return [group_from_row(r) for r in s.execute(stmt).scalars()]

    def delete(self, group_name: str) -> bool:
        """Delete the group and (ON DELETE CASCADE) its account links. False if there was no such group."""
        with self._sessions.begin() as s:
            return bool(s.execute(delete(StrategyGroupRow).where(StrategyGroupRow.group_name == group_name)).rowcount)
