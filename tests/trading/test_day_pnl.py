"""Day PnL (feeds the daily-loss kill switch) is exact on the day an account is created, across a restart and
after a restore that brought back a wrong baseline (issue 20, item 4: 50,000 deposited, equity 49,978.52,
day PnL read +10,492.72 because the day's opening equity was taken from the cash alone)."""

from __future__ import annotations

from decimal import Decimal as D

from trader_app.core.enums import OrderType, Side

BASELINES_KEY = "portfolio.day_baselines"


async def _first_day(env):
    acc = await env.accounts.create_paper_account("P1", {"USDT": "50000"})
    env.quote("50000.00", "50010.00")
    await env.om.submit(env.request(acc.account_id, Side.BUY, OrderType.MARKET, "0.21"))  # 10502.1 + 10.5021 fee
    env.quote("49955.00", "49965.00", last="49960.00")
    return acc.account_id


async def test_day_pnl_is_exact_on_the_day_an_account_is_created(env):
    aid = await _first_day(env)
    (usdt,) = env.portfolio.summaries(aid)
    # cash 50000 - 10502.1 - 10.5021 = 39487.3979; 0.21 BTC at 49960 = 10491.6
    assert (usdt.cash, usdt.equity) == (D("39487.3979"), D("49978.9979"))
    assert usdt.day_pnl == D("-21.0021")


async def test_day_pnl_is_exact_after_a_restart_and_a_restore_with_a_wrong_baseline(tmp_path, env_on):
    first = env_on(tmp_path / "trader.db")
    aid = await _first_day(first)
    await first.close()
    # what the old code saved: the opening equity taken from the cash alone (positions not loaded yet)
    first.store = None
    second = env_on(tmp_path / "trader.db")
    second.clock.now = first.clock.now + 60_000
    day = second.clock.now // 86_400_000
    second.store.kv.set(BASELINES_KEY, {f"{aid}|USDT": [day, "39487.3979"]})
    try:
        await second.accounts.load()
        (usdt,) = second.portfolio.summaries(aid)
        assert usdt.day_pnl is None  # the position has no price yet: no day PnL rather than a wrong one
        second.quote("49955.00", "49965.00", last="49960.00")
        (usdt,) = second.portfolio.summaries(aid)
        assert usdt.equity == D("49978.9979")
        assert usdt.day_pnl == D("-21.0021")
        await second.accounts.deposit(aid, "USDT", "1000")  # moving cash is not profit
        (usdt,) = second.portfolio.summaries(aid)
        assert usdt.day_pnl == D("-21.0021")
    finally:
        await second.close()

    third = env_on(tmp_path / "trader.db")  # and once more, with what the second run saved
    third.clock.now = second.clock.now + 60_000
    try:
        await third.accounts.load()
        third.quote("49955.00", "49965.00", last="49960.00")
        (usdt,) = third.portfolio.summaries(aid)
        assert (usdt.equity, usdt.day_pnl) == (D("50978.9979"), D("-21.0021"))
    finally:
        await third.close()
