"""Accounts."""

from __future__ import annotations

from sqlalchemy import delete, select

from ...core.enums import AccountMode
from ...core.portfolio import Account
from ..models import AccountLinkRow, AccountRow, BalanceRow, FillRow, LedgerRow, OrderRow, PositionRow
from .base import Repository, upsert_row


def account_values(account: Account) -> dict:
    return {
        "account_id": account.account_id,
        "name": account.name,
        "broker": account.broker,
        "mode": account.mode.value,
        "base_currency": account.base_currency,
        "enabled": account.enabled,
        "settings": dict(account.settings),
    }


def account_from_row(row: AccountRow) -> Account:
    return Account(
        account_id=row.account_id,
        name=row.name,
        broker=row.broker,
        mode=AccountMode(row.mode),
        base_currency=row.base_currency,
        enabled=row.enabled,
        settings=dict(row.settings or {}),
    )


class AccountRepository(Repository):
    """``store.accounts``: accounts in creation order."""

    def save(self, account: Account) -> None:
        """Insert or update the account with ``account.account_id``."""
        with self._sessions.begin() as s:
            upsert_row(s, AccountRow, {"account_id": account.account_id}, account_values(account))

    def get(self, account_id: str) -> Account | None:
        with self._sessions() as s:
            row = s.execute(select(AccountRow).filter_by(account_id=account_id)).scalar_one_or_none()
            return None if row is None else account_from_row(row)

    def list(self) -> list[Account]:
        """All accounts, oldest first."""
        with self._sessions() as s:
            return [account_from_row(r) for r in s.execute(select(AccountRow).order_by(AccountRow.id)).scalars()]

    def delete(self, account_id: str) -> bool:
        """Delete the account and everything recorded for it (orders, fills, positions, balances, ledger,
        group links), in one transaction. Returns False if there was no such account (nothing changes)."""
        with self._sessions.begin() as s:
            gone = s.execute(delete(AccountRow).where(AccountRow.account_id == account_id)).rowcount
            if not gone:
                return False
            for model in (OrderRow, FillRow, PositionRow, BalanceRow, LedgerRow, AccountLinkRow):
                s.execute(delete(model).where(model.account_id == account_id))
            return True
