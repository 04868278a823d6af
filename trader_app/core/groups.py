"""Strategy groups, their account links, recorded signals and saved strategy instances.

A strategy group (issue 3) is what a signal names: its linked accounts each get an order sized from
``equity x weight x leverage``. Webhook tokens are secrets and never live here (keyring, ``webhook:<group>``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .enums import Interval, MarketType, SignalSource
from .money import ONE


@dataclass(frozen=True, slots=True)
class StrategyGroup:
    """A named strategy group. ``group_name`` is unique; ``created_ms`` epoch ms UTC."""

    group_name: str
    market_type: MarketType
    description: str = ""
    enabled: bool = True
    created_ms: int = 0


@dataclass(frozen=True, slots=True)
class AccountLink:
    """An account linked to a group.

    ``weight``: fraction (not percent) of the account's equity allocated to the group, 0 < weight <= 1.
    ``leverage``: multiplier for FUTURES groups (1 otherwise). ``max_positions``: how many symbols the group
    may hold positions in at once on this account (default ``DEFAULT_MAX_POSITIONS``: a group trading several
    symbols works out of the box; lower it to cap the exposure).
    """

    group_name: str
    account_id: str
    weight: Decimal
    leverage: Decimal = ONE
    max_positions: int = 10


DEFAULT_MAX_POSITIONS = 10  # symbols a group may hold at once per linked account, unless the link says otherwise


@dataclass(frozen=True, slots=True)
class SignalRecord:
    """A received signal and what each account did with it.

    ``payload``: the signal as received (JSON-able dict, token removed by the caller). ``ts_ms`` epoch ms UTC.
    ``duplicate``: a repeat of an identical signal inside the dedup window (not executed twice).
    ``results``: one JSON-able dict per account (account_id, order_type, status, client_order_id, error, ...).
    ``idempotency_key``: what makes a resend of this signal the same signal (the sender's id, else the payload
    hash); it holds until ``idempotency_expires_ms`` (epoch ms UTC). None for a duplicate's own record.
    """

    signal_id: str
    source: SignalSource
    group_name: str
    payload: dict[str, Any]
    ts_ms: int
    duplicate: bool = False
    results: tuple[dict[str, Any], ...] = ()
    idempotency_key: str | None = None
    idempotency_expires_ms: int | None = None


@dataclass(frozen=True, slots=True)
class StrategyInstanceRecord:
    """A configured strategy: which strategy class (``strategy``), for which group, on which symbols and
    bar interval, with its parameters and its persisted state (JSON-able dicts). ``running`` is restored at start-up.
    """

    name: str
    strategy: str
    group_name: str
    symbols: tuple[str, ...]
    interval: Interval
    params: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    running: bool = False
