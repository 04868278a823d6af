"""Strategy groups: create/update/delete, webhook tokens, and the accounts linked to each group.

- A group's webhook token is a secret: ``secrets.token_urlsafe(32)`` (256 random bits, 43 URL-safe
  characters), kept only in the OS keyring under ``webhook:<group_name>`` (``trader_app.secrets``), never in
  the store, settings or logs. ``rotate_token`` replaces it; the old one stops working at once.
- ``verify_token`` compares with ``hmac.compare_digest`` (constant time).
- Links: ``weight`` is a fraction of the account's equity (0 < weight <= 1), ``leverage`` >= 1 and only
  above 1 for FUTURES groups, ``max_positions`` >= 1. Linking an account twice raises ``DuplicateLink``.

Every method runs store calls on the store's worker thread and keyring calls in a thread
(``offloop.run_blocking``), so none blocks the event loop. Each change publishes a ``GroupEvent``.
"""

from __future__ import annotations

import hmac
import re
import secrets as _random
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from .. import secrets as keyring_secrets
from ..core.bus import EventBus
from ..core.enums import MarketType
from ..core.errors import TraderError
from ..core.groups import DEFAULT_MAX_POSITIONS, AccountLink, StrategyGroup
from ..core.ids import now_ms
from ..core.money import ONE, fmt, to_decimal
from ..core.offloop import run_blocking

GROUP_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
TOKEN_BYTES = 32  # 256 bits >= the 128 the contract asks for


class UnknownGroup(TraderError, KeyError):
    """No strategy group with that name (a ``TraderError`` and a ``KeyError``: the REST API answers 404)."""

    def __init__(self, group_name: str) -> None:
        self.group_name = group_name
        super().__init__(f"unknown strategy group {group_name!r}")

    def __str__(self) -> str:
        return str(self.args[0])


def token_secret_name(group_name: str) -> str:
    """Keyring user name of a group's webhook token: ``webhook:<group_name>``."""
    return f"webhook:{group_name}"


@dataclass(frozen=True, slots=True)
class GroupEvent:
    """A strategy group or one of its links changed (``removed`` when the group was deleted)."""

    group_name: str
    removed: bool = False


class GroupService:
    """Strategy groups, their links and webhook tokens (see the module docstring for the rules).

    ``store`` is a ``trader_app.store.Store``; ``bus`` receives ``GroupEvent``s (optional).
    """

    def __init__(self, store, bus: EventBus | None = None, clock: Callable[[], int] = now_ms) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock
        self._tokens: dict[str, str] = {}
        # group -> (group, links): read once, dropped on every change made here and when an account is removed
        # (its links go with it), so the webhook path reads no store at all for a known group.
        self._cache: dict[str, tuple[StrategyGroup, list[AccountLink]]] = {}
        if bus is not None:
            from ..core.events import AccountEvent

            bus.subscribe(AccountEvent, lambda e: self._cache.clear() if e.removed else None)

    # ---- groups ---------------------------------------------------------------------------------
    async def create_group(self, group_name: str, market_type: MarketType | str, description: str = "",
                           enabled: bool = True) -> tuple[StrategyGroup, str]:
        """Create a group and its webhook token; returns ``(group, token)``.

        Raises ``TraderError`` for a bad or taken name or an unknown market type, ``SecretStoreError`` when
        the keyring is unavailable (nothing is created then).
        """
        check_group_name(group_name)
        try:
            mt = MarketType(market_type.upper() if isinstance(market_type, str) else market_type)
        except ValueError:
            raise TraderError(f"market type must be SPOT, FUTURES or STOCK, got {market_type!r}") from None
        if await self.store.run(self.store.groups.get, group_name) is not None:
            raise TraderError(f"strategy group {group_name!r} already exists")
        token = new_token()
        await run_blocking(keyring_secrets.set_secret, token_secret_name(group_name), token)
        group = StrategyGroup(group_name=group_name, market_type=mt, description=description, enabled=enabled,
                              created_ms=self.clock())
        try:
            await self.store.run(self.store.groups.save, group)
        except BaseException:
            await run_blocking(keyring_secrets.delete_secret, token_secret_name(group_name))
            raise
        self._tokens[group_name] = token
        self._publish(group_name)
        return group, token

    async def update_group(self, group_name: str, *, description: str | None = None, enabled: bool | None = None,
                           market_type: MarketType | str | None = None) -> StrategyGroup:
        """Change a group's description, enabled flag or market type. Raises ``TraderError`` if unknown."""
        group = await self.require_group(group_name)
        changes: dict = {}
        if description is not None:
            changes["description"] = description
        if enabled is not None:
            changes["enabled"] = bool(enabled)
        if market_type is not None:
            try:
                changes["market_type"] = MarketType(market_type.upper() if isinstance(market_type, str) else market_type)
            except ValueError:
                raise TraderError(f"market type must be SPOT, FUTURES or STOCK, got {market_type!r}") from None
        group = replace(group, **changes)
        await self.store.run(self.store.groups.save, group)
        self._publish(group_name)
        return group

    async def delete_group(self, group_name: str) -> bool:
        """Delete the group, its links (cascade) and its token. False if there was no such group."""
        gone = await self.store.run(self.store.groups.delete, group_name)
        if gone:
            self._tokens.pop(group_name, None)
            await run_blocking(keyring_secrets.delete_secret, token_secret_name(group_name))
            self._publish(group_name, removed=True)
        return gone

    async def get_group(self, group_name: str) -> StrategyGroup | None:
        """The group (cached with its links after the first read), None if unknown."""
        entry = await self._entry(group_name)
        return entry[0] if entry is not None else None

    async def _entry(self, group_name: str) -> tuple[StrategyGroup, list[AccountLink]] | None:
        entry = self._cache.get(group_name)
        if entry is None:
            entry = await self.store.run(_read_group, self.store, group_name)
            if entry is not None:
                self._cache[group_name] = entry
        return entry

    async def require_group(self, group_name: str) -> StrategyGroup:
        """The group, or ``UnknownGroup`` (a ``TraderError``)."""
        group = await self.get_group(group_name)
        if group is None:
            raise UnknownGroup(group_name)
        return group

    async def list_groups(self) -> list[StrategyGroup]:
        """All groups ordered by name."""
        return await self.store.run(self.store.groups.list)

    # ---- tokens ---------------------------------------------------------------------------------
    async def token(self, group_name: str) -> str | None:
        """The group's webhook token (cached after the first keyring read), or None if none is stored."""
        cached = self._tokens.get(group_name)
        if cached is not None:
            return cached
        token = await run_blocking(keyring_secrets.get_secret, token_secret_name(group_name))
        if token is not None:
            self._tokens[group_name] = token
        return token

    async def rotate_token(self, group_name: str) -> str:
        """Replace the group's token with a new random one and return it. Raises ``TraderError`` if the
        group is unknown, ``SecretStoreError`` if the keyring refuses (the old token stays valid then)."""
        await self.require_group(group_name)
        token = new_token()
        await run_blocking(keyring_secrets.set_secret, token_secret_name(group_name), token)
        self._tokens[group_name] = token
        self._publish(group_name)
        return token

    async def verify_token(self, group_name: str, provided: str | None) -> bool:
        """True if ``provided`` equals the group's token (constant-time ``hmac.compare_digest``).
        False for a missing token or a group without one."""
        expected = await self.token(group_name)
        if expected is None or not isinstance(provided, str):
            # still spend a comparison so a missing token costs about the same as a wrong one
            hmac.compare_digest(b"x" * 43, b"y" * 43)
            return False
        return hmac.compare_digest(provided.encode("utf-8"), expected.encode("utf-8"))

    # ---- links ----------------------------------------------------------------------------------
    async def link(self, group_name: str, account_id: str, weight: Decimal | str | float,
                   leverage: Decimal | str | float = ONE, max_positions: int = DEFAULT_MAX_POSITIONS) -> AccountLink:
        """Link an account to a group. Raises ``DuplicateLink`` if already linked, ``TraderError`` for an
        unknown group or account or a value out of range (nothing changes)."""
        group = await self.require_group(group_name)
        if await self.store.run(self.store.accounts.get, account_id) is None:
            raise TraderError(f"unknown account {account_id!r}")
        link = make_link(group, account_id, weight, leverage, max_positions)
        await self.store.run(self.store.links.add, link)
        self._publish(group_name)
        return link

    async def update_link(self, group_name: str, account_id: str, *, weight: Decimal | str | float | None = None,
                          leverage: Decimal | str | float | None = None,
                          max_positions: int | None = None) -> AccountLink:
        """Change a link's weight, leverage or max positions. Raises ``TraderError`` if there is no such link
        or a value is out of range."""
        group = await self.require_group(group_name)
        current = [lk for lk in await self.links(group_name) if lk.account_id == account_id]
        if not current:
            raise TraderError(f"account {account_id!r} is not linked to strategy group {group_name!r}")
        old = current[0]
        link = make_link(group, account_id, old.weight if weight is None else weight,
                         old.leverage if leverage is None else leverage,
                         old.max_positions if max_positions is None else max_positions)
        await self.store.run(self.store.links.update, link)
        self._publish(group_name)
        return link

    async def unlink(self, group_name: str, account_id: str) -> bool:
        """Remove a link; False if it did not exist."""
        gone = await self.store.run(self.store.links.remove, group_name, account_id)
        if gone:
            self._publish(group_name)
        return gone

    async def links(self, group_name: str | None = None, account_id: str | None = None) -> list[AccountLink]:
        """Links ordered by (group_name, account_id), optionally filtered (one group's links are cached)."""
        if group_name is not None and account_id is None:
            entry = await self._entry(group_name)
            return list(entry[1]) if entry is not None else []
        return await self.store.run(self.store.links.list, group_name=group_name, account_id=account_id)

    def _publish(self, group_name: str, removed: bool = False) -> None:
        self._cache.pop(group_name, None)
        if self.bus is not None:
            self.bus.publish(GroupEvent(group_name=group_name, removed=removed))


def _read_group(store, group_name: str) -> tuple[StrategyGroup, list[AccountLink]] | None:
    """Worker-thread read of a group and its links (None if the group does not exist)."""
    group = store.groups.get(group_name)
    return None if group is None else (group, store.links.list(group_name=group_name))


def new_token() -> str:
    """A fresh webhook token: 256 random bits, URL-safe base64 (43 characters)."""
    return _random.token_urlsafe(TOKEN_BYTES)


def check_group_name(group_name: object) -> str:
    """Return the name if it is 1-64 letters, digits, '_', '.' or '-' (starting with a letter or digit);
    raise ``TraderError`` otherwise. The same rule the webhook applies to ``group_name``."""
    if not isinstance(group_name, str) or not GROUP_NAME_RE.match(group_name):
        raise TraderError(f"group name must be 1-64 letters, digits, '_', '.' or '-', got {group_name!r}")
    return group_name


def make_link(group: StrategyGroup, account_id: str, weight: object, leverage: object = ONE,
              max_positions: object = 1) -> AccountLink:
    """Build a validated ``AccountLink``. Raises ``TraderError`` naming the value that is out of range."""
    try:
        w = to_decimal(weight, "weight")
        lev = to_decimal(leverage, "leverage")
    except ValueError as exc:
        raise TraderError(str(exc)) from None
    if not (Decimal(0) < w <= 1):
        raise TraderError(f"weight must be a fraction in (0, 1], got {fmt(w)}")
    if lev < 1:
        raise TraderError(f"leverage must be >= 1, got {fmt(lev)}")
    if lev != 1 and group.market_type is not MarketType.FUTURES:
        raise TraderError(f"leverage applies to FUTURES groups only; {group.group_name!r} is {group.market_type.value}")
    if isinstance(max_positions, bool) or not isinstance(max_positions, int) or max_positions < 1:
        raise TraderError(f"max_positions must be an integer >= 1, got {max_positions!r}")
    return AccountLink(group_name=group.group_name, account_id=account_id, weight=w, leverage=lev,
                       max_positions=max_positions)
