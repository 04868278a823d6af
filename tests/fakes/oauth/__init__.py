"""A fake token venue on 127.0.0.1 for the live layer's token auth (``brokers/live/auth.py``), shaped as KIS's
Open API issues and checks tokens (the venue fact sheet ``broker-apis.md``, section 4): ``POST /oauth2/tokenP``
with the app key and secret returns ``{"access_token", "token_type": "Bearer", "expires_in"}``; a second issue
within a minute is refused (HTTP 403, ``EGW00133``); a call with an expired token answers HTTP 500 with
``{"rt_cd": "1", "msg_cd": "EGW00123"}``. ``GET /read`` and ``POST /order`` stand for a read and an order; each
counts its calls. ``expire_all()`` makes every issued token expire (the venue's clock passing a day)."""

from __future__ import annotations

import secrets
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

APP_KEY, APP_SECRET = "fake-app-key", "fake-app-secret"


class TokenVenue:
    def __init__(self, lifetime_s: int = 86_400, min_reissue_s: float = 60.0) -> None:
        self.lifetime_s = lifetime_s
        self.min_reissue_s = min_reissue_s
        self.tokens: dict[str, float] = {}  # token -> expiry (time.time())
        self.issues = 0
        self.refused_issues = 0
        self.reads = 0
        self.orders = 0
        self._last_issue = 0.0

    def expire_all(self) -> None:
        self.tokens = {t: 0.0 for t in self.tokens}

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/oauth2/tokenP", self._issue, methods=["POST"]),
                                 Route("/read", self._read, methods=["GET"]),
                                 Route("/order", self._order, methods=["POST"])])

    async def _issue(self, request: Request) -> JSONResponse:
        body = await request.json()
        if body.get("appkey") != APP_KEY or body.get("appsecret") != APP_SECRET:
            return JSONResponse({"error_code": "EGW00103", "error_description": "invalid AppKey"}, 403)
        if time.time() - self._last_issue < self.min_reissue_s:
            self.refused_issues += 1
            return JSONResponse({"error_code": "EGW00133", "error_description": "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)"}, 403)
        self._last_issue = time.time()
        token = secrets.token_hex(16)
        self.tokens[token] = time.time() + self.lifetime_s
        self.issues += 1
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": self.lifetime_s,
                             "access_token_token_expired": "2026-12-09 10:00:00"})

    def _check(self, request: Request) -> JSONResponse | None:
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ")
        if request.headers.get("appkey") != APP_KEY or token not in self.tokens:
            return JSONResponse({"rt_cd": "1", "msg_cd": "EGW00121", "msg1": "유효하지 않은 token"}, 500)
        if self.tokens[token] < time.time():
            return JSONResponse({"rt_cd": "1", "msg_cd": "EGW00123", "msg1": "기간이 만료된 token 입니다."}, 500)
        return None

    async def _read(self, request: Request) -> Any:
        self.reads += 1
        return self._check(request) or JSONResponse({"rt_cd": "0", "output": {"read": self.reads}})

    async def _order(self, request: Request) -> Any:
        self.orders += 1
        return self._check(request) or JSONResponse({"rt_cd": "0", "output": {"ODNO": str(self.orders)}})
