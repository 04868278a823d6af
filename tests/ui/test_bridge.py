"""EventBridge: bus events become batched Qt signals, quotes coalesced per symbol."""

from decimal import Decimal

from trader_app.core.bus import EventBus
from trader_app.core.enums import Interval, OrderStatus, OrderType, Side, TimeInForce
from trader_app.core.events import BarEvent, FillEvent, LogEvent, OrderEvent, QuoteEvent
from trader_app.core.market_data import Bar, Quote
from trader_app.core.orders import Fill, Order
from trader_app.ui.bridge import EventBridge
from trader_app.ui.models.format import Formats
from trader_app.ui.models.watchlist import WatchlistModel


def quote(symbol: str, last: str, ts: int = 1) -> Quote:
    p = Decimal(last)
    return Quote(symbol, ts, p - Decimal("0.01"), p + Decimal("0.01"), p, Decimal("1"), Decimal("100"))


def order(coid: str, status: OrderStatus) -> Order:
    return Order("a1", coid, "BTC/USDT", Side.BUY, OrderType.LIMIT, Decimal("1"), Decimal("100"), None,
                 TimeInForce.GTC, status, 1, 1)


def test_quotes_for_one_symbol_coalesce_into_one_model_update_per_flush(qapp):
    bus = EventBus()
    bridge = EventBridge(bus)
    bridge.start()
    model = WatchlistModel(Formats())
    model.set_symbols(["BTC/USDT", "ETH/USDT"])
    bridge.quotes.connect(model.on_quotes)
    emitted = []
    bridge.quotes.connect(emitted.append)
    changed = []
    model.dataChanged.connect(lambda tl, br: changed.append((tl.row(), br.row())))

    for i in range(1000):
        bus.publish(QuoteEvent(quote("BTC/USDT", str(100 + i), ts=i)))
    assert emitted == [] and changed == []  # nothing reaches Qt before the flush
    bridge.flush()

    assert len(emitted) == 1
    assert list(emitted[0]) == ["BTC/USDT"]
    assert emitted[0]["BTC/USDT"].last == Decimal("1099")
    assert changed == [(0, 0)]  # one dataChanged, for the BTC row only
    assert model.record(0).last == Decimal("1099")
    assert model.record(1).quote is None
    assert bridge.quotes_received == 1000 and bridge.quotes_emitted == 1
    bridge.flush()  # nothing pending: no signal
    assert len(emitted) == 1
    bridge.stop()


def test_flush_delivers_fills_in_order_and_orders_latest_state(qapp):
    bus = EventBus()
    bridge = EventBridge(bus)
    bridge.start()
    got_orders, got_fills, got_logs, got_bars = [], [], [], []
    bridge.orders.connect(got_orders.append)
    bridge.fills.connect(got_fills.append)
    bridge.logs.connect(got_logs.append)
    bridge.bars.connect(got_bars.append)
    bus.publish(OrderEvent(order("c1", OrderStatus.PENDING_SUBMIT)))
    bus.publish(OrderEvent(order("c2", OrderStatus.NEW)))
    bus.publish(OrderEvent(order("c1", OrderStatus.NEW)))
    for i in range(3):
        bus.publish(FillEvent(Fill(f"t{i}", "a1", "c1", "BTC/USDT", Side.BUY, Decimal("100"), Decimal("1"),
                                   Decimal("0.1"), "USDT", i)))
    bar = Bar("BTC/USDT", Interval.M1, 60_000, Decimal(1), Decimal(2), Decimal(1), Decimal(2), Decimal(5), False)
    bus.publish(BarEvent(bar))
    bus.publish(BarEvent(Bar("BTC/USDT", Interval.M1, 60_000, Decimal(1), Decimal(3), Decimal(1), Decimal(3),
                             Decimal(6), False)))
    bus.publish(LogEvent(1, "INFO", "t", "hello"))
    bridge.flush()
    assert [(o.client_order_id, o.status) for o in got_orders[0]] == [("c1", OrderStatus.NEW), ("c2", OrderStatus.NEW)]
    assert [f.trade_id for f in got_fills[0]] == ["t0", "t1", "t2"]
    assert len(got_bars[0]) == 1 and got_bars[0][0].close == Decimal(3)
    assert [e.message for e in got_logs[0]] == ["hello"]
    bridge.stop()


def test_timer_flushes_at_most_20_times_a_second(qapp):
    bridge = EventBridge(EventBus())
    assert bridge.interval_ms == 50
    assert EventBridge(EventBus(), rate_hz=10).interval_ms == 100


def test_stop_unsubscribes(qapp):
    bus = EventBus()
    bridge = EventBridge(bus)
    bridge.start()
    bridge.stop()
    bus.publish(QuoteEvent(quote("BTC/USDT", "1")))
    assert bridge.quotes_received == 0
