"""The fan-out bench runs end to end (tiny), and its fake venue adapter honours the Broker contract."""

from decimal import Decimal as D

import pytest

from trader_app.brokers.base import BalanceUpdate, Broker, FillUpdate, OrderUpdate, PositionUpdate
from trader_app.core.enums import MarketType, OrderStatus, OrderType, Side
from trader_app.core.errors import DuplicateClientOrderId, InvalidOrder, OrderNotFound, VenueUnavailable
from trader_app.core.instrument import Instrument
from trader_app.core.orders import OrderRequest
from trader_app.devtools.bench_fanout import pct, report, run_fanout
from trader_app.devtools.fakevenue import FakeVenue, FakeVenueBroker, FakeVenueServer


async def test_bench_fanout_small_run_fills_every_order():
    figures = await run_fanout(accounts=4, latency_ms=2, signals=3, sequential_signals=1, round_trips=3,
                               venue_mode="loop", warmup=1)
    assert (len(figures.round_trip), len(figures.adapter_fanout), len(figures.concurrent_ack),
            len(figures.sequential_ack)) == (3, 3, 3, 1)
    assert figures.orders_ok == figures.orders_total == 4 * (3 + 1)
    assert all(a <= d for a, d in zip(figures.concurrent_ack, figures.concurrent_done))
    text = report(figures)
    assert "signal-to-last-ack" in text and "orders acknowledged (NEW or filled): 16/16" in text


def test_percentiles():
    assert pct([5.0], 50) == 5.0
    assert pct([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert pct(list(map(float, range(1, 101))), 99) == pytest.approx(99.01)


@pytest.mark.parametrize("order_entry", ["rest", "ws"])
async def test_fake_venue_broker_contract(order_entry):
    inst = Instrument("BTC/USDT", "fakevenue", MarketType.FUTURES, "BTC", "USDT", D("0.1"), D("0.001"))
    venue = FakeVenue([inst], {"BTC/USDT": D("100")}, latency_s=0, cash=D("1000"))
    server = FakeVenueServer(venue)
    await server.start()
    # the updates derived from the order answers alone (the private stream is tested in test_fakevenue_stream)
    broker = FakeVenueBroker(server.url, "a1", ws_url=server.ws_url, order_entry=order_entry, private_stream=False)
    try:
        assert isinstance(broker, Broker)
        with pytest.raises(VenueUnavailable):
            await broker.balances()  # not connected yet
        await broker.connect()
        assert [i.symbol for i in await broker.instruments()] == ["BTC/USDT"]
        buy = OrderRequest("a1", "BTC/USDT", Side.BUY, OrderType.MARKET, D("2"), "c1")
        order = await broker.place_order(buy)
        assert (order.status, order.filled_qty, order.avg_fill_price) == (OrderStatus.FILLED, D("2"), D("100"))
        assert [(b.currency, b.total) for b in await broker.balances()] == [("USDT", D("800"))]
        assert [(p.symbol, p.quantity, p.avg_price) for p in await broker.positions()] == [("BTC/USDT", D("2"), D("100"))]
        limit = OrderRequest("a1", "BTC/USDT", Side.BUY, OrderType.LIMIT, D("1"), "c2", price=D("90"))
        assert (await broker.place_order(limit)).status is OrderStatus.NEW
        assert [o.client_order_id for o in await broker.open_orders()] == ["c2"]
        assert (await broker.query_order("c2")).status is OrderStatus.NEW
        assert await broker.query_order("nope") is None
        assert (await broker.cancel_order("c2")).status is OrderStatus.CANCELLED
        with pytest.raises(OrderNotFound):
            await broker.cancel_order("nope")
        with pytest.raises(DuplicateClientOrderId, match="duplicate client order id c1"):
            await broker.place_order(buy)
        with pytest.raises(InvalidOrder, match="unknown symbol"):
            await broker.place_order(OrderRequest("a1", "ETH/USDT", Side.BUY, OrderType.MARKET, D("1"), "c3"))
        updates = []
        while not broker._queue.empty():
            updates.append(type(broker._queue.get_nowait()))
        assert updates == [FillUpdate, BalanceUpdate, PositionUpdate, OrderUpdate, BalanceUpdate,
                           PositionUpdate, OrderUpdate]
        assert venue.orders_received == 4
        await broker.ping()
        assert venue.ws_connections == (1 if order_entry == "ws" else 0)
    finally:
        await broker.close()
        await server.stop()
    with pytest.raises(VenueUnavailable):
        await broker.place_order(OrderRequest("a1", "BTC/USDT", Side.BUY, OrderType.MARKET, D("1"), "c9"))


def test_cli_bench_fanout_prints_the_figures(capsys):
    from trader_app.__main__ import main

    code = main(["bench", "fanout", "--accounts", "3", "--latency-ms", "1", "--signals", "2",
                 "--sequential-signals", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("fan-out bench: 3 accounts, fake venue latency 1 ms (venue in its own process), "
                          "orders over one WebSocket per account")
    for line in ("one round trip", "venue ping from every account at once", "adapters alone, all at once", "concurrent  signal-to-last-ack", "sequential  signal-to-last-ack",
                 "orders acknowledged (NEW or filled): 9/9"):
        assert line in out
