"""PortfolioService (marks, AccountSummary, throttled publication) and AccountService (paper lifecycle,
deposits/withdrawals, restore after a restart from the store). Real Store."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from trader_app.core import (
    AccountEvent,
    AccountSummaryEvent,
    InsufficientFunds,
    LedgerKind,
    Order,
    OrderStatus,
    OrderType,
    SessionState,
    Side,
    TraderError,
)
from trader_app.core.portfolio import Account
from trader_app.trading import UnknownAccount

B, S = Side.BUY, Side.SELL
MKT, LMT, STP = OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_MARKET


async def test_account_summary_equity_is_cash_plus_market_value(env):
    acc = await env.accounts.create_paper_account("P1", {"USDT": "100000", "USD": "10000"})
    aid = acc.account_id
    env.quote("50000.00", "50010.00")
    env.quote("189.90", "190.10", symbol="AAPL")
    await env.om.submit(env.request(aid, B, MKT, "0.5"))  # 25005 + 25.005 fee
    await env.om.submit(env.request(aid, B, MKT, "10", symbol="AAPL"))  # 1901 + 1.901 fee
    env.quote("51000.00", "51020.00", last="51010.00")
    env.quote("200.00", "200.20", symbol="AAPL", last="200.10")

    usd, usdt = env.portfolio.summaries(aid)
    assert (usdt.currency, usdt.cash) == ("USDT", D("74969.995"))
    assert usdt.equity == D("74969.995") + D("0.5") * D("51010.00")
    assert usdt.unrealized_pnl == (D("51010.00") - D("50010.00")) * D("0.5")
    assert (usd.currency, usd.cash) == ("USD", D("8097.099"))
    assert usd.equity == D("8097.099") + D("10") * D("200.10") == D("10098.099")
    assert usd.unrealized_pnl == D("100.00")
    assert usdt.session is SessionState.CONNECTED
    assert env.portfolio.equity(aid, "USDT") == usdt.equity
    # day PnL: the day started with the deposits; since then fees were paid and prices moved
    assert usdt.day_pnl == usdt.equity - D("100000") == D("474.995")
    assert usd.day_pnl == D("98.099")

    await env.om.submit(env.request(aid, S, MKT, "0.5"))  # at the bid 51000.00
    await env.accounts.deposit(aid, "USDT", "1000")  # moving cash is not profit
    (usd, usdt) = env.portfolio.summaries(aid)
    assert usdt.realized_pnl == D("495.000")  # (51000 - 50010) x 0.5, before commission
    assert usdt.unrealized_pnl == 0
    assert usdt.cash == usdt.equity == D("74969.995") + D("25500.000") - D("25.5") + D("1000")
    assert usdt.day_pnl == usdt.equity - D("101000")
    assert [p.symbol for p in env.portfolio.positions(aid)] == ["AAPL"]
    assert [p.symbol for p in env.portfolio.positions(aid, include_flat=True)] == ["AAPL", "BTC/USDT"]


async def test_positions_are_marked_to_market_by_quotes(env):
    acc = await env.accounts.create_paper_account("P1", {"USDT": "100000"})
    env.quote("50000.00", "50010.00")
    await env.om.submit(env.request(acc.account_id, B, MKT, "0.2"))
    pos = env.portfolio.position(acc.account_id, "BTC/USDT")
    assert (pos.avg_price, pos.last_price) == (D("50010.00"), D("50005.00"))  # marked at the last quote
    env.quote("49000.00", "49010.00", last="49005.00")
    pos = env.portfolio.position(acc.account_id, "BTC/USDT")
    assert pos.unrealized_pnl == (D("49005.00") - D("50010.00")) * D("0.2") == D("-201.000")
    assert pos.profit_rate_pct == D("-201.000") / (D("50010.00") * D("0.2")) * 100


async def test_summaries_are_throttled_not_published_per_quote(env):
    acc = await env.accounts.create_paper_account("P1", {"USDT": "100000"})
    env.quote("50000.00", "50010.00")
    await env.om.submit(env.request(acc.account_id, B, MKT, "0.2"))
    await asyncio.sleep(0.3)  # let the pending summary go out
    got: list = []
    env.bus.subscribe(AccountSummaryEvent, got.append)
    for i in range(2000):
        env.quote(f"{50000 + i}.00", f"{50010 + i}.00")
    assert got == []  # nothing inline on the quote path
    done = asyncio.get_running_loop().create_future()
    env.bus.subscribe(AccountSummaryEvent, lambda e: done.done() or done.set_result(e))
    await asyncio.wait_for(done, 5)
    assert len(got) == 1  # one summary for 2000 quotes
    assert got[0].summary.equity == env.portfolio.equity(acc.account_id, "USDT")


async def test_create_paper_account_persists_and_funds_it(env):
    events = []
    env.bus.subscribe(AccountEvent, events.append)
    acc = await env.accounts.create_paper_account("Paper 1", {"USDT": "100000", "KRW": "100000000", "USD": 0},
                                                  commission_rate="0.0005", slippage_rate=D("0.0002"))
    assert (acc.broker, acc.settings) == ("paper", {"commission_rate": "0.0005", "slippage_rate": "0.0002"})
    assert env.store.accounts.get(acc.account_id) == acc
    assert sorted((b.currency, b.total) for b in env.store.balances.list(acc.account_id)) == [
        ("KRW", D("100000000")), ("USDT", D("100000"))]
    assert [(e.kind, e.note) for e in env.store.ledger.list(acc.account_id)] == [
        (LedgerKind.DEPOSIT, "initial deposit"), (LedgerKind.DEPOSIT, "initial deposit")]
    assert env.accounts.session_state(acc.account_id) is SessionState.CONNECTED
    assert [e.session for e in events] == [SessionState.CONNECTING, SessionState.CONNECTED]
    assert env.accounts.list() == [acc] and env.accounts.get(acc.account_id) == acc
    assert env.om.broker(acc.account_id).commission_rate == D("0.0005")


@pytest.mark.parametrize(
    "name, cash, kwargs, message",
    [
        ("", {"USDT": "1"}, {}, "account name must not be empty"),
        ("P1", {"USDT": "-1"}, {}, "initial cash USDT must be >= 0, got -1"),
        ("P1", {"USDT": "abc"}, {}, "initial cash USDT must be a number, got 'abc'"),
        ("P1", {" usdt": "1"}, {}, "currency must be a code such as USDT, got ' usdt'"),
        ("P1", {"USDT": "1"}, {"commission_rate": "1.5"}, "commission_rate must be a fraction in [0, 1), got 1.5"),
        ("P1", {"USDT": "1"}, {"slippage_rate": "-0.1"}, "slippage_rate must be a fraction in [0, 1), got -0.1"),
    ],
)
async def test_bad_account_input_changes_nothing(env, name, cash, kwargs, message):
    with pytest.raises(TraderError) as info:
        await env.accounts.create_paper_account(name, cash, **kwargs)
    assert str(info.value) == message
    assert env.store.accounts.list() == [] and env.accounts.list() == []


async def test_duplicate_names_and_unknown_accounts(env):
    await env.accounts.create_paper_account("P1", {"USDT": "1"})
    with pytest.raises(TraderError, match="an account named 'P1' already exists"):
        await env.accounts.create_paper_account("P1", {"USDT": "1"})
    with pytest.raises(UnknownAccount) as info:
        env.accounts.get("nope")
    assert isinstance(info.value, KeyError) and str(info.value) == "unknown account 'nope'"


async def test_deposit_withdraw_and_withdraw_over_cash_rejected(env):
    acc = await env.accounts.create_paper_account("P1", {"USDT": "1000"})
    aid = acc.account_id
    entry = await env.accounts.deposit(aid, "USDT", "500.25")
    assert (entry.cash_before, entry.cash_after) == (D("1000"), D("1500.25"))
    out = await env.accounts.withdraw(aid, "USDT", D("200"))
    assert (out.amount, out.cash_after) == (D("-200"), D("1300.25"))
    with pytest.raises(InsufficientFunds, match=r"insufficient USDT to withdraw 5000: free 1300\.25"):
        await env.accounts.withdraw(aid, "USDT", "5000")
    with pytest.raises(TraderError, match="amount must be a number"):
        await env.accounts.deposit(aid, "USDT", "lots")
    assert env.store.balances.list(aid)[0].total == D("1300.25")
    rows = list(reversed(env.store.ledger.list(aid)))
    assert [r.kind for r in rows] == [LedgerKind.DEPOSIT, LedgerKind.DEPOSIT, LedgerKind.WITHDRAW]
    assert all(r.cash_before + r.amount == r.cash_after for r in rows)


async def test_delete_account_cancels_its_orders_and_removes_everything(env):
    acc = await env.accounts.create_paper_account("P1", {"USDT": "100000"})
    aid = acc.account_id
    env.quote("50000.00", "50010.00")
    await env.om.submit(env.request(aid, B, LMT, "0.5", "49000.00"))
    removed = []
    env.bus.subscribe(AccountEvent, lambda e: e.removed and removed.append(e.account.account_id))
    await env.accounts.delete_account(aid)
    assert removed == [aid]
    assert env.exchange.resting_count() == 0
    assert env.store.accounts.get(aid) is None and env.store.orders.list(aid) == []
    assert env.accounts.list() == [] and env.om.account_ids() == []
    assert env.portfolio.summaries(aid) == []


async def test_restore_after_restart_gives_identical_state_and_resting_orders_still_fill(tmp_path, env_on):
    first = env_on(tmp_path / "trader.db")
    acc = await first.accounts.create_paper_account("P1", {"USDT": "100000", "USD": "5000"})
    aid = acc.account_id
    first.quote("50000.00", "50010.00")
    first.quote("189.90", "190.10", symbol="AAPL")
    await first.om.submit(first.request(aid, B, MKT, "1"))
    await first.om.submit(first.request(aid, S, MKT, "0.25"))
    await first.om.submit(first.request(aid, B, LMT, "0.5", "49000.00", coid="rest-buy"))
    await first.om.submit(first.request(aid, S, LMT, "0.5", "60000.00", coid="rest-sell"))
    await first.om.submit(first.request(aid, B, STP, "3", stop="200.00", symbol="AAPL", coid="rest-stop"))
    await first.om.flush()
    broker = first.om.broker(aid)
    before = (await broker.balances(), await broker.positions(), await broker.open_orders())
    before_summaries = first.portfolio.summaries(aid)
    baselines = first.portfolio.day_baselines()
    assert baselines == {f"{aid}|USD": [first.clock.now // 86_400_000, "5000"],
                         f"{aid}|USDT": [first.clock.now // 86_400_000, "100000"]}
    # a crash right after journalling an order, before the venue saw it
    pending = first.request(aid, B, LMT, "0.1", "1.00", coid="crash-pending")
    first.store.orders.save(Order.from_request(pending, 5))
    await first.close()

    second = env_on(tmp_path / "trader.db")  # a new store, exchange, brokers and services on the same file
    second.clock.now = first.clock.now + 60_000  # the app restarts a minute later
    try:
        loaded = await second.accounts.load()
        assert loaded == [acc]
        assert second.accounts.session_state(aid) is SessionState.CONNECTED
        broker = second.om.broker(aid)
        after = (await broker.balances(), await broker.positions(), await broker.open_orders())
        assert after[0] == before[0]  # cash and locked per currency
        assert after[1] == before[1]  # positions with average price and realized PnL
        assert [(o.client_order_id, o.status, o.quantity, o.price, o.stop_price) for o in after[2]] == [
            (o.client_order_id, o.status, o.quantity, o.price, o.stop_price) for o in before[2]]
        await second.om.settled()  # "not found" is final only after the grace window
        assert [o.client_order_id for o in second.om.open_orders(aid)] == ["rest-buy", "rest-sell", "rest-stop"]
        crashed = second.store.orders.get(aid, "crash-pending")
        assert crashed.status is OrderStatus.REJECTED
        assert crashed.reject_reason.startswith("not found at the venue after ")
        # the portfolio is rebuilt from the restored state (marked at average price until quotes arrive)
        summaries = second.portfolio.summaries(aid)
        assert [(s.currency, s.cash, s.realized_pnl) for s in summaries] == [
            (s.currency, s.cash, s.realized_pnl) for s in before_summaries]
        assert second.portfolio.day_baselines() == baselines  # day PnL still counts from the day's start

        # resting orders still fill after the restart
        second.quote("48990.00", "49000.00")
        second.quote("200.00", "200.10", symbol="AAPL")
        await second.om.flush(aid)
        assert second.store.orders.get(aid, "rest-buy").status is OrderStatus.FILLED
        assert second.store.orders.get(aid, "rest-stop").status is OrderStatus.FILLED
        assert second.store.positions.get(aid, "BTC/USDT").quantity == D("1.25")
        assert second.store.positions.get(aid, "AAPL").quantity == D("3")
        usdt = next(b for b in second.store.balances.list(aid) if b.currency == "USDT")
        # 100000 - 50010 - 50.01 + 12500 - 12.5 - 24500 - 24.5; nothing locked any more (the sell reserves BTC)
        assert (usdt.total, usdt.locked) == (D("37902.99"), D("0"))
        ledger = list(reversed(second.store.ledger.list(aid)))
        for prev, nxt in zip([r for r in ledger if r.currency == "USDT"], [r for r in ledger if r.currency == "USDT"][1:]):
            assert prev.cash_after == nxt.cash_before
    finally:
        await second.close()


async def test_an_account_whose_broker_is_missing_loads_as_error_and_the_others_connect(env):
    env.store.accounts.save(Account("acc-live", "Live", "binance"))
    ok = await env.accounts.create_paper_account("P1", {"USDT": "1"})
    await env.accounts.load()
    assert env.accounts.session_state("acc-live") is SessionState.ERROR
    assert env.accounts.session_error("acc-live") == "unknown venue 'binance' (available: paper)"
    assert env.accounts.session_state(ok.account_id) is SessionState.CONNECTED


async def test_disable_and_enable_an_account(env):
    acc = await env.accounts.create_paper_account("P1", {"USDT": "100000"})
    env.quote("50000.00", "50010.00")
    await env.om.submit(env.request(acc.account_id, B, LMT, "0.5", "49000.00", coid="o1"))
    off = await env.accounts.update_account(acc.account_id, enabled=False, name="P1 renamed")
    assert (off.enabled, off.name) == (False, "P1 renamed")
    assert env.accounts.session_state(acc.account_id) is SessionState.DISCONNECTED
    env.quote("48000.00", "48010.00")  # the account is off: its order does not fill
    assert env.store.orders.get(acc.account_id, "o1").status is OrderStatus.NEW
    await env.accounts.update_account(acc.account_id, enabled=True, commission_rate="0.002")
    assert env.accounts.session_state(acc.account_id) is SessionState.CONNECTED
    assert env.om.broker(acc.account_id).commission_rate == D("0.002")
    env.quote("48000.00", "48010.00")
    await env.om.flush(acc.account_id)
    order = env.store.orders.get(acc.account_id, "o1")
    assert (order.status, order.avg_fill_price) == (OrderStatus.FILLED, D("49000.00"))
