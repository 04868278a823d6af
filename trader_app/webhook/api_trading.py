"""REST routes for orders, positions, close-all, signals and the dashboard (mounted under ``/api/v1`` behind
the admin token by ``api.build_router``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from ..core.enums import OrderStatus, SignalSource
from ..core.errors import OrderNotFound
from ..core.money import amount_text
from ..core.ids import now_ms
from .performance import ledger_performance
from .schemas import ManualBatch, ManualOrder, PayloadError, SymbolText, parse_json_body, validate_payload
from .views import order_view, position_view, signal_view, summary_view


class CloseAll(BaseModel):
    """``POST /trading/close-all``: every connected account, or one group's accounts, or one account;
    optionally only one symbol."""

    group_name: str | None = None
    symbol: SymbolText = None
    account_id: str | None = None


def add_trading_routes(router: APIRouter, services: Any) -> None:
    """Add the trading routes to ``router``."""
    from .app import ApiError, check_symbols, read_body

    store = services.store

    @router.get("/orders", summary="Orders, newest first")
    async def list_orders(account_id: str | None = None, status: str | None = None,
                          group_name: str | None = None, signal_id: str | None = None, open_only: bool = False,
                          limit: int = Query(200, ge=1, le=5000)) -> list[dict[str, Any]]:
        if status is not None:
            try:
                status = OrderStatus(status.upper()).value
            except ValueError:
                raise PayloadError([("status", f"must be one of {', '.join(s.value for s in OrderStatus)}")]) from None
        orders = await store.run(store.orders.list, account_id=account_id, status=status, open_only=open_only,
                                 group_name=group_name, signal_id=signal_id, limit=limit)
        return [order_view(o) for o in orders]

    @router.post("/orders", summary="A manual order for one account or a whole group (webhook fields, no token)",
                 openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "oneOf": [ManualOrder.model_json_schema(ref_template="#/components/schemas/{model}"),
                               ManualBatch.model_json_schema(ref_template="#/components/schemas/{model}")]}}}}})
    async def post_order(request: Request) -> dict[str, Any]:
        data = parse_json_body(await read_body(request))
        account_id = data.get("account_id")
        group_name = data.get("group_name") or ""
        if account_id is not None and not isinstance(account_id, str):
            raise PayloadError([("account_id", "must be a string")])
        if not group_name and not account_id:
            raise PayloadError([("group_name", "give a group_name or an account_id")])
        validated = validate_payload(data)
        check_symbols(services.executor, validated)
        if account_id is not None:
            services.accounts.get(account_id)
        from ..execution.executor import new_signal

        signal = new_signal(validated.group_name, validated.orders, SignalSource.MANUAL, validated.public_payload,
                            account_ids=(account_id,) if account_id else None)
        outcome = await services.executor.execute(signal)
        return outcome.to_json()

    @router.delete("/orders/{client_order_id}", summary="Cancel an order by client order id")
    async def cancel_order(client_order_id: str, account_id: str | None = None) -> dict[str, Any]:
        if account_id is None:
            order = await store.run(store.orders.find, client_order_id)
        else:
            order = await store.run(store.orders.get, account_id, client_order_id)
        if order is None:
            raise ApiError(404, f"unknown order {client_order_id!r}")
        try:
            cancelled = await services.order_manager.cancel(order.account_id, client_order_id)
        except OrderNotFound as exc:
            raise ApiError(404, str(exc)) from None
        return order_view(cancelled)

    @router.get("/positions", summary="Open positions marked to market")
    async def positions(account_id: str | None = None) -> list[dict[str, Any]]:
        return [position_view(p) for p in services.portfolio.positions(account_id)]

    @router.post("/trading/close-all", summary="Cancel open orders and close positions at MARKET")
    async def close_all(body: CloseAll) -> dict[str, Any]:
        if body.account_id is not None:
            services.accounts.get(body.account_id)
        outcome = await services.executor.close_all(
            group_name=body.group_name, symbol=body.symbol,
            account_ids=(body.account_id,) if body.account_id else None)
        return outcome.to_json()

    @router.get("/signals", summary="Received signals with each account's outcome, newest first")
    async def list_signals(group_name: str | None = None,
                           limit: int = Query(100, ge=1, le=5000)) -> list[dict[str, Any]]:
        return [signal_view(r) for r in await store.run(store.signals.list, limit=limit, group_name=group_name)]

    @router.get("/signals/{signal_id}", summary="One signal")
    async def get_signal(signal_id: str) -> dict[str, Any]:
        record = await store.run(store.signals.get, signal_id)
        if record is None:
            raise ApiError(404, f"unknown signal {signal_id!r}")
        return signal_view(record)

    @router.get("/dashboard/overview", summary="Equity, cash and PnL per account and in total (per currency)")
    async def overview() -> dict[str, Any]:
        accounts = []
        totals: dict[str, dict[str, Any]] = {}
        for acc in services.accounts.list():
            summaries = services.portfolio.summaries(acc.account_id)
            accounts.append({"account_id": acc.account_id, "name": acc.name,
                             "session": services.accounts.session_state(acc.account_id).value,
                             "currencies": [summary_view(s) for s in summaries]})
            for s in summaries:
                t = totals.setdefault(s.currency, {"cash": 0, "equity": 0, "unrealized_pnl": 0,
                                                   "realized_pnl": 0, "day_pnl": 0})
                for key in t:
                    value = getattr(s, key)  # day_pnl is None until the day's opening equity is known
                    t[key] = None if value is None or t[key] is None else t[key] + value
        # at the currency's precision (arithmetic noise such as 0.2519171000000000000000001283 cut off)
        total = [{"currency": c, **{k: amount_text(v, c) for k, v in t.items()}} for c, t in sorted(totals.items())]
        return {"accounts": accounts, "total": total}

    @router.get("/dashboard/performance", summary="Return, Sharpe, Sortino, drawdown, win rate per account")
    async def performance(account_id: str | None = None) -> dict[str, Any]:
        """``{"accounts": [...], "live": ...}``: ``accounts`` from each account's ledger (``performance.py``:
        deposit-adjusted PnL, trade win rate, commissions); ``live`` the ``PerformanceTracker`` snapshot
        (equity curves per total/group/account) when the app runs one (``services.performance``), else null."""
        tracker = getattr(services, "performance", None)
        out = []
        targets = [services.accounts.get(account_id)] if account_id else services.accounts.list()
        for acc in targets:
            summaries = {s.currency: s for s in services.portfolio.summaries(acc.account_id)}
            entries = await store.run(store.ledger.list, acc.account_id)
            currencies = sorted({e.currency for e in entries} | set(summaries))
            for ccy in currencies:
                row = await store.run(ledger_performance, acc.account_id, entries, summaries.get(ccy), now_ms(), ccy)
                out.append({"name": acc.name, **row})
        return {"accounts": out, "live": tracker.snapshot() if tracker is not None else None}
