"""``BenchKit``: what a venue hands the benches (``trader-app bench venue|fanout --venue <name>``), so the benches
name no venue: the module of its fake (in the source checkout's ``tests/``), a factory of bench account ``i`` as an
adapter, and the bare signed order call of the venue's own wire that the adapter is measured against."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .network import VenueNetwork


@dataclass(frozen=True)
class BenchKit:
    """``account(rest, stream, index, network, order_entry)``: bench account ``index`` (keys ``bench-key-<i>``;
    ``order_entry`` "ws" or "rest"); ``bare_order(
    client, index, i)``: order ``i`` of account ``index`` over a plain ``httpx.AsyncClient`` on the fake's REST
    base; ``symbol``/``quantity``/``price``: the bench's instrument, order size and the fake's price."""

    venue: str
    label: str
    fake_module: str
    account: Callable[..., Any]
    bare_order: Callable[[Any, int, int], Awaitable[None]]
    symbol: str
    quantity: Decimal
    price: Decimal
