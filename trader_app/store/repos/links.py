"""Accounts linked to strategy groups."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import delete, select

from ...core.errors import DuplicateLink, TraderError
from ...core.groups import AccountLink
from ..models import AccountLinkRow, StrategyGroupRow
from .base import Repository


def link_from_row(r: AccountLinkRow) -> AccountLink:
    return AccountLink(
        group_name=r.group_name,
        account_id=r.account_id,
        weight=r.weight,
        leverage=r.leverage,
        max_positions=r.max_positions,
    )


def _values(link: AccountLink) -> dict:
    return {
        "weight": Decimal(link.weight),
        "leverage": Decimal(link.leverage),
        "max_positions": int(link.max_positions),
    }


class LinkRepository(Repository):
    """``store.links``: at most one link per (group_name, account_id)."""

    def add(self, link: AccountLink) -> None:
        """Link an account to a group. Raises ``DuplicateLink`` if that pair exists, ``TraderError`` if the
        group does not exist; either way nothing changes. (Range checks of weight etc. are the caller's.)"""
        with self._sessions.begin() as s:
            if s.get(StrategyGroupRow, link.group_name) is None:
                raise TraderError(f"unknown strategy group {link.group_name!r}")
            if s.get(AccountLinkRow, (link.group_name, link.account_id)) is not None:
                raise DuplicateLink(link.group_name, link.account_id)
            s.add(AccountLinkRow(group_name=link.group_name, account_id=link.account_id, **_values(link)))

    def update(self, link: AccountLink) -> None:
        """Change weight, leverage and max_positions of an existing link. Raises ``TraderError`` if there is
        no such link (nothing changes)."""
        with self._sessions.begin() as s:
            row = s.get(AccountLinkRow, (link.group_name, link.account_id))
            if row is None:
                raise TraderError(f"account {link.account_id!r} is not linked to strategy group {link.group_name!r}")
            for name, value in _values(link).items():
                setattr(row, name, value)

    def remove(self, group_name: str, account_id: str) -> bool:
        """Unlink. Returns False if the link did not exist."""
        with self._sessions.begin() as s:
            stmt = delete(AccountLinkRow).where(
                AccountLinkRow.group_name == group_name, AccountLinkRow.account_id == account_id
            )
            return bool(s.execute(stmt).rowcount)

    def list(self, group_name: str | None = None, account_id: str | None = None) -> list[AccountLink]:
        """Links ordered by (group_name, account_id), optionally filtered."""
        stmt = select(AccountLinkRow).order_by(AccountLinkRow.group_name, AccountLinkRow.account_id)
        if group_name is not None:
            stmt = stmt.where(AccountLinkRow.group_name == group_name)
        if account_id is not None:
            stmt = stmt.where(AccountLinkRow.account_id == account_id)
        with self._sessions() as s:
            return [link_from_row(r) for r in s.execute(stmt).scalars()]
