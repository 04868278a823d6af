"""``UpbitRest``: Upbit's private REST (docs.upbit.com "인증 가능한 요청 만들기") on the KRW exchanges' shared REST
(``live/ticket_rest.py``): a JWT per request (HS256 as Upbit's own Python sample signs with PyJWT's default; the
docs' example token is HS512, both are accepted per third-party reports, unverified), no timestamp claim. Private
calls are counted per account pocket and group (``default`` 30/s, ``order`` 8/s: ``profile.ACCOUNT_LIMITS``),
read back from ``Remaining-Req`` (``sec`` 0: that group waits for the next second)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ..live.network import VenueNetwork
from ..live.ticket_rest import TicketRest
from .codes import error_for
from .profile import ACCOUNT_LIMITS, PROFILE
from .urls import Endpoints

_REMAINING = re.compile(r"group=([a-z-]+).*?sec=(\d+)")


def remaining_req(headers: Mapping[str, str]) -> tuple[str, int] | None:
    """``(group, calls left this second)`` of a ``Remaining-Req`` header (``group=default; min=1800; sec=29``;
    ``min`` is deprecated and ignored), None without one."""
    value = headers.get("remaining-req")
    m = _REMAINING.search(value or "")
    return (m.group(1), int(m.group(2))) if m else None


class UpbitRest(TicketRest):
    """One account's REST (``access_key``/``secret_key`` from the keyring) over the venue's shared ``network``."""

    def __init__(self, endpoints: Endpoints, network: VenueNetwork, access_key: str, secret_key: str) -> None:
        super().__init__(endpoints.venue, endpoints.rest, network, PROFILE, access_key, secret_key,
                         limits=ACCOUNT_LIMITS, timestamp=False, error_for=error_for)

    def observe(self, headers: Mapping[str, str]) -> None:
        left = remaining_req(headers)
        if left is not None and left[1] <= 0 and left[0] in self.budgets:
            budget = self.budgets[left[0]]
            budget.pause(max(0.05, 1 - (budget.clock_ms() % 1000) / 1000))  # none left: wait for the next second
