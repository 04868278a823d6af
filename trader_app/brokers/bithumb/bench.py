"""What the benches (``trader-app bench venue|fanout --venue bithumb``) need of Bithumb: the KRW exchanges' kit
(``live/ticket_bench.py``) with Bithumb's adapter, ``POST /v2/orders``, its names and its JWT's timestamp."""

from __future__ import annotations

from ..live.network import VenueNetwork
from ..live.ticket_bench import ticket_kit
from .account import BithumbAccount
from .orders import KEYS
from .urls import endpoints


def _account(account_id: str, rest: str, stream: str, network: VenueNetwork, key: str, secret: str) -> BithumbAccount:
    return BithumbAccount(account_id, endpoints().with_overrides(rest=rest, stream=stream), network, key, secret)


KIT = ticket_kit("bithumb", "Bithumb KRW market", _account, "/v2/orders", KEYS, timestamp=True)
