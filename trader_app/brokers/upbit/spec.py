"""Upbit in the ``BrokerRegistry`` (the KRW exchanges' spec, ``live/ticket_spec.py``): live accounts only, in KRW."""

from __future__ import annotations

from ..base import VenueSpec
from ..live.network import Networks
from ..live.ticket_spec import ticket_venue
from .account import UpbitAccount
from .urls import endpoints


def upbit_venue(networks: Networks) -> VenueSpec:
    """Upbit accounts (LIVE)."""
    return ticket_venue(networks, "Upbit (KRW, BTC and USDT spot)", endpoints(), "from Upbit: Open API management",
                        UpbitAccount)
