"""What the executor reports: one ``AccountResult`` per account and order, gathered in a ``SignalOutcome``;
and ``_Run``, the book-keeping of one signal's fan-out (planned orders, finished results per account).

Statuses besides the order statuses: PENDING (not finished at the response deadline), TIMEOUT (the account's
order in flight at the per-account timeout), SKIPPED (later orders of a timed-out account's batch),
REJECTED (refused before the journal, with ``error``), CANCELLED (a CANCEL_ALL_ORDER), ERROR (unexpected).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..core.groups import AccountLink, StrategyGroup
from ..core.money import fmt
from ..core.orders import OrderRequest
from .signal import Signal, SignalOrder

PENDING = "PENDING"
TIMEOUT = "TIMEOUT"
SKIPPED = "SKIPPED"
REJECTED = "REJECTED"
CANCELLED = "CANCELLED"
ERROR = "ERROR"


@dataclass(frozen=True, slots=True)
class AccountResult:
    """One account's outcome for one order of a signal. Money/quantities are Decimal (strings in JSON)."""

    account_id: str
    order_type: str
    status: str
    client_order_id: str = ""
    venue_order_id: str = ""
    error: str = ""
    symbol: str = ""
    side: str = ""
    quantity: Decimal | None = None
    price: Decimal | None = None
    cancelled: int | None = None

    def to_json(self) -> dict[str, Any]:
        """``{"account_id", "order_type", "status", "client_order_id", "venue_order_id"?, "error"?, "symbol",
        "side"?, "quantity"?, "price"?, "cancelled"?}`` (optional keys only when set; numbers as strings)."""
        out: dict[str, Any] = {"account_id": self.account_id, "order_type": self.order_type,
                               "status": self.status, "client_order_id": self.client_order_id,
                               "symbol": self.symbol}
        if self.venue_order_id:
            out["venue_order_id"] = self.venue_order_id
        if self.error:
            out["error"] = self.error
        if self.side:
            out["side"] = self.side
        if self.quantity is not None:
            out["quantity"] = fmt(self.quantity)
        if self.price is not None:
            out["price"] = fmt(self.price)
        if self.cancelled is not None:
            out["cancelled"] = self.cancelled
        return out


def result_from_json(d: dict[str, Any]) -> AccountResult:
    """The ``AccountResult`` of a recorded result (``AccountResult.to_json``'s shape)."""
    return AccountResult(
        account_id=str(d.get("account_id", "")), order_type=str(d.get("order_type", "")),
        status=str(d.get("status", "")), client_order_id=str(d.get("client_order_id", "")),
        venue_order_id=str(d.get("venue_order_id", "")), error=str(d.get("error", "")),
        symbol=str(d.get("symbol", "")), side=str(d.get("side", "")),
        quantity=Decimal(d["quantity"]) if d.get("quantity") is not None else None,
        price=Decimal(d["price"]) if d.get("price") is not None else None,
        cancelled=int(d["cancelled"]) if d.get("cancelled") is not None else None)


@dataclass(frozen=True, slots=True)
class SignalOutcome:
    """What ``execute`` returns. ``done`` is False when returned at the deadline with PENDING results;
    ``duplicate_of`` is the signal id of the original when ``duplicate`` (``results`` are then the
    original's, as they stand: a resend is answered with the first outcome and executes nothing)."""

    signal_id: str
    results: list[AccountResult]
    duplicate: bool = False
    duplicate_of: str | None = None
    done: bool = True

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"signal_id": self.signal_id, "results": [r.to_json() for r in self.results]}
        if self.duplicate:
            out["duplicate"] = True
            out["duplicate_of"] = self.duplicate_of
        return out


@dataclass
class _Run:
    """Book-keeping of one signal's fan-out: planned orders and finished results per account."""

    signal: Signal
    group: StrategyGroup | None
    links: list[AccountLink]
    plan: list[SignalOrder]
    plans: dict[str, list[SignalOrder]] | None = None  # per-account plans (close-all), else ``plan`` for all
    fixed: "OrderRequest | None" = None  # an order with an explicit quantity (the ticket): sent as it is
    results: dict[str, list[AccountResult]] = field(default_factory=dict)
    abandoned: set[str] = field(default_factory=set)
    record_task: asyncio.Future[Any] | None = None

    def plan_for(self, account_id: str) -> list[SignalOrder]:
        return self.plans.get(account_id, []) if self.plans is not None else self.plan

    def snapshot(self, pending_status: str = PENDING) -> list[AccountResult]:
        out: list[AccountResult] = []
        for link in self.links:
            done = self.results.get(link.account_id, [])
            out.extend(done)
            for i, order in enumerate(self.plan_for(link.account_id)[len(done):]):
                status = pending_status if i == 0 else (SKIPPED if pending_status == TIMEOUT else pending_status)
                error = ""
                if status == TIMEOUT:
                    error = "no answer within the per-account timeout; the order is journalled and finishes later"
                elif status == SKIPPED:
                    error = "skipped: the account timed out earlier in the batch"
                out.append(AccountResult(link.account_id, order.order_type.value, status, symbol=order.symbol,
                                         side=order.side.value if order.side else "", error=error))
        return out
