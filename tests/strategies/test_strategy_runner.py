"""The live strategy runner against a fake executor: signals from closed bars, book, fills, persistence
across restarts, isolation of a failing strategy, weekly scheduling."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from trader_app.core.bus import EventBus
from trader_app.core.enums import Interval, MarketType, OrderStatus, OrderType, Side, SignalSource, TimeInForce
from trader_app.core.errors import ConfigError
from trader_app.core.events import BarEvent, FillEvent, OrderEvent, StrategyStateEvent
from trader_app.core.groups import AccountLink, StrategyGroup
from trader_app.core.market_data import Bar
from trader_app.core.orders import Fill, Order
from trader_app.execution.signal import SignalOrderType
from trader_app.market.catalog import demo_instruments
from trader_app.store import Store
from trader_app.strategies import Strategy, register
from trader_app.strategies.registry import STRATEGIES
from trader_app.strategies.runner import StrategyRunner

D = Decimal
T0 = 1_704_067_200_000  # Monday 2024-01-01 00:00 UTC
SMA_CLOSES = [10, 10, 10, 11, 12, 11, 9, 8, 9, 11, 12]


@dataclass
class Outcome:
    signal_id: str
    results: list[dict[str, Any]]
    duplicate: bool = False


@dataclass
class FakeExecutor:
    """Records signals; answers FILLED for one account (or REJECTED when ``reject``); with a ``bus``
    publishes the order (with the signal id) and a fill at ``fill_price``."""

    bus: Any = None
    reject: bool = False
    fill_price: Decimal | None = None
    signals: list[Any] = field(default_factory=list)

    async def execute(self, signal):
        self.signals.append(signal)
        status = "REJECTED" if self.reject else "FILLED"
        results = []
        for k, o in enumerate(signal.orders):
            coid = f"{signal.signal_id}-{k}"
            results.append({"account_id": "acc1", "order_type": o.order_type.value, "status": status,
                            "client_order_id": coid, **({"error": "no cash"} if self.reject else {})})
            if self.bus is not None and self.fill_price is not None and not self.reject:
                order = Order("acc1", coid, o.symbol, o.side, OrderType.MARKET, D(2), None, None, TimeInForce.GTC,
                              OrderStatus.PENDING_SUBMIT, signal.ts_ms, signal.ts_ms, signal_id=signal.signal_id)
                self.bus.publish(OrderEvent(order))
                self.bus.publish(FillEvent(Fill(f"t-{coid}", "acc1", coid, o.symbol, o.side, self.fill_price, D(2),
                                                D(0), "USDT", signal.ts_ms)))
        return Outcome(signal.signal_id, results)


class FakeMarket:
    def __init__(self, history=None):
        self._inst = {i.symbol: i for i in demo_instruments()}
        self._history = history or {}

    def instrument(self, symbol):
        from trader_app.core.errors import UnknownSymbol

        if symbol not in self._inst:
            raise UnknownSymbol(symbol)
        return self._inst[symbol]

    async def history(self, symbol, interval, limit=500):
        return list(self._history.get(symbol, []))[-limit:]


class FakePortfolio:
    def __init__(self, equity):
        self._equity = equity

    def equity(self, account_id, currency):
        return self._equity.get((account_id, currency), D(0))


def bar(symbol, k, close, closed=True, interval=Interval.M1):
    c = D(str(close))
    return Bar(symbol, interval, T0 + k * interval.ms, c, c, c, c, D(1), closed)


@pytest.fixture
def store():
    s = Store.open(":memory:")
    s.groups.save(StrategyGroup("crypto", MarketType.SPOT))
    s.groups.save(StrategyGroup("stocks", MarketType.STOCK))
    yield s
    s.close()


async def make_runner(store, bus, executor, market=None, portfolio=None):
    runner = StrategyRunner(store=store, bus=bus, executor=executor, market=market or FakeMarket(), portfolio=portfolio)
    await runner.start()
    return runner


def qty_pers(signal):
    return [(o.order_type, o.side, o.qty_per) for o in signal.orders]


async def feed(bus, runner, symbol, closes, start=0):
    for k, c in enumerate(closes):
        bus.publish(BarEvent(bar(symbol, start + k, c, closed=False)))  # a forming bar is ignored
        bus.publish(BarEvent(bar(symbol, start + k, c)))
    await runner.drain()


async def test_sma_cross_sends_signals_on_crosses(store):
    bus = EventBus()
    ex = FakeExecutor()
    runner = await make_runner(store, bus, ex)
    await runner.add("sma", "sma_cross", "crypto", ["BTC/USDT"], Interval.M1, {"fast": 2, "slow": 3})
    await runner.start_instance("sma")
    await feed(bus, runner, "BTC/USDT", SMA_CLOSES)
    m = SignalOrderType.MARKET
    assert [qty_pers(s) for s in ex.signals] == [
        [(m, Side.BUY, D("100.0000"))],  # golden cross at bar 3
        [(m, Side.SELL, D("-100.0000")), (m, Side.SELL, D("100.0000"))],  # death cross at bar 6: close, short
        [(m, Side.BUY, D("-100.0000")), (m, Side.BUY, D("100.0000"))],  # golden cross at bar 9
    ]
    first = ex.signals[0]
    assert first.source is SignalSource.STRATEGY and first.group_name == "crypto"
    assert first.payload["strategy"] == "sma" and first.payload["bar_time_ms"] == T0 + 3 * 60_000
    assert first.payload["orders"] == [{"symbol": "BTC/USDT", "order_type": "MARKET", "side": "buy", "qty_per": "100.0000"}]
    state = runner.state("sma")["symbols"]["BTC/USDT"]
    assert state["position"] == 1.0 and state["avg_price"] == 11.0  # no allocation known: 1.0 = full position
    await runner.stop()


async def test_state_persists_and_the_instance_restarts(store):
    bus = EventBus()
    ex = FakeExecutor()
    runner = await make_runner(store, bus, ex)
    await runner.add("sma", "sma_cross", "crypto", ["BTC/USDT"], Interval.M1, {"fast": 2, "slow": 3})
    await runner.start_instance("sma")
    await feed(bus, runner, "BTC/USDT", SMA_CLOSES[:5])  # golden cross at bar 3: long
    await runner.stop()
    record = store.strategy_instances.get("sma")
    assert record.running is True
    assert record.state["symbols"]["BTC/USDT"]["book"]["qty"] == 1.0
    assert record.state["symbols"]["BTC/USDT"]["last_bar_ms"] == T0 + 4 * 60_000
    # a new runner (app restart) with the stored history: starts the instance, keeps the long
    history = {"BTC/USDT": [bar("BTC/USDT", k, c) for k, c in enumerate(SMA_CLOSES[:5])]}
    bus2 = EventBus()
    ex2 = FakeExecutor()
    runner2 = await make_runner(store, bus2, ex2, FakeMarket(history))
    assert runner2.running() == ["sma"]
    await feed(bus2, runner2, "BTC/USDT", SMA_CLOSES[5:], start=5)
    # the death cross closes the long the first runner opened, then shorts
    assert qty_pers(ex2.signals[0]) == [(SignalOrderType.MARKET, Side.SELL, D("-100.0000")),
                                        (SignalOrderType.MARKET, Side.SELL, D("100.0000"))]
    await runner2.stop_instance("sma")
    assert store.strategy_instances.get("sma").running is False
    await runner2.stop()


async def test_rejected_signal_leaves_the_book_unchanged(store):
    bus = EventBus()
    ex = FakeExecutor(reject=True)
    runner = await make_runner(store, bus, ex)
    await runner.add("sma", "sma_cross", "crypto", ["BTC/USDT"], Interval.M1, {"fast": 2, "slow": 3})
    await runner.start_instance("sma")
    await feed(bus, runner, "BTC/USDT", SMA_CLOSES[:5])
    assert len(ex.signals) == 1
    st = runner.state("sma")
    assert st["symbols"]["BTC/USDT"]["position"] == 0.0
    assert st["last_signal"]["accepted"] == 0 and st["last_signal"]["errors"] == ["acc1: no cash"]
    await runner.stop()


class Boom(Strategy):
    name = "boom_test"

    def on_bar(self, i):
        if i >= 1:
            raise RuntimeError("bad strategy code")


async def test_an_exception_stops_only_that_strategy(store):
    register(Boom)
    try:
        bus = EventBus()
        events = []
        bus.subscribe(StrategyStateEvent, events.append)
        ex = FakeExecutor()
        runner = await make_runner(store, bus, ex)
        await runner.add("boom", "boom_test", "crypto", ["ETH/USDT"], Interval.M1)
        await runner.add("sma", "sma_cross", "crypto", ["ETH/USDT"], Interval.M1, {"fast": 2, "slow": 3})
        await runner.start_instance("boom")
        await runner.start_instance("sma")
        await feed(bus, runner, "ETH/USDT", SMA_CLOSES)
        assert runner.running() == ["sma"]
        failed = [e for e in events if e.name == "boom" and e.error]
        assert failed and not failed[-1].running and "RuntimeError: bad strategy code" in failed[-1].error
        record = store.strategy_instances.get("boom")
        assert record.running is False and "bad strategy code" in record.state["error"]
        assert len(ex.signals) == 3  # sma carried on
        assert bus.errors == 0
        await runner.stop()
    finally:
        STRATEGIES.pop("boom_test", None)


async def test_fills_set_the_entry_price_and_reach_on_fill(store):
    bus = EventBus()
    ex = FakeExecutor(bus=bus, fill_price=D("11.5"))
    runner = await make_runner(store, bus, ex)
    await runner.add("sma", "sma_cross", "crypto", ["BTC/USDT"], Interval.M1, {"fast": 2, "slow": 3})
    await runner.start_instance("sma")
    await feed(bus, runner, "BTC/USDT", SMA_CLOSES[:5])
    state = runner.state("sma")["symbols"]["BTC/USDT"]
    assert state["avg_price"] == 11.5  # the opening fill's price replaces the decision close (11)
    assert store.strategy_instances.get("sma").state["symbols"]["BTC/USDT"]["book"]["fill_qty"] == 2.0
    await runner.stop()


async def test_stock_group_sizes_shares_from_the_smallest_allocation(store):
    store.links.add(AccountLink("stocks", "a1", D("0.5")))
    store.links.add(AccountLink("stocks", "a2", D("1")))
    portfolio = FakePortfolio({("a1", "USD"): D(10000), ("a2", "USD"): D(8000)})
    bus = EventBus()
    ex = FakeExecutor()
    runner = await make_runner(store, bus, ex, portfolio=portfolio)
    await runner.add("sma", "sma_cross", "stocks", ["AAPL"], Interval.M1, {"fast": 2, "slow": 3, "long_only": True})
    await runner.start_instance("sma")
    await feed(bus, runner, "AAPL", SMA_CLOSES[:8])
    # min allocation = min(10000 x 0.5, 8000 x 1) = 5000; golden cross close 11 -> floor(5000/11) = 454 shares
    assert qty_pers(ex.signals[0]) == [(SignalOrderType.MARKET, Side.BUY, D(454))]
    assert qty_pers(ex.signals[1]) == [(SignalOrderType.MARKET, Side.SELL, D("-100.0000"))]  # long_only: flat
    await runner.stop()


async def test_rsi_macd_trailing_state_survives_a_restart(store):
    bus = EventBus()
    runner = await make_runner(store, bus, FakeExecutor())
    await runner.add("rm", "rsi_macd", "crypto", ["SOL/USDT"], Interval.M1,
                     {"buy_macd": "off", "buy_rsi": "above", "buy_rsi_level": 0, "sell_macd": "off", "sell_rsi": "off",
                      "stop_loss_pct": 0, "take_profit_pct": 0, "trail_activation_pct": 1, "trail_pct": 50})
    await runner.start_instance("rm")
    closes = [100 + k for k in range(20)]  # rising: RSI 100 from bar 14 -> buy at bar 14's close (114)
    await feed(bus, runner, "SOL/USDT", closes)
    trailing = runner.state("rm")["symbols"]["SOL/USDT"]["trailing"]
    assert trailing == {"trail_high": 119.0, "trail_stop": 59.5, "armed": True}
    await runner.stop()
    saved = store.strategy_instances.get("rm").state["symbols"]["SOL/USDT"]["strategy"]
    assert saved == {"trail_high": 119.0, "buys": 1}
    runner2 = await make_runner(store, EventBus(), FakeExecutor(),
                                FakeMarket({"SOL/USDT": [bar("SOL/USDT", k, c) for k, c in enumerate(closes)]}))
    assert runner2.state("rm")["symbols"]["SOL/USDT"]["trailing"]["trail_high"] == 119.0
    await runner2.stop()


async def test_weekly_schedules_jobs_in_the_venue_time_zone(store):
    bus = EventBus()
    ex = FakeExecutor()
    runner = await make_runner(store, bus, ex)
    await runner.add("wk", "weekly", "crypto", ["BTC/USDT"], Interval.M1, {"timezone": "Asia/Seoul", "entry_time": "09:05"})
    await runner.start_instance("wk")
    jobs = sorted(runner._jobs.get_jobs(), key=lambda j: j.id)
    assert [j.id for j in jobs] == ["wk:BTC/USDT:scheduled_entry", "wk:BTC/USDT:scheduled_exit"]
    assert str(jobs[0].trigger.timezone) == "Asia/Seoul"
    assert "day_of_week='mon'" in str(jobs[0].trigger) and "hour='9'" in str(jobs[0].trigger)
    runner._enqueue_job("wk", "BTC/USDT", "scheduled_entry")  # before any bar: skipped, no price
    await runner.drain()
    assert ex.signals == []
    await feed(bus, runner, "BTC/USDT", [100.0])
    runner._enqueue_job("wk", "BTC/USDT", "scheduled_entry")
    await runner.drain()
    runner._enqueue_job("wk", "BTC/USDT", "scheduled_exit")
    await runner.drain()
    assert [qty_pers(s) for s in ex.signals] == [[(SignalOrderType.MARKET, Side.BUY, D("100.0000"))],
                                                 [(SignalOrderType.MARKET, Side.SELL, D("-100.0000"))]]
    await runner.stop_instance("wk")
    assert runner._jobs.get_jobs() == []
    await runner.stop()


async def test_configuration_errors(store):
    runner = await make_runner(store, EventBus(), FakeExecutor())
    with pytest.raises(ConfigError, match="unknown strategy group"):
        await runner.add("x", "sma_cross", "nope", ["BTC/USDT"], Interval.M1)
    with pytest.raises(ConfigError, match="fast"):
        await runner.add("x", "sma_cross", "crypto", ["BTC/USDT"], Interval.M1, {"fast": 30})
    with pytest.raises(ConfigError, match="symbol"):
        await runner.add("x", "sma_cross", "crypto", [], Interval.M1)
    await runner.add("x", "sma_cross", "crypto", ["BTC/USDT"], Interval.M1)
    with pytest.raises(ConfigError, match="exists already"):
        await runner.add("x", "sma_cross", "crypto", ["BTC/USDT"], Interval.M1)
    await runner.start_instance("x")
    with pytest.raises(ConfigError, match="stop"):
        await runner.update_params("x", {"fast": 5})
    await runner.stop_instance("x")
    rec = await runner.update_params("x", {"fast": 5})
    assert rec.params == {"fast": 5, "slow": 20, "long_only": False}
    await runner.remove("x")
    assert store.strategy_instances.get("x") is None
    with pytest.raises(ConfigError, match="no strategy instance"):
        await runner.start_instance("x")
    with pytest.raises(TypeError):
        StrategyRunner(store=store)
    await runner.stop()
