"""``BenchKit``: what a venue hands the benches (``trader-app bench venue|fanout --venue <name>``), so the benches
name no venue: the module of its fake (in the source checkout's ``tests/``), a factory of bench account ``i`` as an
adapter, and the bare signed order call of the venue's own wire that the adapter is measured against."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ...core.enums import OrderType, Side
from ...core.orders import OrderRequest


@dataclass(frozen=True)
class BenchKit:
    """``account(rest, stream, index, network, order_entry)``: bench account ``index`` (keys ``bench-key-<i>``;
    ``order_entry`` "ws" or "rest"); ``bare_order(
    client, index, i)``: order ``i`` of account ``index`` over a plain ``httpx.AsyncClient`` on the fake's REST
    base; ``symbol``/``quantity``/``price``: the bench's instrument, order size and the fake's price;
    ``buy_amount``: what a market buy spends on a venue that buys at market by amount only (None: by quantity)."""

    venue: str
    label: str
    fake_module: str
    account: Callable[..., Any]
    bare_order: Callable[[Any, int, int], Awaitable[None]]
    symbol: str
    quantity: Decimal
    price: Decimal
    buy_amount: Decimal | None = None

    def order(self, account_id: str, i: int, client_order_id: str) -> OrderRequest:
        """The bench's order ``i`` of ``account_id``: a MARKET BUY (even ``i``) or SELL of ``quantity``; a buy carries
        ``buy_amount`` as its quote amount where set."""
        buy = i % 2 == 0
        return OrderRequest(account_id, self.symbol, Side.BUY if buy else Side.SELL, OrderType.MARKET, self.quantity,
                            client_order_id, quote_amount=self.buy_amount if buy else None)
