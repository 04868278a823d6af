"""Bybit's facts as a ``VenueProfile`` (``brokers/live/profile.py``).

Sources: https://bybit-exchange.github.io/docs/v5/rate-limit (600 requests per 5 s per IP; HTTP 403 "access too
frequent": stop for at least 10 minutes; per-endpoint account limits read back from ``X-Bapi-Limit-Status`` and
``X-Bapi-Limit-Reset-Timestamp``); .../v5/ws/connect (500 new connections per 5 minutes per IP); .../v5/order/create
(``orderLinkId`` up to 36 characters: digits, letters, ``-`` and ``_``); lists paged by ``cursor``. Codes and
statuses: ``codes.py``.
"""

from __future__ import annotations

from ...core.enums import OrderType
from ..live.network import StatusRule
from ..live.profile import ClientIdPolicy, ConnectLimit, VenueProfile, remaining_until
from ..live.ratelimit import RateLimit
from .codes import ORDER_STATUS, error_for
from .urls import LIVE, TESTNET, VENUE, endpoints

BAN_S = 600.0

PROFILE = VenueProfile(
    name=VENUE, label="Bybit", venues=(VENUE,), urls={LIVE: endpoints(LIVE), TESTNET: endpoints(TESTNET)},
    error_for=error_for, order_status=ORDER_STATUS,
    order_types={OrderType.MARKET: "Market", OrderType.LIMIT: "Limit", OrderType.STOP_MARKET: "Market",
                 OrderType.STOP_LIMIT: "Limit"},
    ip_limits=(RateLimit("REQUEST_WEIGHT", 5000, 600),),
    account_usage=remaining_until("x-bapi-limit-status", "x-bapi-limit-reset-timestamp"),
    connect_limit=ConnectLimit(limit=500, window_s=300, spacing_s=0.02),
    http={403: StatusRule("ban", BAN_S, "access too frequent: this IP is stopped for 10 minutes"),
          429: StatusRule("pause", 1.0, "system protection")},
    client_ids=ClientIdPolicy(max_length=36, alphabet=r"[A-Za-z0-9_-]"),
    paging="cursor",
)
