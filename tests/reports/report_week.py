"""A hand-built week (Saturday 2026-11-28 to Friday 2026-12-04, UTC) of equity, fills, signals, a deposit, a
rejected order and a kill-switch trip on one paper account in group "trend", for the report tests."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal as D

from trader_app.analytics.tracker import KV_KEY
from trader_app.core import (Account, AccountMode, Fill, LedgerEntry, LedgerKind, Order, OrderStatus, OrderType, Side,
                             TimeInForce)
from trader_app.core.enums import MarketType, SignalSource
from trader_app.core.groups import AccountLink, SignalRecord, StrategyGroup
from trader_app.core.portfolio import RiskEvent

ACC = "acc-1"


def ms(text: str) -> int:
    """``"2026-12-04 06:00"`` (UTC) -> epoch ms."""
    return int(datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc).timestamp() * 1000)


EQUITY = [("2026-11-27 23:00", 10000.0), ("2026-11-28 12:00", 10100.0), ("2026-11-30 12:00", 9900.0),
          ("2026-12-02 12:00", 10300.0), ("2026-12-04 00:00", 10200.0), ("2026-12-04 06:00", 10000.0),
          ("2026-12-04 18:00", 10400.0), ("2026-12-05 06:00", 10500.0)]

# (trade id, time, symbol, side, quantity, price, commission in USDT)
FILLS = [("f1", "2026-11-27 22:00", "BTC/USDT", Side.BUY, "0.1", "50000", "5"),
         ("f2", "2026-11-29 10:00", "BTC/USDT", Side.SELL, "0.1", "51000", "5.1"),
         ("f3", "2026-12-01 10:00", "ETH/USDT", Side.BUY, "2", "3000", "6"),
         ("f4", "2026-12-02 10:00", "ETH/USDT", Side.SELL, "2", "2950", "5.9"),
         ("f5", "2026-12-04 08:00", "BTC/USDT", Side.BUY, "0.1", "60000", "6"),
         ("f6", "2026-12-04 20:00", "BTC/USDT", Side.SELL, "0.1", "61000", "6.1"),
         ("f7", "2026-12-04 22:00", "BTC/USDT", Side.BUY, "0.05", "61000", "3.05"),
         ("f8", "2026-12-05 02:00", "BTC/USDT", Side.SELL, "0.05", "62000", "3.1")]


def _order(coid: str, symbol: str, side: Side, status: OrderStatus, at: str, reason: str = "") -> Order:
    return Order(ACC, coid, symbol, side, OrderType.MARKET, D("1"), None, None, TimeInForce.GTC, status, ms(at), ms(at),
                 reject_reason=reason, signal_id=None, group_name="trend")


def build_week(store) -> None:
    """Write the week into ``store`` (blocking)."""
    store.accounts.save(Account(ACC, "Paper 1", "paper", AccountMode.PAPER, "USDT"))
    store.groups.save(StrategyGroup("trend", MarketType.SPOT, created_ms=ms("2026-11-01 00:00")))
    store.links.add(AccountLink("trend", ACC, D("1"), D("1"), 5))
    store.kv.set(KV_KEY, {f"{ACC}|USDT": [[ms(t), e] for t, e in EQUITY]})
    for tid, at, symbol, side, qty, price, fee in FILLS:
        store.fills.add(Fill(tid, ACC, f"c-{tid}", symbol, side, D(price), D(qty), D(fee), "USDT", ms(at)))
    store.ledger.add(LedgerEntry("dep-1", ACC, ms("2026-12-03 12:00"), LedgerKind.DEPOSIT, "USDT", D("500"),
                                 D("1000"), D("1500")))
    store.orders.save(_order("c-f2", "BTC/USDT", Side.SELL, OrderStatus.FILLED, "2026-11-29 10:00"))
    store.orders.save(_order("c-rej", "ETH/USDT", Side.BUY, OrderStatus.REJECTED, "2026-12-03 09:00",
                             "insufficient balance: 2 ETH needs 6,000.00 USDT"))
    store.signals.save(SignalRecord("s1", SignalSource.WEBHOOK, "trend", {"symbol": "BTC/USDT", "side": "sell"},
                                    ms("2026-11-29 10:00"), results=({"account_id": ACC, "status": "NEW",
                                                                      "client_order_id": "c-f2"},)))
    store.signals.save(SignalRecord("s2", SignalSource.WEBHOOK, "trend", {"symbol": "ETH/USDT", "side": "buy"},
                                    ms("2026-12-03 09:00"), results=({"account_id": ACC, "status": "PENDING",
                                                                      "client_order_id": "c-rej"},)))
    store.signals.save(SignalRecord("s3", SignalSource.WEBHOOK, "trend", {"symbol": "ETH/USDT", "side": "buy"},
                                    ms("2026-12-03 09:01"), duplicate=True))
    store.signals.save(SignalRecord("s0", SignalSource.STRATEGY, "other", {"symbol": "BTC/USDT"},
                                    ms("2026-11-20 09:00")))  # before the week
    store.risk_events.add(RiskEvent(ms("2026-12-03 10:00"), ACC, "kill_switch_tripped", "daily loss 250.00 USDT"))
    store.risk_events.add(RiskEvent(ms("2026-12-03 11:00"), ACC, "kill_switch_reset", "reset"))
