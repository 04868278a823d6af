"""Performance of an account from its ledger, for ``GET /api/v1/dashboard/performance``.

Per (account, currency), from the ledger rows in time order:

- equity after each row = ``cash_after`` + sum over symbols traded in that currency of
  net quantity x the price of that symbol's latest trade (BUY/SELL rows carry symbol, quantity and price);
  the last point is the account's live equity (``AccountSummary.equity``, marked to the current quote);
- deposits and withdrawals are not performance: the curve the metrics see is
  ``equity - (net deposits so far - first deposit)``;
- trade PnL (for win rate, profit factor) = the realized PnL of each reducing trade, replayed with
  ``core.position_math.apply_fill`` (average-price method, before commission);
- metrics: ``analytics.summary.performance_metrics`` (365 periods a year when the account trades
  BASE/QUOTE symbols, 252 for stocks); commissions = the FEE rows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..analytics.returns import periods_per_year
from ..analytics.summary import metrics_to_json, performance_metrics
from ..core.enums import LedgerKind, Side
from ..core.money import ZERO, fmt
from ..core.portfolio import AccountSummary, LedgerEntry
from ..core.position_math import apply_fill, flat


def ledger_performance(account_id: str, entries: list[LedgerEntry], summary: AccountSummary | None,
                       now_ms: int, currency: str) -> dict[str, Any]:
    """Metrics of one account in one currency (see the module docstring). ``entries`` any order."""
    rows = sorted((e for e in entries if e.currency == currency), key=lambda e: (e.ts_ms, e.entry_id))
    qty: dict[str, Decimal] = {}
    last: dict[str, Decimal] = {}
    positions: dict[str, Any] = {}
    flows = ZERO
    first_deposit: Decimal | None = None
    fees = ZERO
    trade_pnl: list[float] = []
    times: list[int] = []
    curve: list[float] = []
    crypto = False
    for e in rows:
        if e.kind in (LedgerKind.DEPOSIT, LedgerKind.WITHDRAW):
            flows += e.amount
            if first_deposit is None and e.kind is LedgerKind.DEPOSIT:
                first_deposit = e.amount
        elif e.kind is LedgerKind.FEE:
            fees += -e.amount
        elif e.kind in (LedgerKind.BUY, LedgerKind.SELL) and e.symbol and e.quantity > 0:
            side = Side.BUY if e.kind is LedgerKind.BUY else Side.SELL
            crypto = crypto or "/" in e.symbol
            qty[e.symbol] = qty.get(e.symbol, ZERO) + e.quantity * side.sign
            last[e.symbol] = e.price
            pos = positions.get(e.symbol) or flat(account_id, e.symbol)
            pos, realized = apply_fill(pos, side, e.quantity, e.price, e.ts_ms)
            positions[e.symbol] = pos
            if realized != 0:
                trade_pnl.append(float(realized))
        if first_deposit is None:
            continue
        equity = e.cash_after + sum((q * last[s] for s, q in qty.items()), ZERO)
        times.append(e.ts_ms)
        curve.append(float(equity - (flows - first_deposit)))
    final = summary.equity if summary is not None else (Decimal(repr(curve[-1])) if curve else ZERO)
    if first_deposit is not None:
        times.append(max(now_ms, times[-1] if times else now_ms))
        curve.append(float(final - (flows - first_deposit)))
    metrics = performance_metrics(times, curve, periods=periods_per_year(crypto),
                                  initial_equity=float(first_deposit) if first_deposit is not None else None,
                                  trade_pnl=trade_pnl, final_equity=Decimal(fmt(final)), commissions=Decimal(fmt(fees)))
    return {"account_id": account_id, "currency": currency, "net_deposits": fmt(flows), "equity": fmt(final),
            "pnl": fmt(final - flows), "metrics": metrics_to_json(metrics)}
