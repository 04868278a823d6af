"""A real market that cannot be reached never shows another market's data (issue 20, item 5): started with
``--market binance`` while Binance is unreachable, the chart of a paper symbol says "no data from binance
(unreachable)" instead of the demo's stored candles, and a held position reads "no price", not its average
price with 0.00 PnL."""

from __future__ import annotations

import socket
from decimal import Decimal as D

from trader_app.core.enums import Interval, OrderType, Side
from trader_app.core.orders import OrderRequest
from trader_app.core.market_data import Bar
from ui_helpers import publish_quote, until


def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens (connection refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_binance_unreachable_shows_no_demo_candles_and_no_stale_marks(tmp_path, qapp):
    from trader_app.app import build_services
    from trader_app.ui.main_window import MainWindow

    data = tmp_path / "data"
    first = build_services(data, demo=False, start_webhook=False)
    await first.start()
    try:  # a demo session: candles stored for the paper venue, a position bought on the demo's price
        account = first.accounts.list()[0].account_id
        bars = [Bar("BTC/USDT", Interval.M1, 1_796_000_000_000 + k * 60_000, D("65000"), D("65010"), D("64990"),
                    D("65005"), D("1"), True) for k in range(50)]
        await first.store.run(first.store.bars.save, bars)
        publish_quote(first, "BTC/USDT", bid="64999.98", ask="65000.02")
        order = await first.order_manager.submit(OrderRequest(account_id=account, symbol="BTC/USDT", side=Side.BUY,
                                                              order_type=OrderType.MARKET, quantity=D("0.3"),
                                                              client_order_id="ta-offline-1"))
        assert order.filled_qty == D("0.3")
    finally:
        await first.stop()

    settings = first.settings
    settings.market.source = "binance"
    settings.market.binance_rest_url = closed_port_url()
    settings.market.binance_stream_url = closed_port_url().replace("http", "ws")
    second = build_services(data, settings, demo=True, start_webhook=False)  # demo=True: the configured market
    await second.start()
    window = MainWindow(second)
    try:
        window.show()
        await window.load()
        await until(lambda: second.markets is not None and second.markets.error)
        await window.chart.show_symbol("BTC/USDT")
        assert window.chart.bar_count() == 0  # the demo's 50 stored candles are not Binance's
        assert window.chart.chart.note() == "BTC/USDT · 1m — no data from binance (unreachable)"
        position = second.portfolio.position(account, "BTC/USDT")
        assert position.quantity == D("0.3") and position.last_price is None
        (summary,) = [s for s in second.portfolio.summaries(account) if s.currency == "USDT"]
        assert summary.day_pnl is None  # no price: no day PnL rather than a wrong one
        window.docks["positions"].raise_()
        await until(lambda: (window.bridge.flush(), window.positions.model.rowCount() == 1)[1])
        model = window.positions.model
        row = {c.title: model.data(model.index(0, i)) for i, c in enumerate(model.columns)}
        assert (row["Last"], row["Market value"], row["Unrealized PnL"], row["Profit %"]) == (
            "no price", "-", "-", "-")
    finally:
        window.close()
        window.deleteLater()
        await second.stop()
