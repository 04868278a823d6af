"""``BithumbRest``: Bithumb's private REST (apidocs.bithumb.com "인증 헤더 만들기", and the official AI trade kit's
CLI) on the KRW exchanges' shared REST (``live/ticket_rest.py``): a JWT per request signed HS256 with the secret key
as raw bytes, with the required millisecond ``timestamp`` claim. Limits are per IP and category (140 a second for
placing, cancelling and the rest) with no usage header: the account paces itself (orders 10 a second, as the
official CLI does; the rest 140)."""

from __future__ import annotations

from ..live.network import VenueNetwork
from ..live.ratelimit import RateLimit
from ..live.ticket_rest import TicketRest
from .codes import error_for
from .profile import PROFILE
from .urls import Endpoints

ACCOUNT_LIMITS = {"order": RateLimit("ORDERS", 1000, 10), "default": RateLimit("REQUEST", 1000, 140)}


class BithumbRest(TicketRest):
    """One account's REST (``access_key``/``secret_key`` from the keyring) over the venue's shared ``network``."""

    def __init__(self, endpoints: Endpoints, network: VenueNetwork, access_key: str, secret_key: str) -> None:
        super().__init__(endpoints.venue, endpoints.rest, network, PROFILE, access_key, secret_key,
                         limits=ACCOUNT_LIMITS, timestamp=True, error_for=error_for)
