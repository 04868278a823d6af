"""The accounts table: one row per (account, currency) with the mark-to-market summary."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from PySide6.QtCore import QModelIndex, Qt

from ...core.enums import SessionState
from ...core.events import AccountEvent
from ...core.portfolio import Account, AccountSummary, Balance
from .. import theme
from .base import LEFT, Column, KeyedTableModel
from .format import amount, sign_colour


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One account in one currency. Money in that currency (Decimal); ``equity`` = cash + market value of
    the positions quoted in it (from ``PortfolioService``); None until the first summary arrives."""

    account_id: str
    name: str
    broker: str
    mode: str
    session: SessionState
    currency: str
    cash: Decimal | None = None
    equity: Decimal | None = None
    unrealized_pnl: Decimal | None = None
    realized_pnl: Decimal | None = None
    day_pnl: Decimal | None = None
    locked: Decimal | None = None
    error: str = ""  # why it is not trading: the connection error, or positions awaiting acceptance
    warning: str = ""  # what to know about a connected account (e.g. a key that can withdraw)


def _session_text(row: AccountRow) -> str:
    """The session state; STOPPED for a connected account that may not trade (see the tooltip)."""
    if row.session is SessionState.CONNECTED and row.error:
        return "STOPPED"
    if row.session is SessionState.CONNECTED and row.warning:
        return "CONNECTED ⚠"
    return row.session.value


def _session_colour(row: AccountRow):
    if row.session is SessionState.CONNECTED and not row.error:
        return theme.WARN_COLOR if row.warning else theme.UP_COLOR
    if row.session in (SessionState.ERROR, SessionState.DOWN, SessionState.BANNED) or row.error:
        return theme.DOWN_COLOR
    return theme.WARN_COLOR


class AccountsModel(KeyedTableModel):
    """Rows keyed by (account_id, currency), fed by AccountEvents, Balances and AccountSummaries.

    An account's currencies are grouped: a new currency row goes right under its account's other rows, and
    the rows after an account's first leave Account, Broker, Mode and Session blank, so one account reads as
    one block with a line per currency.
    """

    GROUPED_COLUMNS = 4  # Account, Broker, Mode, Session: shown on an account's first row only

    def __init__(self, parent=None) -> None:
        columns = [
            Column("Account", lambda r: r.name, align=LEFT, width=70),
            Column("Broker", lambda r: r.broker, align=LEFT, width=60, optional=3),
            Column("Mode", lambda r: r.mode, align=LEFT, width=48, optional=4),
            Column("Session", lambda r: r.session.value, _session_text, align=LEFT, colour=_session_colour, width=90,
                   tooltip=lambda r: "\n".join(t for t in (r.error, r.warning) if t)),
            Column("Ccy", lambda r: r.currency, align=LEFT, width=40),
            Column("Equity", lambda r: r.equity, lambda r: amount(r.equity, r.currency), width=80),
            Column("Cash", lambda r: r.cash, lambda r: amount(r.cash, r.currency), width=80, optional=1),
            Column("Unrealized", lambda r: r.unrealized_pnl, lambda r: amount(r.unrealized_pnl, r.currency),
                   colour=lambda r: sign_colour(r.unrealized_pnl), optional=2),
            Column("Day PnL", lambda r: r.day_pnl, lambda r: amount(r.day_pnl, r.currency), colour=lambda r: sign_colour(r.day_pnl)),
        ]
        super().__init__(columns, key=lambda r: (r.account_id, r.currency), parent=parent)
        self._accounts: dict[str, Account] = {}
        self._sessions: dict[str, SessionState] = {}
        self._errors: dict[str, str] = {}
        self._warnings: dict[str, str] = {}
        self.names: dict[str, str] = {}   # account_id -> name, shared with the other models

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if (role == Qt.ItemDataRole.DisplayRole and index.column() < self.GROUPED_COLUMNS and index.row() > 0
                and self.continues_account(index.row())):
            return ""
        return super().data(index, role)

    def continues_account(self, row: int) -> bool:
        """True when ``row`` is not its account's first row (the row above is the same account)."""
        return 0 < row < self.rowCount() and self.record(row - 1).account_id == self.record(row).account_id

    def _insert(self, items: list) -> None:
        for key, record in items:  # each new currency row under the last row of its account
            rows = [i for i, k in enumerate(self.keys()) if k[0] == key[0]]
            at = rows[-1] + 1 if rows else self.rowCount()
            self.beginInsertRows(QModelIndex(), at, at)
            self._keys.insert(at, key)
            self._rows.insert(at, record)
            self._reindex()
            self.endInsertRows()

    def _row(self, account_id: str, currency: str) -> AccountRow:
        existing = self.get((account_id, currency))
        account = self._accounts.get(account_id)
        base = dict(
            account_id=account_id,
            name=account.name if account else account_id,
            broker=account.broker if account else "",
            mode=account.mode.value if account else "",
            session=self._sessions.get(account_id, SessionState.DISCONNECTED),
            currency=currency,
            error=self._errors.get(account_id, ""),
            warning=self._warnings.get(account_id, ""),
        )
        if existing is None:
            return AccountRow(**base)
        keep = {k: getattr(existing, k) for k in ("cash", "equity", "unrealized_pnl", "realized_pnl", "day_pnl", "locked")}
        return AccountRow(**base, **keep)

    def on_accounts(self, events: Iterable[AccountEvent]) -> None:
        """Add, rename or remove accounts and update session states."""
        removed, touched = [], []
        for ev in events:
            aid = ev.account.account_id
            if ev.removed:
                self._accounts.pop(aid, None)
                self.names.pop(aid, None)
                removed.extend(k for k in self.keys() if k[0] == aid)
                continue
            self._accounts[aid] = ev.account
            self.names[aid] = ev.account.name
            self._sessions[aid] = ev.session
            self._errors[aid] = ev.error
            self._warnings[aid] = ev.warning
            touched.append(aid)
        if removed:
            self.remove(removed)
        updates = [self._row(aid, cur) for aid in touched for (a, cur) in self.keys() if a == aid]
        for aid in touched:
            if not any(k[0] == aid for k in self.keys()):
                updates.append(self._row(aid, self._accounts[aid].base_currency))
        if updates:
            self.upsert(updates)

    def on_balances(self, balances: Iterable[Balance]) -> None:
        """Cash per currency (until a summary with equity arrives, equity shows cash)."""
        updates = []
        for bal in balances:
            row = self._row(bal.account_id, bal.currency)
            equity = row.equity if row.equity is not None else bal.total
            updates.append(replace(row, cash=bal.total, locked=bal.locked, equity=equity))
        if updates:
            self.upsert(updates)

    def on_summaries(self, summaries: Iterable[AccountSummary]) -> None:
        updates = []
        for s in summaries:
            row = self._row(s.account_id, s.currency)
            updates.append(replace(row, cash=s.cash, equity=s.equity, unrealized_pnl=s.unrealized_pnl,
                                    realized_pnl=s.realized_pnl, day_pnl=s.day_pnl))
        if updates:
            self.upsert(updates)
