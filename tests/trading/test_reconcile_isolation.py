"""Reconciliation account by account (issue 21, defects 4 and 8): one account whose venue session expired
never stops the reconcile of the others (it raised out of a plain ``gather``, and out of ``accounts.load()`` at
start-up), and the start-up position check runs on every first connect of an account, not only at app start."""

from __future__ import annotations

from decimal import Decimal as D

from trader_app.core.enums import OrderType, Side
from trader_app.core.errors import SessionExpired
from trader_app.core.portfolio import Position


async def test_an_expired_session_fails_that_account_alone(env, scripted):
    ok = await env.attach(scripted(env.exchange, "a1"))
    bad = await env.attach(scripted(env.exchange, "a2"))
    env.quote("50000.00", "50010.00")
    await env.om.submit(env.request("a1", Side.BUY, OrderType.LIMIT, "0.1", "40000.00", coid="rest-1"))

    async def expired():
        raise SessionExpired("listen key expired")

    bad.open_orders = expired
    report = await env.om.reconcile()
    assert report.failed == {"a2": "reconcile failed: SessionExpired: listen key expired"}
    assert report.swept == 1  # a1's resting order was reconciled all the same
    assert ok.account_id == "a1"


async def test_an_expired_session_at_start_up_marks_that_account_only(env, scripted, monkeypatch):
    first = await env.accounts.create_paper_account("P1", {"USDT": "1000"})
    second = await env.accounts.create_paper_account("P2", {"USDT": "1000"})
    await env.accounts.close()
    real = env.om.reconcile

    async def failing(*args, **kw):
        report = await real(*args, **kw)
        report.failed[second.account_id] = "reconcile failed: SessionExpired: token expired"
        return report

    monkeypatch.setattr(env.om, "reconcile", failing)
    loaded = await env.accounts.load()  # must not raise
    assert [a.account_id for a in loaded] == [first.account_id, second.account_id]
    assert env.accounts.session_error(second.account_id) == "reconcile failed: SessionExpired: token expired"
    assert env.accounts.session_error(first.account_id) == ""


async def test_the_position_check_runs_on_a_connect_after_start_up(env, scripted):
    broker = scripted(env.exchange, "a1")
    # the journal holds 0.5 BTC for this account; the venue will report none on this (late) connect
    env.store.positions.save(Position("a1", "BTC/USDT", D("0.5"), D("50000")))
    await env.attach(broker)
    report = await env.om.reconcile(["a1"])  # not ``startup``: a connect retry or a re-enabled account
    assert "a1" in report.blocked
    assert env.om.blocked("a1").startswith("positions differ from the venue (BTC/USDT: venue 0, journal 0.5)")


async def test_the_periodic_poll_asks_only_for_symbols_with_open_orders(env, scripted):
    """Issue 21, defect 3: the 30 s poll asked every account for all its open orders (Binance spot: weight 80
    each). It asks symbol by symbol where the journal has open orders (weight 6), and nothing otherwise."""
    busy = await env.attach(scripted(env.exchange, "a1"))
    idle = await env.attach(scripted(env.exchange, "a2"))
    asked: dict[str, list] = {"a1": [], "a2": []}
    for broker in (busy, idle):
        real = broker.open_orders

        async def spy(symbol=None, _real=real, _id=broker.account_id):
            asked[_id].append(symbol)
            return await _real(symbol)

        broker.open_orders = spy
    env.quote("50000.00", "50010.00")
    await env.om.submit(env.request("a1", Side.BUY, OrderType.LIMIT, "0.1", "40000.00", coid="rest-1"))
    await env.om.poll_all()
    assert asked == {"a1": ["BTC/USDT"], "a2": []}
