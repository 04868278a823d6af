"""Binance's facts as a ``VenueProfile`` (``brokers/live/profile.py``).

Sources: limits https://developers.binance.com/docs/binance-spot-api-docs/rest-api/limits (weight per IP read back
from ``X-MBX-USED-WEIGHT-<n><unit>``; a 429 asks to back off for ``Retry-After``; repeating after 429s gets the IP
banned with 418 for 2 minutes up to 3 days; the published limits replace the declared ones at connect from
``exchangeInfo.rateLimits``); connections: 300 per 5 minutes per IP; ``newClientOrderId`` ``^[.A-Za-z0-9_-]{1,36}$``;
trades paged ``fromId``. Codes and statuses: ``codes.py``.
"""

from __future__ import annotations

from ..live.network import StatusRule
from ..live.profile import ClientIdPolicy, ConnectLimit, VenueProfile, used_weight
from ..live.ratelimit import RateLimit
from .codes import ORDER_STATUS, ORDER_TYPE, error_for
from .rest import USED_WEIGHT
from .urls import ENDPOINTS, SPOT

PROFILE = VenueProfile(
    name="binance", label="Binance", venues=("binance", "binanceusdm"), urls=ENDPOINTS,
    error_for=error_for, order_status=ORDER_STATUS, order_types=ORDER_TYPE[SPOT],
    ip_limits=(RateLimit("REQUEST_WEIGHT", 60_000, 6000),),
    ip_usage=used_weight(USED_WEIGHT),
    connect_limit=ConnectLimit(limit=300, window_s=300, spacing_s=0.02),
    http={418: StatusRule("ban", 120.0, "this IP is banned for repeating after 429"),
          429: StatusRule("pause", 1.0, "rate limit hit")},
    client_ids=ClientIdPolicy(max_length=36, alphabet=r"[.A-Za-z0-9_-]"),
    paging="from_id",
    max_streams=1024,  # web-socket-streams: "A single connection can listen to a maximum of 1024 streams"
)
