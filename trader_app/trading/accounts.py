"""``AccountService``: the account lifecycle (create, delete, deposit, withdraw, connect) and start-up restore.

Paper accounts keep their whole state in our store, so at start-up each one is rebuilt from it (balances,
positions including flat ones with their realized PnL, and the orders open at the venue), connected to the
shared ``PaperExchange``, attached to the ``OrderManager`` and reconciled. Other brokers are built by
``broker_factories[account.broker](account)`` and hold their own state at the venue.

Wiring done here: the exchange takes the bus's quotes (``exchange.connect_bus``); the portfolio learns quote
currencies from ``om.instrument``; the order manager's risk context takes equity from the portfolio.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from ..brokers.base import Broker
from ..brokers.paper import PaperBroker, PaperExchange
from ..core.bus import EventBus
from ..core.enums import AccountMode, SessionState
from ..core.errors import TraderError
from ..core.events import AccountEvent
from ..core.ids import new_id
from ..core.money import fmt, to_decimal
from ..core.portfolio import Account, LedgerEntry
from .order_manager import OrderManager
from .portfolio import PortfolioService

log = logging.getLogger(__name__)

PAPER = "paper"
BASELINES_KEY = "portfolio.day_baselines"
DEFAULT_COMMISSION = Decimal("0.001")
DEFAULT_SLIPPAGE = Decimal("0")


class UnknownAccount(TraderError, KeyError):
    """No account with that id (a ``TraderError`` and a ``KeyError``)."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        super().__init__(f"unknown account {account_id!r}")

    def __str__(self) -> str:
        return str(self.args[0])


def _rate(value: Any, name: str) -> Decimal:
    try:
        rate = to_decimal(value, name)
    except ValueError as exc:
        raise TraderError(str(exc)) from None
    if not (Decimal(0) <= rate < Decimal(1)):
        raise TraderError(f"{name} must be a fraction in [0, 1), got {fmt(rate)}")
    return rate


class AccountService:
    """Accounts of the app. ``store``/``bus``: shared services; ``exchange``: the paper venue; ``om``: the
    order manager; ``portfolio``: the portfolio service; ``broker_factories``: ``name -> (Account) -> Broker``
    for brokers other than paper."""

    def __init__(
        self,
        store: Any,
        bus: EventBus,
        exchange: PaperExchange,
        om: OrderManager,
        portfolio: PortfolioService,
        *,
        broker_factories: Mapping[str, Callable[[Account], Broker]] | None = None,
    ) -> None:
        self._store = store
        self._bus = bus
        self.exchange = exchange
        self._om = om
        self._portfolio = portfolio
        self._factories = dict(broker_factories or {})
        self._accounts: dict[str, Account] = {}
        self._sessions: dict[str, SessionState] = {}
        self._errors: dict[str, str] = {}
        self._brokers: dict[str, Broker] = {}
        exchange.connect_bus(bus)
        if portfolio.instrument_of is None:
            portfolio.instrument_of = om.instrument
        om.set_equity_source(portfolio.equity)

    # ---- queries -----------------------------------------------------------------------------------
    def list(self) -> list[Account]:
        """Accounts in creation order."""
        return list(self._accounts.values())

    def get(self, account_id: str) -> Account:
        """The account. Raises ``UnknownAccount`` (a ``TraderError`` and ``KeyError``)."""
        try:
            return self._accounts[account_id]
        except KeyError:
            raise UnknownAccount(account_id) from None

    def session_state(self, account_id: str) -> SessionState:
        self.get(account_id)
        return self._sessions.get(account_id, SessionState.DISCONNECTED)

    def session_error(self, account_id: str) -> str:
        """The last connection error of the account ("" if none)."""
        return self._errors.get(account_id, "")

    # ---- start-up ----------------------------------------------------------------------------------
    async def load(self) -> list[Account]:
        """Load every account from the store, restore paper ones from their saved state, connect and attach
        the enabled ones, then reconcile every journalled non-final order. An account that fails to connect
        is marked ERROR (the others still load). The portfolio's day-PnL baselines of today come back from
        ``store.kv``. Returns the accounts."""
        self._portfolio.restore_day_baselines(await self._store.run(self._store.kv.get, BASELINES_KEY, None))
        for account in await self._store.run(self._store.accounts.list):
            self._accounts[account.account_id] = account
            if account.account_id in self._brokers:
                continue  # already connected
            if account.enabled:
                await self._connect(account, restore=True)
            else:
                self._set_session(account, SessionState.DISCONNECTED)
        await self._om.reconcile()
        return self.list()

    async def login_all(self) -> dict[str, SessionState]:
        """(Re)connect every enabled account that is not connected; returns each account's session state."""
        for account in self.list():
            if account.enabled and self._sessions.get(account.account_id) is not SessionState.CONNECTED:
                await self._connect(account, restore=True)
        await self._om.reconcile()
        return {a.account_id: self._sessions.get(a.account_id, SessionState.DISCONNECTED) for a in self.list()}

    async def _connect(self, account: Account, *, restore: bool) -> None:
        self._set_session(account, SessionState.CONNECTING)
        try:
            broker = self._make_broker(account)
            if restore and isinstance(broker, PaperBroker):
                balances, positions, open_orders = await self._store.run(self._saved_state, account.account_id)
                broker.restore(balances, positions, open_orders)
            await broker.connect()
            self._om.attach(account.account_id, broker)
            self._brokers[account.account_id] = broker
            await self._om.ready(account.account_id)
        except Exception as exc:  # noqa: BLE001 - one account's failure never stops the others
            log.exception("account %s failed to connect", account.account_id)
            self._set_session(account, SessionState.ERROR, str(exc))
            return
        self._set_session(account, SessionState.CONNECTED)

    def _saved_state(self, account_id: str) -> tuple[list, list, list]:
        s = self._store
        return (
            s.balances.list(account_id),
            s.positions.list(account_id, include_flat=True),
            s.orders.list(account_id=account_id, open_only=True),
        )

    def _make_broker(self, account: Account) -> Broker:
        if account.broker == PAPER:
            return PaperBroker(
                self.exchange,
                account.account_id,
                commission_rate=_rate(account.settings.get("commission_rate", DEFAULT_COMMISSION), "commission_rate"),
                slippage_rate=_rate(account.settings.get("slippage_rate", DEFAULT_SLIPPAGE), "slippage_rate"),
            )
        factory = self._factories.get(account.broker)
        if factory is None:
            raise TraderError(f"broker {account.broker!r} is not available")
        return factory(account)

    def _set_session(self, account: Account, state: SessionState, error: str = "") -> None:
        self._sessions[account.account_id] = state
        self._errors[account.account_id] = error
        self._bus.publish(AccountEvent(account, session=state, error=error))

    # ---- lifecycle ---------------------------------------------------------------------------------
    async def create_paper_account(
        self,
        name: str,
        initial_cash: Mapping[str, Any],
        commission_rate: Any = None,
        slippage_rate: Any = None,
    ) -> Account:
        """Create, save, connect and fund a paper account. ``initial_cash``: currency -> amount >= 0 (Decimal,
        str or int; 0 amounts are skipped); rates are fractions in [0, 1) (defaults 0.001 and 0).
        Every input is checked first: ``TraderError`` (duplicate or empty name, bad amount/rate) changes nothing.
        The DEPOSIT ledger rows and balances are persisted when this returns."""
        name = (name or "").strip()
        if not name:
            raise TraderError("account name must not be empty")
        if any(a.name == name for a in self._accounts.values()):
            raise TraderError(f"an account named {name!r} already exists")
        cash: dict[str, Decimal] = {}
        for ccy, amount in initial_cash.items():
            if not isinstance(ccy, str) or not ccy.strip() or ccy != ccy.strip():
                raise TraderError(f"currency must be a code such as USDT, got {ccy!r}")
            try:
                value = to_decimal(amount, f"initial cash {ccy}")
            except ValueError as exc:
                raise TraderError(str(exc)) from None
            if value < 0:
                raise TraderError(f"initial cash {ccy} must be >= 0, got {fmt(value)}")
            cash[ccy] = value
        commission = _rate(DEFAULT_COMMISSION if commission_rate is None else commission_rate, "commission_rate")
        slippage = _rate(DEFAULT_SLIPPAGE if slippage_rate is None else slippage_rate, "slippage_rate")
        account = Account(
            account_id=new_id("acc"),
            name=name,
            broker=PAPER,
            mode=AccountMode.PAPER,
            base_currency=next(iter(cash), "USDT"),
            settings={"commission_rate": fmt(commission), "slippage_rate": fmt(slippage)},
        )
        await self._store.run(self._store.accounts.save, account)
        self._accounts[account.account_id] = account
        await self._connect(account, restore=False)
        broker = self._brokers.get(account.account_id)
        if broker is not None:
            for ccy, value in cash.items():
                if value > 0:
                    await broker.deposit(ccy, value, "initial deposit")  # type: ignore[attr-defined]
            await self._om.flush(account.account_id)
        return account

    async def update_account(
        self,
        account_id: str,
        *,
        name: str | None = None,
        enabled: bool | None = None,
        commission_rate: Any = None,
        slippage_rate: Any = None,
    ) -> Account:
        """Rename, enable/disable (connects/disconnects) or change paper rates; saved. ``TraderError`` for bad input."""
        account = self.get(account_id)
        settings = dict(account.settings)
        if name is not None:
            name = name.strip()
            if not name:
                raise TraderError("account name must not be empty")
            if any(a.name == name and a.account_id != account_id for a in self._accounts.values()):
                raise TraderError(f"an account named {name!r} already exists")
        rates = {}
        if commission_rate is not None:
            rates["commission_rate"] = _rate(commission_rate, "commission_rate")
        if slippage_rate is not None:
            rates["slippage_rate"] = _rate(slippage_rate, "slippage_rate")
        settings.update({k: fmt(v) for k, v in rates.items()})
        updated = replace(account, name=name or account.name, settings=settings,
                          enabled=account.enabled if enabled is None else bool(enabled))
        await self._store.run(self._store.accounts.save, updated)
        self._accounts[account_id] = updated
        broker = self._brokers.get(account_id)
        if isinstance(broker, PaperBroker):
            for key, value in rates.items():
                setattr(broker, key, value)
        if updated.enabled and not account.enabled:
            await self._connect(updated, restore=True)
            await self._om.reconcile()
        elif not updated.enabled and account.enabled:
            await self._disconnect(account_id)
            self._set_session(updated, SessionState.DISCONNECTED)
        else:
            self._set_session(updated, self._sessions.get(account_id, SessionState.DISCONNECTED),
                              self._errors.get(account_id, ""))
        return updated

    async def _disconnect(self, account_id: str) -> None:
        broker = self._brokers.pop(account_id, None)
        if broker is None:
            return
        await self._om.flush(account_id)
        await self._om.detach(account_id)
        await broker.close()

    async def delete_account(self, account_id: str) -> None:
        """Cancel the account's open orders, disconnect it, and delete it with everything recorded for it."""
        account = self.get(account_id)
        if account_id in self._brokers:
            try:
                await self._om.cancel_all(account_id)
            except Exception:  # noqa: BLE001 - deleting must not be blocked by the venue
                log.exception("cancelling the orders of %s before deletion failed", account_id)
            await self._disconnect(account_id)
        await self._store.run(self._store.accounts.delete, account_id)
        del self._accounts[account_id]
        self._sessions.pop(account_id, None)
        self._errors.pop(account_id, None)
        self._bus.publish(AccountEvent(account, session=SessionState.DISCONNECTED, removed=True))

    async def close(self) -> None:
        """Disconnect every account (their state stays in the store) and save the day-PnL baselines."""
        for account_id in list(self._brokers):
            await self._disconnect(account_id)
        await self._store.run(self._store.kv.set, BASELINES_KEY, self._portfolio.day_baselines())

    # ---- cash --------------------------------------------------------------------------------------
    async def deposit(self, account_id: str, currency: str, amount: Any, note: str = "") -> LedgerEntry:
        """Add cash to a connected paper account; returns the DEPOSIT row (persisted on return).
        Raises ``TraderError`` (bad amount, not paper, not connected)."""
        broker = self._cash_broker(account_id)
        entry = await broker.deposit(currency, self._amount(amount), note)
        await self._om.flush(account_id)
        return entry

    async def withdraw(self, account_id: str, currency: str, amount: Any, note: str = "") -> LedgerEntry:
        """Take cash out of a connected paper account; ``InsufficientFunds`` above the free cash."""
        broker = self._cash_broker(account_id)
        entry = await broker.withdraw(currency, self._amount(amount), note)
        await self._om.flush(account_id)
        return entry

    def _cash_broker(self, account_id: str) -> Any:
        self.get(account_id)
        broker = self._brokers.get(account_id)
        if broker is None:
            raise TraderError(f"account {account_id} is not connected")
        if not hasattr(broker, "deposit"):
            raise TraderError("deposits and withdrawals are only possible on paper accounts")
        return broker

    @staticmethod
    def _amount(amount: Any) -> Decimal:
        try:
            return to_decimal(amount, "amount")
        except ValueError as exc:
            raise TraderError(str(exc)) from None


__all__ = ["AccountService", "UnknownAccount"]
