"""Upbit's facts as a ``VenueProfile`` (``brokers/live/profile.py``).

Sources (docs.upbit.com, read 2026-12): rate limits "요청 수 제한" / user-request-guide: quotation (public) REST 10
calls per second per IP; exchange (private) REST counted per account pocket: group ``default`` 30/s, group
``order`` 8/s; every answer carries ``Remaining-Req: group=<g>; min=<deprecated>; sec=<left this second>``; over a
limit HTTP 429, and going on after 429s HTTP 418 (the IP or account blocked for a time that grows with repeats;
the block time is read from ``Retry-After`` when sent, 60 s otherwise: unverified). WebSocket: 5 connections a
second. Tick ladders: "원화(KRW) 마켓 주문 가격 단위" (page updated 2026-05-04; the bands below 100 KRW are the 2024
table's, the newer page's lower rows were not visible), "USDT 마켓 주문 가격 단위", "BTC 마켓" (one tick of
0.00000001 BTC); minimum order totals: 5,000 KRW, 0.5 USDT, 0.00005 BTC. ``identifier`` (our client order id):
unique across the account's orders forever, never reusable even after an error; its length and alphabet are not
published (we send 32 ASCII characters of ``[A-Za-z0-9-]``). Order lists page by ``page`` number.
"""

from __future__ import annotations

from decimal import Decimal as D

from ...core.enums import OrderType
from ..live.network import StatusRule
from ..live.profile import ClientIdPolicy, ConnectLimit, VenueProfile
from ..live.ratelimit import RateLimit
from .codes import ORDER_STATUS, error_for
from .urls import LIVE, VENUE, endpoints

KRW_BANDS = ((D("0.0001"), D("0.0000001")), (D("0.001"), D("0.000001")), (D("0.01"), D("0.00001")),
             (D("0.1"), D("0.0001")), (D("1"), D("0.001")), (D("10"), D("0.01")), (D("100"), D("1")),
             (D("1000"), D("1")), (D("5000"), D("5")), (D("10000"), D("10")), (D("50000"), D("50")),
             (D("100000"), D("100")), (D("500000"), D("500")), (D("1000000"), D("1000")))
USDT_BANDS = ((D("0.0001"), D("0.0000001")), (D("0.001"), D("0.000001")), (D("0.01"), D("0.00001")),
              (D("0.1"), D("0.0001")), (D("1"), D("0.001")), (D("10"), D("0.01")))

PROFILE = VenueProfile(
    name=VENUE, label="Upbit", venues=(VENUE,), urls={LIVE: endpoints(LIVE)},
    error_for=error_for, order_status=ORDER_STATUS,
    order_types={OrderType.LIMIT: "limit", OrderType.MARKET: "price (buy) / market (sell)"},
    ip_limits=(RateLimit("REQUEST_WEIGHT", 1000, 10),),  # public REST per IP; private calls weigh 0 here
    connect_limit=ConnectLimit(limit=5, window_s=1.0, spacing_s=0.2),
    http={418: StatusRule("ban", 60.0, "this IP or account is blocked for going on after 429"),
          429: StatusRule("pause", 1.0, "rate limit hit")},
    tick_bands={"KRW": KRW_BANDS, "USDT": USDT_BANDS},
    min_total={"KRW": D("5000"), "USDT": D("0.5"), "BTC": D("0.00005")},
    timezone="Asia/Seoul",
    client_ids=ClientIdPolicy(max_length=36, alphabet=r"[A-Za-z0-9_-]"),
    paging="page",
)

ACCOUNT_LIMITS = {"default": RateLimit("REQUEST", 1000, 30), "order": RateLimit("ORDERS", 1000, 8)}
"""The account pocket's limits per ``Remaining-Req`` group (requests per second)."""
