"""Bithumb's facts as a ``VenueProfile`` (``brokers/live/profile.py``).

Sources (read 2026-12 through ``bithumb.md`` of the venue fact sheets): rate limits "API 요청 수 제한 안내" (updated
2026-10-27): per IP and per category, public 150 calls a second per category (candles, orderbook, ticker, trades,
other), private 140 a second per category (placing, cancelling, other); no remaining-quota header; a limit hit is a
temporary block of that category (HTTP 429; its Retry-After is obeyed); an IP block is taken to come as HTTP 418
as on Upbit (not documented for Bithumb: unverified). WebSocket connects 10 a second per IP. The KRW tick ladder: the
official AI trade kit's table (below 1 KRW 0.0001 ... from 1,000,000 KRW 1,000); the server does not round.
Minimum order totals are per market (``GET /v1/orders/chance``, read by the account adapter): none is assumed here.
``client_order_id``: 1 to 36 characters of letters, digits, ``-`` and ``_`` (else ``invalid_parameter``). Order
lists page by ``next_key``.
"""

from __future__ import annotations

from decimal import Decimal as D

from ...core.enums import OrderType
from ..live.network import StatusRule
from ..live.profile import ClientIdPolicy, ConnectLimit, VenueProfile
from ..live.ratelimit import RateLimit
from .codes import ORDER_STATUS, error_for
from .urls import LIVE, VENUE, endpoints

KRW_BANDS = ((D("1"), D("0.001")), (D("10"), D("0.01")), (D("100"), D("1")), (D("5000"), D("5")),
             (D("10000"), D("10")), (D("50000"), D("50")), (D("100000"), D("100")), (D("500000"), D("500")),
             (D("1000000"), D("1000")))
BELOW_ONE = D("0.0001")


PROFILE = VenueProfile(
    name=VENUE, label="Bithumb", venues=(VENUE,), urls={LIVE: endpoints(LIVE)},
    error_for=error_for, order_status=ORDER_STATUS,
    order_types={OrderType.LIMIT: "limit", OrderType.MARKET: "price (buy) / market (sell)"},
    ip_limits=(RateLimit("REQUEST_WEIGHT", 1000, 150),),
    connect_limit=ConnectLimit(limit=10, window_s=1.0, spacing_s=0.1),
    http={418: StatusRule("ban", 60.0, "this IP is blocked (HTTP 418)"),
          429: StatusRule("pause", 1.0, "rate limit hit: this category is blocked for a while")},
    tick_bands={"KRW": ((D("0"), BELOW_ONE), *KRW_BANDS)},
    timezone="Asia/Seoul",
    client_ids=ClientIdPolicy(max_length=36, alphabet=r"[A-Za-z0-9_-]"),
    paging="next_key",
)
