"""``AccountService``: the account lifecycle (create, update, delete, deposit, withdraw, connect) and start-up
restore, for every venue alike (``brokers/base.py``: ``VenueSpec`` s in a ``BrokerRegistry``).

``create_account(venue, mode, name, settings, credentials)`` checks the settings against the venue's declared
schema, writes the secret fields to the OS keyring (``account:<id>:<field>``) and the account to the store,
atomically (a failure of either leaves neither), then builds the adapter with the venue's factory and
connects it. Live and testnet credentials are refused on a keyring that is not a real OS keyring
(``secrets.unsafe_backend_problem``). Deleting an account deletes its secrets too.

Venues whose state lives in our store (``capabilities.local_state``, paper) are handed the saved balances,
positions and open orders before ``connect``; the others hold their own state at the venue. Every connected
adapter is attached to the ``OrderManager`` and reconciled; its connection changes (``ConnectionUpdate``)
become the account's session state.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from tenacity import AsyncRetrying, retry_if_exception_type, wait_random_exponential

from .. import secrets as keyring_secrets
from ..brokers.base import Broker, BrokerRegistry, ConnectionUpdate
from ..core.bus import EventBus
from ..core.enums import AccountMode, SessionState
from ..core.errors import AuthError, ConfigError, SecretStoreError, TraderError, VenueUnavailable
from ..core.events import AccountEvent
from ..core.ids import new_id
from ..core.enums import LedgerKind
from ..core.money import ZERO, fmt, to_decimal
from ..core.offloop import run_blocking
from .token_cache import KeyringTokenCache
from ..core.portfolio import Account, LedgerEntry
from .order_manager import OrderManager
from .portfolio import DAY_MS, PortfolioService
from .retry import RETRYABLE

log = logging.getLogger(__name__)

PAPER = "paper"
BASELINES_KEY = "portfolio.day_baselines"


def connect_error(exc: BaseException) -> BaseException:
    """The error an account shows when its connect failed: a ``TraderError`` as raised (wrong keys, settings:
    not retried); anything else (a bare ``TimeoutError`` from an unreachable WebSocket API, a refused
    connection, a broken handshake) is ``VenueUnavailable`` naming its cause, so it is retried with backoff and
    never shows as an empty reason."""
    if isinstance(exc, TraderError):
        return exc
    detail = str(exc).strip()
    return VenueUnavailable(f"cannot reach the venue: {type(exc).__name__}" + (f": {detail}" if detail else ""))


class _StillUnreachable(Exception):
    """An account's venue is still unreachable: try again later (inside ``_retry_connect``)."""


class UnknownAccount(TraderError, KeyError):
    """No account with that id (a ``TraderError`` and a ``KeyError``)."""

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        super().__init__(f"unknown account {account_id!r}")

    def __str__(self) -> str:
        return str(self.args[0])


class AccountService:
    """Accounts of the app. ``store``/``bus``: shared services; ``om``: the order manager; ``portfolio``: the
    portfolio service; ``registry``: the venues accounts can be opened on (filled by the composition root)."""

    def __init__(self, store: Any, bus: EventBus, om: OrderManager, portfolio: PortfolioService,
                 registry: BrokerRegistry) -> None:
        self._store = store
        self._bus = bus
        self._om = om
        self._portfolio = portfolio
        self.registry = registry
        self._accounts: dict[str, Account] = {}
        self._sessions: dict[str, SessionState] = {}
        self._errors: dict[str, str] = {}
        self._brokers: dict[str, Broker] = {}
        self._retries: dict[str, asyncio.Task[None]] = {}
        self.reconnect_base_s = 1.0
        if portfolio.instrument_of is None:
            portfolio.instrument_of = om.instrument
        om.set_equity_source(portfolio.equity)
        om.on_connection = self._on_connection

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
        """Why the account is not trading ("" if it is): the last connection error, or the positions that
        stopped it at start-up until the trader accepts the venue's figures."""
        return self._errors.get(account_id, "") or self._om.blocked(account_id)

    async def accept_venue_positions(self, account_id: str) -> None:
        """The trader accepts the venue's positions of an account stopped at start-up: trading resumes."""
        account = self.get(account_id)
        self._om.accept_venue_positions(account_id)
        self._set_session(account, self._sessions.get(account_id, SessionState.DISCONNECTED),
                          self._errors.get(account_id, ""))

    # ---- start-up ----------------------------------------------------------------------------------
    async def load(self) -> list[Account]:
        """Load every account from the store, restore paper ones from their saved state, connect and attach
        the enabled ones (all at once: 100 accounts cost about one venue round trip, not 100), then reconcile
        every account (``OrderManager.reconcile``, start-up checks included). An account that fails to connect
        is marked ERROR (the others still load). The portfolio's day-PnL baselines of today come back from
        ``store.kv``. Returns the accounts in creation order."""
        self._portfolio.restore_day_baselines(await self._store.run(self._store.kv.get, BASELINES_KEY, None))
        connecting = []
        accounts = await self._store.run(self._store.accounts.list)
        for (account_id, currency), moves in (await self._store.run(self._opened_today, accounts, self._portfolio.utc_day())).items():
            self._portfolio.open_day_from_nothing(account_id, currency, moves)
        for account in accounts:
            self._accounts[account.account_id] = account
            if account.account_id in self._brokers:
                continue  # already connected
            if account.enabled:
                connecting.append(self._connect(account, restore=True))
            else:
                self._set_session(account, SessionState.DISCONNECTED)
        await asyncio.gather(*connecting)
        self._show_failures(await self._om.reconcile(startup=True, wait=False))
        return self.list()

    def _show_failures(self, report: Any) -> None:
        """Accounts whose reconcile failed (an expired session): each one ERROR with the reason, alone."""
        for account_id, reason in report.failed.items():
            account = self._accounts.get(account_id)
            if account is not None:
                self._set_session(account, SessionState.ERROR, reason)

    def _opened_today(self, accounts: list[Account], day: int) -> dict[tuple[str, str], Decimal]:
        """``{(account_id, currency): today's deposits less withdrawals}`` for the currencies whose first ledger
        entry falls on UTC ``day`` (epoch ms // 86,400,000; store thread). Their day opened at 0, whatever a
        restart or a restore left."""
        out: dict[tuple[str, str], Decimal] = {}
        for account in accounts:
            first: dict[str, int] = {}
            moves: dict[str, Decimal] = {}
            for entry in self._store.ledger.list(account_id=account.account_id):
                first[entry.currency] = min(first.get(entry.currency, entry.ts_ms), entry.ts_ms)
                if entry.kind in (LedgerKind.DEPOSIT, LedgerKind.WITHDRAW) and entry.ts_ms // DAY_MS == day:
                    amount = entry.amount if entry.kind is LedgerKind.DEPOSIT else -abs(entry.amount)
                    moves[entry.currency] = moves.get(entry.currency, ZERO) + amount
            for currency, ts in first.items():
                if ts // DAY_MS == day:
                    out[(account.account_id, currency)] = moves.get(currency, ZERO)
        return out

    async def login_all(self) -> dict[str, SessionState]:
        """(Re)connect every enabled account that is not connected; returns each account's session state."""
        await asyncio.gather(*(self._connect(account, restore=True) for account in self.list()
                               if account.enabled and self._sessions.get(account.account_id) is not SessionState.CONNECTED))
        self._show_failures(await self._om.reconcile(wait=False))
        return {a.account_id: self._sessions.get(a.account_id, SessionState.DISCONNECTED) for a in self.list()}

    async def _connect(self, account: Account, *, restore: bool) -> BaseException | None:
        """Build, restore (local-state venues), connect and attach the account's adapter. Returns None when
        connected, else the error (the account is then ERROR with the reason). A venue that could not be
        reached (``VenueUnavailable``, ``RateLimited``) is tried again in the background, patiently
        (``_retry_connect``); wrong credentials or settings are not."""
        self._set_session(account, SessionState.CONNECTING)
        broker: Broker | None = None
        try:
            broker = await self._make_broker(account)
            if restore and broker.capabilities.local_state:
                balances, positions, open_orders = await self._store.run(self._saved_state, account.account_id)
                broker.restore(balances, positions, open_orders)  # type: ignore[attr-defined]
            await broker.connect()
            self._om.attach(account.account_id, broker)
            self._brokers[account.account_id] = broker
            await self._om.ready(account.account_id)
        except Exception as raised:  # noqa: BLE001 - one account's failure never stops the others
            exc = connect_error(raised)
            log.error("account %s failed to connect: %s", account.account_id, exc,
                      exc_info=not isinstance(raised, TraderError))
            if broker is not None and account.account_id not in self._brokers:
                with contextlib.suppress(Exception):
                    await broker.close()  # half-open connections of the failed attempt
            self._set_session(account, SessionState.ERROR, str(exc))
            if isinstance(exc, RETRYABLE):
                self._schedule_reconnect(account.account_id)
            return exc
        self._set_session(account, SessionState.CONNECTED)
        return None

    def _schedule_reconnect(self, account_id: str) -> None:
        task = self._retries.get(account_id)
        if task is None or task.done():
            self._retries[account_id] = asyncio.ensure_future(self._retry_connect(account_id))

    async def _retry_connect(self, account_id: str) -> None:
        """Connect an account whose venue was unreachable again and again (jittered exponential backoff from
        ``reconnect_base_s`` up to 60 s, tenacity) until it connects, is disabled, deleted, or fails for a
        reason waiting cannot fix; then reconcile it (its orders may have moved while it was away)."""
        retrying = AsyncRetrying(wait=wait_random_exponential(multiplier=self.reconnect_base_s, max=60.0),
                                 retry=retry_if_exception_type(_StillUnreachable), reraise=True)
        try:
            async for attempt in retrying:
                with attempt:
                    account = self._accounts.get(account_id)
                    if account is None or not account.enabled or account_id in self._brokers:
                        return
                    error = await self._connect(account, restore=True)
                    if isinstance(error, RETRYABLE):
                        raise _StillUnreachable(str(error))
        except _StillUnreachable:
            return
        finally:
            self._retries.pop(account_id, None)
        if account_id in self._brokers:
            log.info("account %s connected after retrying; reconciling", account_id)
            self._show_failures(await self._om.reconcile([account_id], wait=False))

    def _on_connection(self, account_id: str, update: ConnectionUpdate) -> None:
        """An adapter reported a connection change: it becomes the account's session state (with the reason,
        and the end of a ban)."""
        account = self._accounts.get(account_id)
        if account is None:
            return
        reason = update.reason
        if update.state is SessionState.BANNED and update.until_ms:
            until = datetime.fromtimestamp(update.until_ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
            reason = f"{reason} (until {until})".strip()
        self._set_session(account, update.state, reason)

    def _saved_state(self, account_id: str) -> tuple[list, list, list]:
        s = self._store
        return (
            s.balances.list(account_id),
            s.positions.list(account_id, include_flat=True),
            s.orders.list(account_id=account_id, open_only=True),
        )

    async def _make_broker(self, account: Account) -> Broker:
        """The account's adapter from its venue's factory, with its secrets read from the keyring (off the
        loop). Raises ``ConfigError`` (venue not available), ``SecretStoreError`` (a live or testnet account on a
        keyring that is not a real OS keyring: checked at every connect, so at start too) or ``AuthError`` (a
        required secret is missing)."""
        spec = self.registry.spec(account.broker)
        if spec.secret_fields and account.mode is not AccountMode.PAPER:
            problem = await run_blocking(keyring_secrets.unsafe_backend_problem)
            if problem:
                raise SecretStoreError(problem)
        credentials: dict[str, str] = {}
        for f in spec.fields:
            if not f.secret:
                continue
            value = await run_blocking(keyring_secrets.get_secret,
                                       keyring_secrets.account_secret_name(account.account_id, f.name))
            if value:
                credentials[f.name] = value
            elif f.required:
                raise AuthError(f"{f.label} of account {account.name!r} is not in the OS keyring: enter it again")
        if spec.tokens:
            tokens = {kind: KeyringTokenCache(account.account_id, kind) for kind in spec.tokens}
            return spec.factory(account, credentials, tokens=tokens)
        return spec.factory(account, credentials)

    def _set_session(self, account: Account, state: SessionState, error: str = "") -> None:
        self._sessions[account.account_id] = state
        self._errors[account.account_id] = error
        self._bus.publish(AccountEvent(account, session=state, error=error or self._om.blocked(account.account_id),
                                       warning=self.session_warning(account.account_id)))

    def session_warning(self, account_id: str) -> str:
        """What the trader should know about the connected account (its adapter's ``warnings()``), or ""."""
        try:
            broker = self._om.broker(account_id)
        except TraderError:
            return ""
        return "; ".join(broker.warnings())

    # ---- lifecycle ---------------------------------------------------------------------------------
    async def create_account(self, venue: str, mode: AccountMode | str, name: str,
                             settings: Mapping[str, Any] | None = None,
                             credentials: Mapping[str, str] | None = None, *, base_currency: str | None = None) -> Account:
        """Create an account on ``venue`` (a registered ``VenueSpec`` name) in ``mode`` (paper / testnet /
        live): checked, secrets to the OS keyring and the account to the store together, then connected.

        ``settings``: the venue's non-secret fields (strings); ``credentials``: its secret fields, kept only in
        the keyring. Raises, changing nothing: ``ConfigError`` (unknown venue, a mode it does not offer, a
        bad or missing field, a secret passed as a setting), ``TraderError`` (empty or duplicate name),
        ``SecretStoreError`` (no keyring, or one that is not safe for live credentials). A venue that refuses
        the connection leaves the account saved in state ERROR with the reason (fix it and reconnect)."""
        spec = self.registry.spec(venue)
        try:
            mode = AccountMode(mode)
        except ValueError:
            raise ConfigError(f"mode must be one of {', '.join(m.value for m in AccountMode)}, got {mode!r}") from None
        if mode not in spec.modes:
            raise ConfigError(f"{spec.label} offers {', '.join(m.value for m in spec.modes)} accounts, not {mode.value}")
        name = self._check_name(name)
        credentials = {k: str(v) for k, v in (credentials or {}).items() if v is not None and str(v) != ""}
        clean = spec.check_settings(settings or {}, credentials)
        if credentials:
            problem = await run_blocking(keyring_secrets.unsafe_backend_problem)
            if problem:
                raise SecretStoreError(problem)
        account = Account(account_id=new_id("acc"), name=name, broker=spec.name, mode=mode,
                          base_currency=base_currency or spec.base_currency, settings=clean)
        await self._write_secrets(account.account_id, credentials)
        try:
            await self._store.run(self._store.accounts.save, account)
        except BaseException:
            await self._delete_secrets(account.account_id, tuple(credentials))
            raise
        self._accounts[account.account_id] = account
        await self._connect(account, restore=False)
        return account

    async def create_paper_account(
        self,
        name: str,
        initial_cash: Mapping[str, Any],
        commission_rate: Any = None,
        slippage_rate: Any = None,
    ) -> Account:
        """Create, save, connect and fund a paper account (``create_account`` on the paper venue, then one
        DEPOSIT per currency). ``initial_cash``: currency -> amount >= 0 (Decimal, str or int; 0 amounts are
        skipped); rates are fractions in [0, 1) (defaults 0.001 and 0). Every input is checked first:
        ``TraderError`` (duplicate or empty name, bad amount/rate) changes nothing. The DEPOSIT ledger rows and
        balances are persisted when this returns."""
        name = self._check_name(name)
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
        settings = {"commission_rate": _rate(commission_rate, "0.001", "commission_rate"),
                    "slippage_rate": _rate(slippage_rate, "0", "slippage_rate")}
        account = await self.create_account(PAPER, AccountMode.PAPER, name, settings,
                                            base_currency=next(iter(cash), "USDT"))
        broker = self._brokers.get(account.account_id)
        if broker is not None:
            for ccy, value in cash.items():
                if value > 0:
                    await broker.deposit(ccy, value, "initial deposit")  # type: ignore[attr-defined]
            await self._om.flush(account.account_id)
        return account

    def _check_name(self, name: str, account_id: str | None = None) -> str:
        name = (name or "").strip()
        if not name:
            raise TraderError("account name must not be empty")
        if any(a.name == name and a.account_id != account_id for a in self._accounts.values()):
            raise TraderError(f"an account named {name!r} already exists")
        return name

    async def _write_secrets(self, account_id: str, credentials: Mapping[str, str]) -> None:
        written: list[str] = []
        try:
            for field, value in credentials.items():
                await run_blocking(keyring_secrets.set_secret, keyring_secrets.account_secret_name(account_id, field),
                                   value)
                written.append(field)
        except BaseException:
            await self._delete_secrets(account_id, tuple(written))
            raise

    async def _delete_secrets(self, account_id: str, fields: tuple[str, ...]) -> None:
        for field in fields:
            try:
                await run_blocking(keyring_secrets.delete_secret, keyring_secrets.account_secret_name(account_id, field))
            except SecretStoreError as exc:
                log.error("could not delete a secret of account %s from the keyring: %s", account_id, exc)

    async def update_account(
        self,
        account_id: str,
        *,
        name: str | None = None,
        enabled: bool | None = None,
        commission_rate: Any = None,
        slippage_rate: Any = None,
        settings: Mapping[str, Any] | None = None,
        credentials: Mapping[str, str] | None = None,
    ) -> Account:
        """Rename, enable/disable (connects/disconnects), change settings (checked against the venue's schema;
        ``commission_rate``/``slippage_rate`` are the paper venue's) or replace secrets (keyring). A connected
        account whose settings or secrets changed is reconnected with them. ``TraderError``/``ConfigError`` for
        bad input, nothing changed."""
        account = self.get(account_id)
        spec = self.registry.spec(account.broker)
        name = self._check_name(name, account_id) if name is not None else account.name
        merged = dict(account.settings)
        merged.update({k: str(v) for k, v in (settings or {}).items()})
        if commission_rate is not None:
            merged["commission_rate"] = _rate(commission_rate, "0.001", "commission_rate")
        if slippage_rate is not None:
            merged["slippage_rate"] = _rate(slippage_rate, "0", "slippage_rate")
        credentials = {k: str(v) for k, v in (credentials or {}).items() if v}
        present = {f.name: "set" for f in spec.fields if f.secret}  # stored secrets count as given
        clean = spec.check_settings(merged, {**present, **credentials})
        if credentials:
            problem = await run_blocking(keyring_secrets.unsafe_backend_problem)
            if problem and account.mode is not AccountMode.PAPER:
                raise SecretStoreError(problem)
        updated = replace(account, name=name, settings=clean, enabled=account.enabled if enabled is None else bool(enabled))
        await self._write_secrets(account_id, credentials)
        await self._store.run(self._store.accounts.save, updated)
        self._accounts[account_id] = updated
        reconnect = (clean != account.settings or bool(credentials)) and account_id in self._brokers
        if updated.enabled and (not account.enabled or reconnect):
            await self._disconnect(account_id)
            await self._connect(updated, restore=True)
            self._show_failures(await self._om.reconcile([account_id], wait=False))
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
        spec = self.registry.specs.get(account.broker)
        secret_fields = tuple(f.name for f in spec.fields if f.secret) + tuple(f"token:{k}" for k in spec.tokens) \
            if spec is not None else ()
        await self._delete_secrets(account_id, secret_fields)
        del self._accounts[account_id]
        self._sessions.pop(account_id, None)
        self._errors.pop(account_id, None)
        self._bus.publish(AccountEvent(account, session=SessionState.DISCONNECTED, removed=True))

    async def close(self) -> None:
        """Disconnect every account (their state stays in the store) and save the day-PnL baselines."""
        retries = list(self._retries.values())
        for task in retries:
            task.cancel()
        await asyncio.gather(*retries, return_exceptions=True)
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
        if not broker.capabilities.virtual_cash:
            raise TraderError("deposits and withdrawals are only possible on paper accounts")
        return broker

    @staticmethod
    def _amount(amount: Any) -> Decimal:
        try:
            return to_decimal(amount, "amount")
        except ValueError as exc:
            raise TraderError(str(exc)) from None


def _rate(value: Any, default: str, name: str) -> str:
    """A paper rate as the settings keep it: a fraction in [0, 1) as text. Raises ``TraderError``."""
    try:
        rate = to_decimal(default if value is None else value, name)
    except ValueError as exc:
        raise TraderError(str(exc)) from None
    if not (Decimal(0) <= rate < Decimal(1)):
        raise TraderError(f"{name} must be a fraction in [0, 1), got {fmt(rate)}")
    return fmt(rate)


__all__ = ["AccountService", "UnknownAccount"]
