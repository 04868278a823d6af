"""A report's numbers from the store: scope, equity, fills, signals, rejections and risk events of a period.

:func:`build_report` returns the report as JSON-able dict (``reports`` table, ``metrics`` column):

``{"period", "scope", "scope_name", "market", "label", "start", "end", "generated", "accounts",
"sections", "signals", "risk_events", "rejections", "summary", "narrative"}`` where

- ``sections``: one per currency of the scope's accounts with equity points or fills in the period,
  ``{"currency", "metrics", "other_fees", "trades", "trades_won", "trades_lost", "best_trade", "worst_trade",
  "equity"}`` (``trades``: the
  latest :data:`MAX_TRADES`; the metrics count every one); ``metrics`` has :data:`~trader_app.analytics.PERIOD_METRIC_KEYS`
  (the keys shared with ``trader-app backtest --json`` mean the same), ``equity`` the period's curve
  (``[[t_ms, equity], ...]``, at most :data:`PLOT_POINTS` points) for the plot;
- ``signals``: ``{"received", "duplicates", "outcomes": {status: count}, "list": [...]}``, each signal with
  every account's outcome (the order's final status from the journal when it has one, and the reason of a
  refusal);
- ``risk_events``: kill-switch trips and resets; ``rejections``: orders the venue or a risk rule refused.

Scopes: ``all`` (every account), ``account:ID``, ``group:NAME``. A group's report covers its linked accounts
in full (their whole equity and every fill) and the signals sent to the group. Equity comes from the
performance tracker's saved series (``store.kv`` ``performance.equity``, one point per minute).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from ..analytics import PerformanceTracker, metrics_to_json, period_metrics, periods_for_currency
from ..analytics.period import period_curve
from ..analytics.summary import iso_utc
from ..analytics.tracker import KV_KEY
from ..core.enums import LedgerKind, OrderStatus
from ..core.errors import ConfigError
from ..core.money import ZERO, amount_text, fmt
from ..core.portfolio import Account
from .periods import CRYPTO, MarketCalendar, market_of_broker, period_label
from .trades import PeriodFills, period_fills

PLOT_POINTS = 600
MAX_SIGNALS = 500  # signals listed (the counts cover every one)
MAX_TRADES = 500  # trades listed, the latest (the metrics cover every one)


@dataclass(frozen=True, slots=True)
class ReportScope:
    """A resolved scope: its text (``all``/``account:ID``/``group:NAME``), a name for people, the accounts it
    covers and the group whose signals it lists (None: every signal of those accounts)."""

    text: str
    name: str
    accounts: tuple[Account, ...]
    group: str | None = None


def resolve_scope(store: Any, text: str) -> ReportScope:
    """The scope ``text`` over the store's accounts and groups (blocking: store reads). Raises
    ``ConfigError`` for a malformed scope or an unknown account or group."""
    text = (text or "all").strip()
    accounts = store.accounts.list()
    if text == "all":
        return ReportScope("all", "all accounts", tuple(accounts))
    kind, sep, name = text.partition(":")
    if not sep or not name or kind not in ("account", "group"):
        raise ConfigError(f"scope must be all, account:ID or group:NAME, not {text!r}")
    if kind == "account":
        match = [a for a in accounts if a.account_id == name or a.name == name]
        if not match:
            raise ConfigError(f"no account {name!r} (accounts: {', '.join(a.account_id for a in accounts) or 'none'})")
        acc = match[0]
        return ReportScope(f"account:{acc.account_id}", f"account {acc.name}", (acc,))
    if store.groups.get(name) is None:
        raise ConfigError(f"no strategy group {name!r}")
    linked = {link.account_id for link in store.links.list(group_name=name)}
    return ReportScope(f"group:{name}", f"group {name}", tuple(a for a in accounts if a.account_id in linked), name)


def scope_market(scope: ReportScope) -> MarketCalendar:
    """The calendar of the scope: its accounts' calendar when they all share one (KRX for KRX brokers), else
    crypto (UTC days)."""
    markets = {a.broker: market_of_broker(a.broker) for a in scope.accounts}
    names = {m.name for m in markets.values()}
    return next(iter(markets.values())) if len(names) == 1 else CRYPTO


def _thin(t: np.ndarray, e: np.ndarray, points: int = PLOT_POINTS) -> list[list[float]]:
    if t.size <= points:
        return [[int(a), float(b)] for a, b in zip(t.tolist(), e.tolist())]
    keep = np.unique(np.concatenate((np.linspace(0, t.size - 1, points).astype(np.int64), [np.argmin(e), np.argmax(e)])))
    return [[int(t[k]), float(e[k])] for k in keep.tolist()]


def _trade_row(account_id: str, trade: Any) -> dict[str, Any]:
    """One closed trade as the page shows it: money at its currency's places, prices at 8 at most (an average
    entry price is a quotient: 0.33333333333333333 is noise to a reader)."""
    quote = trade.symbol.rpartition("/")[2] if "/" in trade.symbol else ""
    return {"account_id": account_id, "symbol": trade.symbol, "side": trade.side, "quantity": fmt(trade.quantity),
            "entry_time": iso_utc(trade.entry_time_ms), "exit_time": iso_utc(trade.exit_time_ms),
            "entry_price": amount_text(trade.entry_price), "exit_price": amount_text(trade.exit_price),
            "pnl": amount_text(trade.pnl, quote), "return_pct": fmt(trade.return_pct, 4),
            "commission": amount_text(trade.commission, quote)}


def _deposits(store: Any, accounts: tuple[Account, ...], start_ms: int,
              end_ms: int) -> dict[str, list[tuple[int, Decimal]]]:
    """``{currency: [(epoch ms, amount)]}``: the deposits (positive) and withdrawals (negative) booked in
    ``[start_ms, end_ms)`` on ``accounts``' ledgers."""
    moves: dict[str, list[tuple[int, Decimal]]] = {}
    for acc in accounts:
        for entry in store.ledger.list(account_id=acc.account_id):
            if start_ms <= entry.ts_ms < end_ms and entry.kind in (LedgerKind.DEPOSIT, LedgerKind.WITHDRAW):
                amount = entry.amount if entry.kind is LedgerKind.DEPOSIT else -abs(entry.amount)
                moves.setdefault(entry.currency, []).append((entry.ts_ms, amount))
    return moves


def _section(currency: str, tracker: PerformanceTracker, scope: ReportScope, fills: PeriodFills,
             deposits: list[tuple[int, Decimal]],
             start_ms: int, end_ms: int) -> dict[str, Any]:
    t, e = tracker.accounts_series([a.account_id for a in scope.accounts], currency)
    pnl = [trade.pnl for _, trade in fills.trades]
    metrics = period_metrics(t, e, start_ms=start_ms, end_ms=end_ms, periods=periods_for_currency(currency),
                             cash_moves=deposits, realized_pnl=fills.realized_pnl, commissions=fills.commissions,
                             trade_pnl=pnl, fills=fills.fills, traded_notional=fills.traded_notional)
    rows = [_trade_row(a, tr) for a, tr in sorted(fills.trades, key=lambda x: x[1].exit_time_ms)[-MAX_TRADES:]]
    best = max(range(len(pnl)), key=lambda k: pnl[k], default=None)
    worst = min(range(len(pnl)), key=lambda k: pnl[k], default=None)
    pt, pe = period_curve(t, e, start_ms, end_ms)
    return {
        "currency": currency,
        "metrics": metrics_to_json(metrics),
        "other_fees": {k: fmt(v) for k, v in sorted(fills.other_fees.items())},
        "trades": rows,
        "partial_closes": fills.partial_closes,
        "trades_won": sum(1 for p in pnl if p > 0),
        "trades_lost": sum(1 for p in pnl if p < 0),
        "best_trade": _trade_row(*fills.trades[best]) if best is not None else None,
        "worst_trade": _trade_row(*fills.trades[worst]) if worst is not None else None,
        "equity": _thin(pt, pe),
    }


def _signals(store: Any, scope: ReportScope, start_ms: int, end_ms: int) -> dict[str, Any]:
    ids = {a.account_id for a in scope.accounts}
    names = {a.account_id: a.name for a in scope.accounts}
    chosen = []
    for rec in store.signals.since(start_ms):
        if rec.ts_ms >= end_ms:
            break
        if scope.group is not None and rec.group_name != scope.group:
            continue
        if scope.text.startswith("account:") and not any(r.get("account_id") in ids for r in rec.results):
            continue
        chosen.append(rec)
    outcomes: Counter[str] = Counter()
    listed = []
    orders = store.orders.by_client_order_ids(r["client_order_id"] for rec in chosen for r in rec.results
                                              if r.get("client_order_id"))
    for rec in chosen:
        results = []
        for r in rec.results:
            if r.get("account_id") not in ids and scope.text != "all":
                continue
            status, error = str(r.get("status", "?")), str(r.get("error", ""))
            order = orders.get((r.get("account_id", ""), r.get("client_order_id", "")))
            if order is not None and order.status.is_final:
                status = order.status.value
                error = order.reject_reason or error
            if not rec.duplicate:
                outcomes[status] += 1
            results.append({"account_id": r.get("account_id", ""), "account": names.get(r.get("account_id"), ""),
                            "status": status, "error": error})
        payload = rec.payload or {}
        listed.append({"signal_id": rec.signal_id, "time": iso_utc(rec.ts_ms), "source": rec.source.value,
                       "group": rec.group_name, "symbol": str(payload.get("symbol", "")),
                       "side": str(payload.get("side", "")), "order_type": str(payload.get("order_type", "")),
                       "duplicate": rec.duplicate, "results": results})
    return {"received": sum(1 for r in chosen if not r.duplicate), "duplicates": sum(1 for r in chosen if r.duplicate),
            "outcomes": dict(sorted(outcomes.items())), "list": listed[-MAX_SIGNALS:]}


def _rejections(store: Any, scope: ReportScope, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
    out = []
    for acc in scope.accounts:
        for o in store.orders.list(account_id=acc.account_id, status=OrderStatus.REJECTED):
            if start_ms <= o.created_ms < end_ms:
                out.append({"time": iso_utc(o.created_ms), "account_id": acc.account_id, "account": acc.name,
                            "symbol": o.symbol, "side": o.side.value, "client_order_id": o.client_order_id,
                            "reason": o.reject_reason})
    return sorted(out, key=lambda r: r["time"])


def build_report(store: Any, period: str, scope: ReportScope | str, start_ms: int, end_ms: int, now_ms: int,
                 tracker: PerformanceTracker | None = None) -> dict[str, Any]:
    """The report (see the module docstring) of ``[start_ms, end_ms)`` as of ``now_ms`` (epoch ms UTC) for
    ``scope`` (resolved, or its text). ``tracker``: the running app's tracker (its live series); default: the
    series saved in the store. Blocking (store reads): call it off the event loop. Raises ``ConfigError``
    for an unknown scope."""
    if isinstance(scope, str):
        scope = resolve_scope(store, scope)
    market = scope_market(scope)
    if tracker is None:
        tracker = PerformanceTracker(bus=None)
        tracker.load_saved(store.kv.get(KV_KEY, {}))
    currency_of = {a.account_id: a.base_currency for a in scope.accounts}
    all_fills = [f for a in scope.accounts for f in store.fills.list(account_id=a.account_id)]
    by_currency = period_fills(all_fills, currency_of, start_ms, end_ms)
    deposits = _deposits(store, scope.accounts, start_ms, end_ms)
    sections = []
    for ccy in sorted(c for c in set(tracker.currencies(list(currency_of))) | set(by_currency) if c):
        fills = by_currency.get(ccy) or PeriodFills()
        section = _section(ccy, tracker, scope, fills, deposits.get(ccy, []), start_ms, end_ms)
        if section["equity"] or fills.fills or fills.trades:  # a currency with nothing in the period is left out
            sections.append(section)
    risk = [{"time": iso_utc(ev.ts_ms), "account_id": ev.account_id, "kind": ev.kind, "reason": ev.reason}
            for ev in store.risk_events.between(start_ms, end_ms) if ev.account_id in currency_of]
    report = {
        "period": period,
        "scope": scope.text,
        "scope_name": scope.name,
        "market": market.name,
        "label": period_label(period, start_ms, end_ms, market),
        "start": iso_utc(start_ms),
        "end": iso_utc(end_ms),
        "generated": iso_utc(now_ms),
        "accounts": [{"account_id": a.account_id, "name": a.name, "broker": a.broker} for a in scope.accounts],
        "sections": sections,
        "signals": _signals(store, scope, start_ms, end_ms),
        "risk_events": risk,
        "rejections": _rejections(store, scope, start_ms, end_ms),
        "narrative": None,
    }
    report["summary"] = summary_text(report)
    return report


def _signed(text: str | None) -> str:
    if text is None:
        return "-"
    d = Decimal(text)
    return f"+{d:,.2f}" if d > 0 else f"{d:,.2f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f} %"


def summary_text(report: dict[str, Any]) -> str:
    """The plain summary of a report (used when no model writes one): equity, PnL, return and drawdown per
    currency, trades with the best and worst, signals and their outcomes, risk events."""
    lines = [f"{report['label'].capitalize()}, {report['scope_name']}:"]
    if not report["sections"]:
        lines.append("No equity or fill recorded in the period.")
    for s in report["sections"]:
        m = s["metrics"]
        if m["equity_start"] is None:
            lines.append(f"{s['currency']}: no equity recorded in the period.")
            continue
        lines.append(
            f"{s['currency']} equity {Decimal(m['equity_start']):,.2f} -> {Decimal(m['final_equity']):,.2f} "
            f"(PnL {_signed(m['pnl'])}, {_pct(m['total_return_pct'])}; realized {_signed(m['realized_pnl'])}, "
            f"unrealized change {_signed(m['unrealized_pnl_change'])}, fees {Decimal(m['commissions']):,.2f}); "
            f"max drawdown {_pct(m['max_drawdown_pct'])}.")
        if m["trades"]:
            won = s["trades_won"]
            best, worst = s["best_trade"], s["worst_trade"]
            lines.append(f"{m['trades']} trade(s) closed, {won} won; best {_signed(best['pnl'])} ({best['symbol']}), "
                         f"worst {_signed(worst['pnl'])} ({worst['symbol']}).")
        elif s.get("partial_closes"):
            lines.append(f"No position closed in full; {s['partial_closes']} partial close(s) realized "
                         f"{_signed(m['realized_pnl'])} before fees.")
        else:
            lines.append("No trade closed.")
    sig = report["signals"]
    outcome = ", ".join(f"{n} {k}" for k, n in sig["outcomes"].items()) or "no orders"
    lines.append(f"{sig['received']} signal(s) received ({outcome})."
                 + (f" {sig['duplicates']} duplicate(s) ignored." if sig["duplicates"] else ""))
    trips = sum(1 for e in report["risk_events"] if e["kind"] == "kill_switch_tripped")
    lines.append(f"Risk: {trips} kill-switch trip(s), {len(report['rejections'])} rejected order(s).")
    return "\n".join(lines)
