"""The local REST API under ``/api/v1`` (bearer admin token on everything but ``/health``).

Accounts and strategy groups here; orders, positions, signals and the dashboard in ``api_trading.py``.
Bodies are JSON; money is accepted as numbers or strings and always returned as decimal strings.
Errors: 401 (no/wrong bearer token), 404 (unknown account/group/order), 409 (duplicate link),
422 (``{"detail", "errors": [{"field", "reason"}]}``), 400 (a rule of the domain, message in ``detail``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .. import __version__ as APP_VERSION
from ..core.enums import MarketType
from ..core.errors import TraderError
from ..core.groups import DEFAULT_MAX_POSITIONS, StrategyGroup
from ..trading.groups import make_link
from .auth import AdminAuth
from .views import account_view, group_view

Num = Decimal | str | int | float


class AccountCreate(BaseModel):
    """``POST /accounts``: an account on any registered venue (``GET /venues`` lists them with their
    settings schema). ``broker`` is the venue's name; ``mode`` paper / testnet / live; ``settings`` its
    non-secret fields; ``credentials`` its secret fields, which go to the OS keyring only (never stored
    elsewhere, never echoed). Paper: ``initial_cash`` per currency and the two rates."""

    name: str
    broker: str = "paper"
    mode: str | None = None
    settings: dict[str, str] = Field(default_factory=dict)
    credentials: dict[str, str] | None = None
    base_currency: str | None = None  # the venue's own (USDT; KRW on a won exchange) when not given
    initial_cash: dict[str, Num] = Field(default_factory=dict)
    commission_rate: Num | None = None
    slippage_rate: Num | None = None


class AccountUpdate(BaseModel):
    """``PUT /accounts/{id}``: only the fields given change; new ``credentials`` replace the keyring's."""

    name: str | None = None
    enabled: bool | None = None
    commission_rate: Num | None = None
    slippage_rate: Num | None = None
    settings: dict[str, str] | None = None
    credentials: dict[str, str] | None = None


class LinkIn(BaseModel):
    """An account linked to a group: weight is a fraction (0, 1]; leverage >= 1 (FUTURES only)."""

    account_id: str
    weight: Num
    leverage: Num = 1
    max_positions: int = DEFAULT_MAX_POSITIONS


class StrategyCreate(BaseModel):
    """``POST /strategies``: a group, its market type and (optionally) its linked accounts."""

    group_name: str
    market_type: MarketType
    description: str = ""
    enabled: bool = True
    accounts: list[LinkIn] = Field(default_factory=list)


class StrategyUpdate(BaseModel):
    """``PUT /strategies/{group_name}``: only the fields given change; ``accounts`` replaces every link;
    ``rotate_token`` issues a new webhook token (the old one stops working)."""

    description: str | None = None
    enabled: bool | None = None
    market_type: MarketType | None = None
    accounts: list[LinkIn] | None = None
    rotate_token: bool = False


def health_router(services: Any) -> APIRouter:
    """``GET /health`` (no token): 200 ``{"status": "ok", "ready": true, "version", "accounts_connected"}``
    once the app can execute a signal everywhere; until then 503 ``{"status": "starting", "ready": false,
    "waiting_for": [...], ...}`` (accounts not connected, symbols without a price: ``AppServices.not_ready``).
    Mounted under ``/api/v1`` and at the root, so installers and monitors can probe ``/health`` directly."""
    public = APIRouter()

    @public.get("/health", summary="Readiness (no token needed): 503 until accounts are connected and priced")
    async def health() -> JSONResponse:
        om = services.order_manager
        not_ready = getattr(services, "not_ready", None)
        waiting = await not_ready() if not_ready is not None else []
        body: dict[str, Any] = {"status": "starting" if waiting else "ok", "ready": not waiting,
                                "version": APP_VERSION, "accounts_connected": len(om.account_ids())}
        if waiting:
            body["waiting_for"] = waiting
        return JSONResponse(body, status_code=503 if waiting else 200)

    return public


def build_router(services: Any) -> APIRouter:
    """The ``/api/v1`` router (mounted by ``create_app``)."""
    from .app import ApiError

    auth = AdminAuth()
    services_auth = getattr(services, "admin_auth", None)
    if services_auth is None:
        try:
            services.admin_auth = auth
        except AttributeError:
            pass
    else:
        auth = services_auth

    bearer = HTTPBearer(auto_error=False, scheme_name="AdminToken",
                        description="the admin token (Strategies panel, or TRADER_APP_API_TOKEN)")

    async def require_admin(request: Request,
                            _declared: HTTPAuthorizationCredentials | None = Security(bearer)) -> None:
        # ``_declared`` only declares the bearer scheme in the OpenAPI (the docs' Authorize button); the
        # header itself is checked here, in constant time, with the same answer for a missing or wrong token
        if not await auth.check(request.headers.get("authorization")):
            raise ApiError(401, "missing or wrong bearer token (the admin token is shown in Settings)",
                           headers={"WWW-Authenticate": "Bearer"})

    public = health_router(services)
    router = APIRouter(dependencies=[Depends(require_admin)])

    # ---- accounts ------------------------------------------------------------------------------------
    async def view(account_id: str) -> dict[str, Any]:
        acc = services.accounts.get(account_id)
        return account_view(acc, services.accounts.session_state(account_id).value,
                            services.portfolio.balances(account_id), services.portfolio.summaries(account_id),
                            error=services.accounts.session_error(account_id))

    @router.get("/accounts", summary="Every account with balances and equity")
    async def list_accounts() -> list[dict[str, Any]]:
        return [await view(a.account_id) for a in services.accounts.list()]

    @router.get("/venues", summary="The venues accounts can be opened on, with their settings schema")
    async def venues() -> list[dict[str, Any]]:
        registry = services.accounts.registry
        return [{"name": spec.name, "label": spec.label, "modes": [m.value for m in spec.modes],
                 "fields": [{"name": f.name, "label": f.label, "kind": f.kind, "secret": f.secret,
                             "required": f.required, "default": f.default, "choices": list(f.choices),
                             "help": f.help, "advanced": f.advanced} for f in spec.fields]}
                for spec in (registry.spec(n) for n in registry.names())]

    @router.post("/accounts", status_code=201, summary="Create an account on a venue (secrets to the OS keyring)")
    async def create_account(body: AccountCreate) -> dict[str, Any]:
        if body.broker == "paper" and body.mode in (None, "paper") and not body.settings and not body.credentials:
            acc = await services.accounts.create_paper_account(body.name, body.initial_cash, body.commission_rate,
                                                               body.slippage_rate)
        else:
            acc = await services.accounts.create_account(body.broker, body.mode or "live", body.name, body.settings,
                                                         body.credentials, base_currency=body.base_currency)
        return await view(acc.account_id)

    @router.post("/accounts/login-all", summary="(Re)connect every enabled account")
    async def login_all() -> dict[str, str]:
        states = await services.accounts.login_all()
        return {k: v.value for k, v in states.items()}

    @router.get("/accounts/{account_id}", summary="One account")
    async def get_account(account_id: str) -> dict[str, Any]:
        return await view(account_id)

    @router.put("/accounts/{account_id}", summary="Rename, enable/disable, change paper rates")
    async def update_account(account_id: str, body: AccountUpdate) -> dict[str, Any]:
        await services.accounts.update_account(account_id, name=body.name, enabled=body.enabled,
                                               commission_rate=body.commission_rate,
                                               slippage_rate=body.slippage_rate, settings=body.settings,
                                               credentials=body.credentials)
        return await view(account_id)

    @router.post("/accounts/{account_id}/accept-positions",
                 summary="Accept the venue's positions of an account stopped on a mismatch at start-up")
    async def accept_positions(account_id: str) -> dict[str, Any]:
        await services.accounts.accept_venue_positions(account_id)
        return await view(account_id)

    @router.delete("/accounts/{account_id}", summary="Delete an account and everything recorded for it")
    async def delete_account(account_id: str) -> dict[str, Any]:
        await services.accounts.delete_account(account_id)
        return {"deleted": account_id}

    @router.get("/accounts/{account_id}/risk", summary="Risk limits and kill-switch state")
    async def get_risk(account_id: str) -> dict[str, Any]:
        services.accounts.get(account_id)
        return _risk_view(services, account_id)

    @router.put("/accounts/{account_id}/risk", summary="Set risk limits (money per quote currency)")
    async def set_risk(account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        from ..trading.risk.rules import RiskLimits

        services.accounts.get(account_id)
        await _book(services).set_limits(account_id, RiskLimits.from_json(body))
        return _risk_view(services, account_id)

    @router.post("/accounts/{account_id}/risk/reset", summary="Reset the kill switch")
    async def reset_kill_switch(account_id: str) -> dict[str, Any]:
        services.accounts.get(account_id)
        await _book(services).reset(account_id)
        return _risk_view(services, account_id)

    # ---- strategy groups -----------------------------------------------------------------------------
    groups = services.groups

    async def gview(name: str) -> dict[str, Any]:
        group = await groups.require_group(name)
        return group_view(group, await groups.links(name), await groups.token(name))

    def check_links(group: StrategyGroup, links: list[LinkIn]) -> None:
        seen = set()
        for lk in links:
            if lk.account_id in seen:
                raise ApiError(409, f"account {lk.account_id!r} is listed twice for strategy group {group.group_name!r}")
            seen.add(lk.account_id)
            services.accounts.get(lk.account_id)
            make_link(group, lk.account_id, lk.weight, lk.leverage, lk.max_positions)

    @router.get("/strategies", summary="Every strategy group with links and webhook token")
    async def list_strategies() -> list[dict[str, Any]]:
        return [await gview(g.group_name) for g in await groups.list_groups()]

    @router.post("/strategies", status_code=201, summary="Create a strategy group (returns its webhook token)")
    async def create_strategy(body: StrategyCreate) -> dict[str, Any]:
        check_links(StrategyGroup(body.group_name, body.market_type), body.accounts)  # all or nothing
        await groups.create_group(body.group_name, body.market_type, body.description, body.enabled)
        for lk in body.accounts:
            await groups.link(body.group_name, lk.account_id, lk.weight, lk.leverage, lk.max_positions)
        return await gview(body.group_name)

    @router.get("/strategies/{group_name}", summary="One strategy group")
    async def get_strategy(group_name: str) -> dict[str, Any]:
        return await gview(group_name)

    @router.put("/strategies/{group_name}", summary="Change a group, replace its links, rotate its token")
    async def update_strategy(group_name: str, body: StrategyUpdate) -> dict[str, Any]:
        group = await groups.require_group(group_name)
        if body.accounts is not None:
            check_links(StrategyGroup(group_name, body.market_type or group.market_type), body.accounts)
        await groups.update_group(group_name, description=body.description, enabled=body.enabled,
                                  market_type=body.market_type)
        if body.accounts is not None:
            wanted = {lk.account_id: lk for lk in body.accounts}
            for old in await groups.links(group_name):
                if old.account_id not in wanted:
                    await groups.unlink(group_name, old.account_id)
            current = {lk.account_id for lk in await groups.links(group_name)}
            for acc, lk in wanted.items():
                if acc in current:
                    await groups.update_link(group_name, acc, weight=lk.weight, leverage=lk.leverage,
                                             max_positions=lk.max_positions)
                else:
                    await groups.link(group_name, acc, lk.weight, lk.leverage, lk.max_positions)
        if body.rotate_token:
            await groups.rotate_token(group_name)
        return await gview(group_name)

    @router.delete("/strategies/{group_name}", summary="Delete a group, its links and its token")
    async def delete_strategy(group_name: str) -> dict[str, Any]:
        if not await groups.delete_group(group_name):
            raise ApiError(404, f"unknown strategy group {group_name!r}")
        return {"deleted": group_name}

    from .api_reports import add_report_routes
    from .api_trading import add_trading_routes

    add_trading_routes(router, services)
    add_report_routes(router, services)
    root = APIRouter()
    root.include_router(public)
    root.include_router(router)
    return root


def _book(services: Any) -> Any:
    book = getattr(services, "risk_book", None)
    if book is None:
        raise TraderError("risk rules are not configured in this build")
    return book


def _risk_view(services: Any, account_id: str) -> dict[str, Any]:
    book = _book(services)
    state = book.kill_switch(account_id)
    return {"account_id": account_id, "limits": book.limits(account_id).to_json(),
            "kill_switch": state.to_json() if state is not None else {"tripped": False}}
