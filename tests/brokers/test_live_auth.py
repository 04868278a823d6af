"""The live layer's auth strategies (issue 21, ``brokers/live/auth.py``): HMAC in the query and in headers against
the venues' vectors, a JWT per request against Upbit's (derived) vector, and a token kept through a cache
against a fake token venue on 127.0.0.1: issued once, reused across a restart, refreshed before it expires,
never asked again within the venue's minimum interval, renewed on an expired read (the read repeated once)
and never for an order."""

from __future__ import annotations

import asyncio
import hashlib

import httpx
import jwt
import pytest

from fakes.oauth import APP_KEY, APP_SECRET, TokenVenue
from fakes.reference import vectors
from trader_app.brokers.base import CachedToken
from trader_app.brokers.live.auth import (
    BearerToken,
    HmacHeaders,
    HmacQuery,
    JwtPerRequest,
    MemoryTokenCache,
    Outgoing,
    TokenKeeper,
    query_form,
    with_renewal,
)
from trader_app.core.errors import RateLimited, SessionExpired, VenueUnavailable
from trader_app.trading.token_cache import KeyringTokenCache, token_secret_name
from trader_app.webhook.server import WebhookServer


def vector(vid):
    return next(v for v in vectors() if v["id"] == vid)


def test_hmac_in_the_query_signs_what_is_sent_with_the_timestamp_and_window():
    v = vector("BIN-HMAC-1")
    auth = HmacQuery(v["apiKey"], v["secret"], key_header="X-MBX-APIKEY")
    base = v["input"].split("&recvWindow=")[0]
    out = auth.apply(Outgoing("POST", "/api/v3/order", base), 1499827319559)
    # the vector's order is recvWindow then timestamp; ours stamps timestamp first: the signature is of what is sent
    assert out.query.startswith(base + "&timestamp=1499827319559&recvWindow=5000&signature=")
    signed_part, signature = out.query.rsplit("&signature=", 1)
    assert signature == auth.sign(signed_part)
    assert auth.sign(v["input"]) == v["expected"]
    assert out.headers == {"X-MBX-APIKEY": v["apiKey"]}


def test_hmac_in_headers_signs_the_query_of_a_get_and_the_body_of_a_post():
    v = vector("BYB-DERIVED-GET")
    auth = HmacHeaders("XXXXXXXXXX", v["secret"], prefix="X-BAPI-")
    out = auth.apply(Outgoing("GET", "/v5/order/realtime", "category=option&symbol=BTC-29JUL22-25000-C"),
                     1658384314791)
    assert out.headers["X-BAPI-SIGN"] == v["expected"]
    assert (out.headers["X-BAPI-API-KEY"], out.headers["X-BAPI-TIMESTAMP"], out.headers["X-BAPI-RECV-WINDOW"]) == \
        ("XXXXXXXXXX", "1658384314791", "5000")
    post = auth.apply(Outgoing("POST", "/v5/order/create", body='{"category": "option"}'), 1658385579423)
    assert post.headers["X-BAPI-SIGN"] == auth.sign(1658385579423, '{"category": "option"}')
    ws = vector("BYB-DERIVED-WS-AUTH")
    assert auth.sign_text(ws["input"]) == ws["expected"]


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the vectors' short test secrets
def test_a_jwt_per_request_hashes_the_query_form_and_never_reuses_a_nonce():
    v = vector("UPB-DERIVED-JWT-HS512")
    params = dict(p.split("=") for p in vector("UPB-DERIVED-QUERYHASH")["input"].split("&"))
    auth = JwtPerRequest("test-access", v["secret"], algorithm="HS512",
                         nonce=lambda: "00000000-0000-4000-8000-000000000000")
    assert auth.token(params, 0) == v["expected"]
    fresh = JwtPerRequest("test-access", "test-secret")
    out1 = fresh.apply(Outgoing("GET", "/v1/orders", params={"state": "done", "uuids": ["a", "b"]}), 1)
    out2 = fresh.apply(Outgoing("GET", "/v1/accounts"), 1)
    c1 = jwt.decode(out1.headers["Authorization"].removeprefix("Bearer "), "test-secret", algorithms=["HS256"])
    c2 = jwt.decode(out2.headers["Authorization"].removeprefix("Bearer "), "test-secret", algorithms=["HS256"])
    assert c1["nonce"] != c2["nonce"] and "query_hash" not in c2 and "timestamp" not in c1
    assert c1["query_hash"] == hashlib.sha512(b"state=done&uuids[]=a&uuids[]=b").hexdigest()
    assert c1["query_hash_alg"] == "SHA512"
    stamped = JwtPerRequest("k", "s", timestamp=True).token(None, 1733616000123)
    assert jwt.decode(stamped, "s", algorithms=["HS256"])["timestamp"] == 1733616000123


def test_query_form_keeps_the_order_and_repeats_list_keys():
    assert query_form({"market": "KRW-BTC", "states": ["wait", "watch"], "skip": None}) == \
        "market=KRW-BTC&states[]=wait&states[]=watch"


class TokenClient:
    """A minimal token venue adapter: what KIS's will do, over the layer's strategies."""

    def __init__(self, base: str, cache, clock_ms=None) -> None:
        self.http = httpx.AsyncClient(base_url=base)
        kw = {"clock_ms": clock_ms} if clock_ms else {}
        self.keeper = TokenKeeper("fake access token", self._issue, cache, refresh_before_s=600, min_reissue_s=60,
                                  **kw)
        self.auth = BearerToken(self.keeper, headers={"appkey": APP_KEY})

    async def _issue(self) -> CachedToken:
        r = await self.http.post("/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": APP_KEY,
                                                          "appsecret": APP_SECRET})
        body = r.json()
        if r.status_code != 200:
            raise RateLimited(f"token refused: {body.get('error_code')}", 60.0)
        now = self.keeper.clock_ms()
        return CachedToken(body["access_token"], now + int(body["expires_in"]) * 1000, now)

    async def call(self, method: str, path: str):
        async def once():
            out = self.auth.apply(Outgoing(method, path), 0)
            r = await self.http.request(method, out.url, headers=dict(out.headers))
            body = r.json()
            if body.get("msg_cd") == "EGW00123":
                raise SessionExpired("the access token expired (EGW00123)")
            if body.get("rt_cd") != "0":
                raise VenueUnavailable(str(body.get("msg_cd")))
            return body["output"]

        return await with_renewal(self.auth, once, read=method == "GET")

    async def close(self) -> None:
        await self.http.aclose()


@pytest.fixture
async def token_venue():
    venue = TokenVenue()
    server = WebhookServer(None, "127.0.0.1", 0, app=venue.app())
    await server.start()
    yield venue, server.url
    await server.stop()


async def test_a_token_is_issued_once_shared_by_concurrent_calls_and_reused_after_a_restart(token_venue):
    venue, url = token_venue
    cache = MemoryTokenCache()
    first = TokenClient(url, cache)
    results = await asyncio.gather(*(first.call("GET", "/read") for _ in range(20)))
    assert len(results) == 20 and venue.issues == 1 and first.keeper.issued == 1
    await first.close()
    restarted = TokenClient(url, cache)  # a restart: the token comes from the cache, the venue is not asked
    await restarted.call("GET", "/read")
    assert venue.issues == 1 and restarted.keeper.issued == 0
    await restarted.close()


async def test_a_token_is_refreshed_before_it_expires_but_never_sooner_than_the_venue_allows(token_venue):
    venue, url = token_venue
    venue.min_reissue_s = 0  # the fake's own check off: the keeper's is under test
    now = [1_000_000_000_000]
    cache = MemoryTokenCache()
    client = TokenClient(url, cache, clock_ms=lambda: now[0])
    await client.call("GET", "/read")
    token = client.keeper.current
    now[0] = token.expires_ms - 700_000  # more than 10 minutes left: kept
    await client.call("GET", "/read")
    assert venue.issues == 1
    now[0] = token.expires_ms - 500_000  # inside the refresh margin: a new one, before the old expires
    await client.call("GET", "/read")
    assert venue.issues == 2 and client.keeper.current.value != token.value
    assert (await cache.load()).value == client.keeper.current.value
    # a token that expired within a minute of its issue cannot be replaced yet: a clear wait, nothing asked
    now[0] = client.keeper.current.expires_ms + 1
    client.keeper.current = CachedToken("dead", now[0] - 1, now[0] - 10_000)
    with pytest.raises(RateLimited) as wait:
        await client.keeper.token()
    assert 49 <= wait.value.retry_after <= 50 and venue.issues == 2
    await client.close()


async def test_an_expired_token_is_renewed_and_a_read_repeated_once_but_an_order_never(token_venue):
    venue, url = token_venue
    venue.min_reissue_s = 0
    now = [1_000_000_000_000]
    client = TokenClient(url, MemoryTokenCache(), clock_ms=lambda: now[0])
    await client.call("GET", "/read")
    now[0] += 120_000  # past the keeper's minimum interval
    venue.expire_all()  # the venue says the token expired before the keeper expected (EGW00123)
    reads = venue.reads
    assert await client.call("GET", "/read") == {"read": reads + 2}
    assert venue.reads == reads + 2 and venue.issues == 2  # refused once, renewed, repeated once
    now[0] += 120_000
    venue.expire_all()
    with pytest.raises(SessionExpired):
        await client.call("POST", "/order")
    assert venue.orders == 1 and venue.issues == 2  # the order was not repeated, nor a token asked for it
    await client.close()


async def test_the_keyring_cache_keeps_a_token_under_the_accounts_name_and_never_in_plain_view():
    import keyring

    cache = KeyringTokenCache("acc-7", "access")
    assert await cache.load() is None
    token = CachedToken("secret-token-value", 2_000, 1_000, {"branch": "01"})
    await cache.save(token)
    assert await cache.load() == token
    assert cache.name == token_secret_name("acc-7", "access") == "account:acc-7:token:access"
    assert "secret-token-value" in keyring.get_password("TraderApp", cache.name)
    await cache.clear()
    assert await cache.load() is None
    assert CachedToken.from_text("{not json") is None


# Bithumb's JWT (apidocs.bithumb.com "인증 헤더 만들기"): the derived vectors of the venue fact sheet
# (the fact sheet bithumb.md §3, "Derived vectors": secret test-secret, access key test-access, nonce all zeros,
# timestamp 1712230310689), copied here so the suite stands alone.
BITHUMB_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhY2Nlc3Nfa2V5IjoidGVzdC1hY2Nlc3MiLCJub25jZSI6IjAwMDAwMDAwLTAwMDAtMDAw"
    "MC0wMDAwLTAwMDAwMDAwMDAwMCIsInRpbWVzdGFtcCI6MTcxMjIzMDMxMDY4OSwicXVlcnlfaGFzaCI6IjdlNWNiMGFhMTI2N2FhZmI2YjVjOTM4"
    "MmFlZTMxZDMwOTkzODFhMWMwODExZGZjYjFmYTIwNWQ4Mzk3Y2MzYTM1ZGNmNTkzNjE0OTUwODkyYmZmOGM2MmFmNDFiZmE1MzlkMzY2MTJmOWU3"
    "MjNiYjA2ZmI1NmFmYzM4YjcxMThkIiwicXVlcnlfaGFzaF9hbGciOiJTSEE1MTIifQ.NDZ4jF-gZH622NI7X_wP_xsfdfrH_MqU9vB-x2l2Grk")
BITHUMB_ARRAY_HASH = ("c2f93fb9ddaa81aa58610761f229a9431253d1a346f6fbb35b7794fd1d32259002255681a3e78fcf8d265de80194a9bda6a"
                      "917f83533850835745e9096da7f7d")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the vectors' short test secret
def test_a_jwt_with_a_millisecond_timestamp_matches_bithumbs_vectors():
    auth = JwtPerRequest("test-access", "test-secret", algorithm="HS256", timestamp=True,
                         nonce=lambda: "00000000-0000-0000-0000-000000000000")
    params = {"market": "KRW-BTC", "side": "bid", "order_type": "limit", "price": "100000000", "volume": "0.001"}
    assert auth.token(params, 1712230310689) == BITHUMB_TOKEN
    assert hashlib.sha512(query_form({"order_ids": ["C0101", "C0102"]}).encode()).hexdigest() == BITHUMB_ARRAY_HASH
