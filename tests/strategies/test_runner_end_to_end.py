"""End to end: the app's services (paper broker, order manager, executor) driven by a live sma_cross."""

from decimal import Decimal

from trader_app.app import build_services
from trader_app.core.enums import Interval, MarketType, SignalSource
from trader_app.core.events import BarEvent, QuoteEvent
from trader_app.core.market_data import Bar, Quote
from trader_app.strategies.runner import StrategyRunner

D = Decimal
T0 = 1_704_067_200_000
CLOSES = [10, 10, 10, 11, 12, 11, 9, 8]  # golden cross at bar 3 (11), death cross at bar 6 (9)


async def test_live_sma_cross_trades_the_linked_paper_account(tmp_path):
    svc = build_services(tmp_path / "data", demo=False, start_webhook=False)
    await svc.start()
    try:
        runner = svc.strategies
        assert isinstance(runner, StrategyRunner)
        account = svc.accounts.list()[0]
        await svc.groups.create_group("crypto", MarketType.SPOT)
        await svc.groups.link("crypto", account.account_id, "0.5")
        await runner.add("sma", "sma_cross", "crypto", ["BTC/USDT"], Interval.M1, {"fast": 2, "slow": 3, "long_only": True})
        await runner.start_instance("sma")
        for k, c in enumerate(CLOSES):
            ts = T0 + k * 60_000
            price = D(c)
            svc.bus.publish(QuoteEvent(Quote("BTC/USDT", ts + 59_000, price, price, price, venue="paper")))
            svc.bus.publish(BarEvent(Bar("BTC/USDT", Interval.M1, ts, price, price, price, price, D(1))))
            await runner.drain()
            await svc.bus.drain()
            if k == 3:
                pos = [p for p in svc.portfolio.positions(account.account_id) if p.symbol == "BTC/USDT"]
                # 100 % of the allocation: 100,000 USDT x 0.5 / 11, down to the 0.00001 lot
                assert pos and pos[0].quantity == D("4545.45454") and pos[0].avg_price == D(11)
                book = runner.state("sma")["symbols"]["BTC/USDT"]
                assert book["position"] > 0 and book["avg_price"] == 11.0
        pos = [p for p in svc.portfolio.positions(account.account_id) if p.symbol == "BTC/USDT" and p.quantity != 0]
        assert pos == []  # the death cross closed it (long_only)
        records = await svc.store.run(svc.store.signals.list, 10, "crypto")
        assert [r.source for r in records] == [SignalSource.STRATEGY, SignalSource.STRATEGY]
        assert all(r.results and r.results[0]["status"] == "FILLED" for r in records)
        assert runner.state("sma")["symbols"]["BTC/USDT"]["position"] == 0.0
    finally:
        await svc.stop()
