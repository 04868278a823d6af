"""The pre-trade risk pipeline.

``OrderManager.submit`` builds a ``RiskContext`` for each request (after rounding to tick and lot, before the
journal) and calls ``RiskPipeline.check``: every rule configured for the account runs in order and the first
one that refuses raises ``RiskRejected`` (naming the rule and the numbers); nothing is journalled or sent.
A rule that fails with any other exception is treated as a refusal (fail closed) and logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from ...core.errors import RiskRejected
from ...core.instrument import Instrument
from ...core.orders import Order, OrderRequest
from ...core.portfolio import Position

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RiskContext:
    """What a rule may look at for one request.

    ``reference_price``: the price the order is expected to trade at (limit price for LIMIT/STOP_LIMIT, stop
    price for STOP_MARKET, the ask for a MARKET buy and the bid for a MARKET sell; 0 when unknown), quote ccy.
    ``position``: the account's current position in the symbol (None if never traded).
    ``open_orders``: the account's open orders (all symbols). ``equity``: the account's equity in the
    instrument's quote currency. ``now_ms``: epoch ms UTC. ``extra``: free-form additions for new rules.
    """

    account_id: str
    instrument: Instrument
    reference_price: Decimal
    position: Position | None
    open_orders: list[Order]
    equity: Decimal
    now_ms: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def currency(self) -> str:
        """Quote currency of the instrument (the unit of reference_price and equity)."""
        return self.instrument.quote


@runtime_checkable
class RiskRule(Protocol):
    """One pre-trade check. ``check`` returns None to allow and raises ``RiskRejected`` to refuse."""

    name: str

    def check(self, request: OrderRequest, ctx: RiskContext) -> None: ...


class RiskPipeline:
    """Runs the rules of an account in order.

    ``rules_for_account(account_id) -> list[RiskRule]`` gives per-account rules (e.g. from settings);
    ``rules`` apply to every account and run first. Both default to none (everything allowed).
    """

    def __init__(
        self,
        rules_for_account: Callable[[str], Sequence[RiskRule]] | None = None,
        rules: Sequence[RiskRule] = (),
    ) -> None:
        self._rules_for_account = rules_for_account
        self._rules = list(rules)

    def add_rule(self, rule: RiskRule) -> None:
        """Add a rule for every account (runs after the existing global rules)."""
        self._rules.append(rule)

    def rules(self, account_id: str) -> list[RiskRule]:
        """The rules that apply to ``account_id``, in the order they run."""
        extra = list(self._rules_for_account(account_id)) if self._rules_for_account else []
        return self._rules + extra

    def check(self, request: OrderRequest, ctx: RiskContext) -> None:
        """Raise ``RiskRejected`` from the first rule that refuses ``request``; return None if all allow."""
        for rule in self.rules(ctx.account_id):
            try:
                rule.check(request, ctx)
            except RiskRejected:
                raise
            except Exception as exc:  # noqa: BLE001 - a broken rule refuses (fail closed)
                name = getattr(rule, "name", type(rule).__name__)
                log.exception("risk rule %s failed", name)
                raise RiskRejected(name, f"rule failed: {exc}") from exc
