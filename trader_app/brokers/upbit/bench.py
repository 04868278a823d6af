"""What the benches (``trader-app bench venue|fanout --venue upbit``) need of Upbit: the KRW exchanges' kit
(``live/ticket_bench.py``) with Upbit's adapter, ``POST /v1/orders`` and names."""

from __future__ import annotations

from ..live.network import VenueNetwork
from ..live.ticket_bench import ticket_kit
from .account import UpbitAccount
from .orders import KEYS
from .urls import endpoints


def _account(account_id: str, rest: str, stream: str, network: VenueNetwork, key: str, secret: str) -> UpbitAccount:
    return UpbitAccount(account_id, endpoints().with_overrides(rest=rest, stream=stream), network, key, secret)


KIT = ticket_kit("upbit", "Upbit KRW market", _account, "/v1/orders", KEYS, timestamp=False)
