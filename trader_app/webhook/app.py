"""The FastAPI application: the TradingView webhook and the local REST API (``/api/v1``), one app.

``create_app(services)`` takes the ``AppServices`` (or any object with the same attributes: ``store``,
``bus``, ``executor``, ``groups``, ``accounts``, ``order_manager``, ``portfolio``, ``market``,
``risk_book``) and returns the app. OpenAPI docs are at ``/docs``.

Webhook: ``POST /api/webhook`` (alias ``POST /api/v1/trading/signal``). The body is read as JSON whatever
its Content-Type (TradingView sends ``text/plain`` for alerts it does not consider JSON). Checks, in order,
each answering with ``{"detail": ...}`` and changing nothing:

- 413 body above 64 KiB (by ``Content-Length`` or while reading);
- 422 not a JSON object, or ``group_name`` missing/malformed (``{"detail", "errors": [{"field", "reason"}]}``);
- 404 unknown group;
- 401 missing or wrong ``token`` (constant-time compare);
- 422 any broken payload rule (``schemas.py``) or a symbol no venue lists;
- 409 the group is disabled.

Then the signal runs (``Executor.execute(signal, wait_s=2.0)``) and the answer is
``{"signal_id", "results": [{"account_id", "order_type", "status", "client_order_id", "venue_order_id"?,
"error"?, ...}]}`` within 2.5 s; accounts still working are ``PENDING`` and finish in the background.
A resend (the same ``signal_id``/``id`` within a day, or an identical alert within
``webhook.idempotency_window_s``, across restarts too) answers 200 with ``"duplicate": true``,
``duplicate_of`` and the first signal's results as they stand; nothing is executed again.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..core.enums import SignalSource
from ..core.errors import DuplicateLink, SecretStoreError, TraderError
from ..execution.batch import signal_fingerprint
from ..execution.executor import UnknownGroup, new_signal
from ..execution.signal import Signal
from .docs import install_docs
from .exposure import policy_from
from .guard import ListenerGuard
from .schemas import (
    MAX_BODY_BYTES,
    BatchPayload,
    PayloadError,
    SinglePayload,
    ValidatedPayload,
    group_name_of,
    parse_json_body,
    token_of,
    validate_payload,
)

log = logging.getLogger(__name__)

RESPONSE_DEADLINE_S = 2.0  # from the request's arrival; TradingView gives up after 3 s: leave room for the network


class ApiError(Exception):
    """An HTTP error with a JSON body ``{"detail": ...}`` (plus ``extra`` keys)."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        self.status = status
        self.detail = detail
        self.headers = headers
        self.extra = extra
        super().__init__(detail)


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refusing more than ``limit`` bytes with ``ApiError(413)`` (checked against
    ``Content-Length`` first, then while streaming, so a huge body is never held in memory)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"request body larger than {limit} bytes")
    size = 0
    chunks: list[bytes] = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"request body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def payload_schema() -> dict[str, Any]:
    """OpenAPI request body of the webhook: a single order or a batch."""
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"oneOf": [SinglePayload.model_json_schema(ref_template="#/components/schemas/{model}"),
                                                  BatchPayload.model_json_schema(ref_template="#/components/schemas/{model}")]}},
        "text/plain": {"schema": {"type": "string", "description": "the same JSON sent as text/plain"}}}}}


def create_app(services: Any, certificates: Any = None) -> FastAPI:
    """Build the app over ``services`` (see the module docstring), behind ``ListenerGuard`` (allowlist,
    client certificate, REST API on loopback, rate limit per source, body size and depth) with the policy of
    ``services.settings``; ``certificates``: the listener's ``PeerCertificates`` (HTTPS with client certs)."""
    app = FastAPI(title="Trader App local API", version="1", docs_url=None, redoc_url=None,
                  description="TradingView webhook (`POST /api/webhook`) and the local REST API (`/api/v1`, "
                              "bearer admin token). Money is sent as decimal strings.")
    install_docs(app)  # /docs from the packaged Swagger UI: works offline
    app.state.services = services
    _install_error_handlers(app)

    if getattr(services.executor, "groups", "absent") is None and getattr(services, "groups", None) is not None:
        services.executor.groups = services.groups  # cached groups/links: no store read before the fan-out

    async def webhook(request: Request) -> JSONResponse:
        loop = asyncio.get_running_loop()
        started = loop.time()
        body = await read_body(request)
        data = parse_json_body(body)
        name = group_name_of(data)
        groups = services.groups
        group = await groups.get_group(name)
        if group is None:
            raise ApiError(404, f"unknown strategy group {name!r}")
        if not await groups.verify_token(name, token_of(data)):
            raise ApiError(401, "missing or wrong token for this strategy group")
        validated = validate_payload(data)
        check_symbols(services.executor, validated)
        if not group.enabled:
            raise ApiError(409, f"strategy group {name!r} is disabled")
        signal = new_signal(name, validated.orders, SignalSource.WEBHOOK, validated.public_payload)
        signal = idempotent(signal, validated.sender_id, services.settings.webhook.idempotency_window_s)
        log.info("webhook signal %s for group %s: %d order(s)", signal.signal_id, name, len(signal.orders))
        remaining = RESPONSE_DEADLINE_S - (loop.time() - started)  # the deadline counts from the request
        outcome = await services.executor.execute(signal, wait_s=max(0.05, remaining))
        return JSONResponse(outcome.to_json())

    doc = {"openapi_extra": payload_schema(), "response_description": "the signal id and each account's outcome"}
    app.add_api_route("/api/webhook", webhook, methods=["POST"], summary="TradingView webhook", **doc)
    app.add_api_route("/api/v1/trading/signal", webhook, methods=["POST"], summary="Trading signal (webhook alias)",
                      **doc)

    from .api import build_router, health_router

    app.include_router(build_router(services), prefix="/api/v1")
    app.include_router(health_router(services))
    app.add_middleware(ListenerGuard, policy=policy_from(services.settings), certificates=certificates)
    return app


SENDER_ID_WINDOW_MS = 86_400_000


def idempotent(signal: Signal, sender_id: str | None, window_s: float) -> Signal:
    """``signal`` with its idempotency key: ``id:<group>:<sender id>`` held for a day when the alert carries
    its own id, else ``h:<fingerprint>`` held ``window_s`` seconds (TradingView alerts carry no id)."""
    if sender_id is not None:
        key, window = f"id:{signal.group_name}:{sender_id}", SENDER_ID_WINDOW_MS
    else:
        key, window = "h:" + signal_fingerprint(signal), int(window_s * 1000)
    return replace(signal, idempotency_key=key, idempotency_window_ms=window)


def tradable_text(executor: Any, shown: int = 20) -> str:
    """Which symbols the accounts can trade, for an error about one they cannot (issue 13)."""
    symbols = executor.tradable_symbols() if hasattr(executor, "tradable_symbols") else []
    listed = ", ".join(symbols[:shown]) + (f" and {len(symbols) - shown} more" if len(symbols) > shown else "")
    return (f"the accounts trade {listed or 'nothing yet'}; to paper-trade another symbol, import its history "
            "(File > Import CSV) or price the paper venue with Binance (View > Market)")


def check_symbols(executor: Any, validated: ValidatedPayload) -> None:
    """Raise ``PayloadError`` naming each order whose symbol no attached venue or the market lists."""
    errors = []
    single = len(validated.orders) == 1 and "orders" not in validated.public_payload
    for i, order in enumerate(validated.orders):
        if executor.resolve_symbol(order.symbol) is None:
            errors.append(("symbol" if single else f"orders[{i}].symbol",
                           f"unknown symbol {order.symbol!r}: {tradable_text(executor)}"))
    if errors:
        raise PayloadError(errors)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"detail": exc.detail, **exc.extra}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(PayloadError)
    async def _payload_error(_: Request, exc: PayloadError) -> JSONResponse:
        return JSONResponse(exc.to_json(), status_code=422)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            loc = [p for p in err.get("loc", ()) if p != "body"]
            path = ""
            for part in loc:
                path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
            errors.append((path or "body", str(err.get("msg", "invalid")).removeprefix("Value error, ")))
        return JSONResponse(PayloadError(errors).to_json(), status_code=422)

    @app.exception_handler(UnknownGroup)
    async def _unknown_group(_: Request, exc: UnknownGroup) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(DuplicateLink)
    async def _duplicate(_: Request, exc: DuplicateLink) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    @app.exception_handler(SecretStoreError)
    async def _keyring(_: Request, exc: SecretStoreError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(TraderError)
    async def _trader_error(_: Request, exc: TraderError) -> JSONResponse:
        status = 404 if isinstance(exc, KeyError) else 400
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None))

