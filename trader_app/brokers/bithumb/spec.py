"""Bithumb in the ``BrokerRegistry`` (the KRW exchanges' spec, ``live/ticket_spec.py``): live accounts only, in KRW."""

from __future__ import annotations

from ..base import VenueSpec
from ..live.network import Networks
from ..live.ticket_spec import ticket_venue
from .account import BithumbAccount
from .urls import endpoints


def bithumb_venue(networks: Networks) -> VenueSpec:
    """Bithumb accounts (LIVE), on its JWT API's keys."""
    return ticket_venue(networks, "Bithumb (KRW spot)", endpoints(), "from Bithumb: API 관리 (the JWT API's key)",
                        BithumbAccount)
