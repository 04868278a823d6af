"""Factories of domain records for the store tests (every field set, awkward Decimals)."""

from __future__ import annotations

from decimal import Decimal

from trader_app.core import (
    Account,
    AccountMode,
    Bar,
    Fill,
    Interval,
    LedgerEntry,
    LedgerKind,
    Order,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)

D = Decimal


def make_account(account_id: str = "acc-1", **kw) -> Account:
    values = dict(
        account_id=account_id,
        name="Paper 1",
        broker="paper",
        mode=AccountMode.PAPER,
        base_currency="USDT",
        enabled=True,
        settings={"commission_rate": "0.001", "slippage_rate": "0.0005"},
    )
    values.update(kw)
    return Account(**values)


def make_order(client_order_id: str = "ta-1", account_id: str = "acc-1", **kw) -> Order:
    values = dict(
        account_id=account_id,
        client_order_id=client_order_id,
        symbol="BTC/USDT",
        side=Side.BUY,
        order_type=OrderType.STOP_LIMIT,
        quantity=D("0.00000001"),
        price=D("123456789.123456789"),
        stop_price=D("123456000.5"),
        time_in_force=TimeInForce.IOC,
        status=OrderStatus.PARTIALLY_FILLED,
        created_ms=1_700_000_000_123,
        updated_ms=1_700_000_000_456,
        venue_order_id="v-77",
        filled_qty=D("0.000000005"),
        avg_fill_price=D("123456788.1"),
        reject_reason="",
        reduce_only=True,
        signal_id="sig-1",
        group_name="trend",
        triggered=True,
        fill_ids=("t-1", "t-2"),
    )
    values.update(kw)
    return Order(**values)


def make_fill(trade_id: str = "t-1", account_id: str = "acc-1", **kw) -> Fill:
    values = dict(
        trade_id=trade_id,
        account_id=account_id,
        client_order_id="ta-1",
        symbol="BTC/USDT",
        side=Side.SELL,
        price=D("123456789.123456789"),
        quantity=D("0.00000001"),
        commission=D("0.0012345678912345"),
        commission_asset="USDT",
        ts_ms=1_700_000_000_789,
        venue_order_id="v-77",
    )
    values.update(kw)
    return Fill(**values)


def make_entry(entry_id: str = "led-1", account_id: str = "acc-1", **kw) -> LedgerEntry:
    values = dict(
        entry_id=entry_id,
        account_id=account_id,
        ts_ms=1_700_000_001_000,
        kind=LedgerKind.BUY,
        currency="USDT",
        amount=D("-1.23456789123456789"),
        cash_before=D("100000.00"),
        cash_after=D("99998.76543210876543211"),
        symbol="BTC/USDT",
        quantity=D("0.00000001"),
        price=D("123456789.123456789"),
        client_order_id="ta-1",
        trade_id="t-1",
        note="first fill",
    )
    values.update(kw)
    return LedgerEntry(**values)


def make_bar(open_time_ms: int, symbol: str = "BTC/USDT", interval: Interval = Interval.M1, **kw) -> Bar:
    values = dict(
        symbol=symbol,
        interval=interval,
        open_time_ms=open_time_ms,
        open=D("100.5"),
        high=D("101.25"),
        low=D("99.00000001"),
        close=D("100.75"),
        volume=D("12.345"),
        closed=True,
    )
    values.update(kw)
    return Bar(**values)
