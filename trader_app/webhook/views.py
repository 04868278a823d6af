"""JSON views of domain objects for the REST API. Money and quantities are decimal strings; times epoch ms."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..core.groups import AccountLink, SignalRecord, StrategyGroup
from ..core.money import amount_text, fmt, quote_of
from ..core.orders import Order
from ..core.portfolio import Account, AccountSummary, Balance, Position


def money(value: Decimal | None) -> str | None:
    """Plain decimal string, exact (``None`` stays ``None``): quantities, weights, limits as given."""
    return None if value is None else fmt(value)


def price(value: Decimal | None) -> str | None:
    """A price or an average price: at most 8 decimals (``COIN_PLACES``), trailing zeros dropped."""
    return amount_text(value)


def account_view(account: Account, session: str, balances: list[Balance],
                 summaries: list[AccountSummary], error: str = "") -> dict[str, Any]:
    """An account with its session state, why it is not trading (``error``: the last connection error or the
    positions that stopped it; "" when it trades), balances and per-currency equity. Credentials are never
    part of an account (they live in the keyring), so nothing secret can be echoed."""
    return {
        "account_id": account.account_id, "name": account.name, "broker": account.broker,
        "mode": account.mode.value, "enabled": account.enabled, "base_currency": account.base_currency,
        "session": session, "error": error, "settings": dict(account.settings),
        "balances": [{"currency": b.currency, "total": amount_text(b.total, b.currency),
                      "locked": amount_text(b.locked, b.currency), "free": amount_text(b.free, b.currency)}
                     for b in balances],
        "equity": {s.currency: amount_text(s.equity, s.currency) for s in summaries},
    }


def link_view(link: AccountLink) -> dict[str, Any]:
    return {"account_id": link.account_id, "weight": money(link.weight), "leverage": money(link.leverage),
            "max_positions": link.max_positions}


def group_view(group: StrategyGroup, links: list[AccountLink], token: str | None) -> dict[str, Any]:
    """A strategy group with its links and webhook token (the admin API is the place to read it)."""
    return {"group_name": group.group_name, "market_type": group.market_type.value,
            "description": group.description, "enabled": group.enabled, "created_ms": group.created_ms,
            "webhook_token": token, "accounts": [link_view(lk) for lk in links]}


def order_view(o: Order) -> dict[str, Any]:
    return {"account_id": o.account_id, "client_order_id": o.client_order_id, "venue_order_id": o.venue_order_id,
            "symbol": o.symbol, "side": o.side.value, "order_type": o.order_type.value,
            "quantity": money(o.quantity), "price": money(o.price), "stop_price": money(o.stop_price),
            "time_in_force": o.time_in_force.value, "status": o.status.value, "filled_qty": money(o.filled_qty),
            "avg_fill_price": price(o.avg_fill_price), "reject_reason": o.reject_reason,
            "signal_id": o.signal_id, "group_name": o.group_name, "created_ms": o.created_ms,
            "updated_ms": o.updated_ms}


def position_view(p: Position) -> dict[str, Any]:
    """A position: prices at most 8 decimals, money in the quote currency at its precision (issue 13: no
    ``0.2519171000000000000000001283``)."""
    ccy = quote_of(p.symbol)
    return {"account_id": p.account_id, "symbol": p.symbol, "quantity": money(p.quantity),
            "avg_price": price(p.avg_price), "last_price": price(p.last_price),
            "market_value": amount_text(p.market_value, ccy), "unrealized_pnl": amount_text(p.unrealized_pnl, ccy),
            "realized_pnl": amount_text(p.realized_pnl, ccy),
            "profit_rate_pct": money(p.profit_rate_pct.quantize(Decimal("0.01")))}


def summary_view(s: AccountSummary) -> dict[str, Any]:
    c = s.currency
    return {"currency": c, "cash": amount_text(s.cash, c), "equity": amount_text(s.equity, c),
            "unrealized_pnl": amount_text(s.unrealized_pnl, c), "realized_pnl": amount_text(s.realized_pnl, c),
            "day_pnl": amount_text(s.day_pnl, c)}


def signal_view(r: SignalRecord) -> dict[str, Any]:
    return {"signal_id": r.signal_id, "source": r.source.value, "group_name": r.group_name, "ts_ms": r.ts_ms,
            "duplicate": r.duplicate, "payload": r.payload, "results": list(r.results)}
