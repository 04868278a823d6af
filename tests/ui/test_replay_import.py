"""Replay and File > Import through the window and the app services: real CSV files, the paper venue
trading on replayed prices, and a bad file named by line with nothing imported."""

from decimal import Decimal

from trader_app.core.enums import Interval, OrderStatus, OrderType

from ui_helpers import until

GOOD = """Date,Open,High,Low,Close,Volume
2024-01-02,187.15,188.44,183.89,185.64,82488700
2024-01-03,184.22,185.88,183.43,184.25,58414500
2024-01-04,182.15,183.09,180.88,181.91,71983600
2024-01-05,181.99,182.76,180.17,181.18,62303300
2024-01-08,182.09,185.60,181.50,185.56,59144500
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def test_replay_drives_the_paper_market_and_the_window(window, services, tmp_path, account_id):
    path = write(tmp_path, "MSFTX.csv", GOOD)
    result = await window.replay_csv(str(path), speed=50.0)
    assert (result.symbol, result.interval, len(result.bars)) == ("MSFTX", Interval.D1, 5)
    assert services.market_text() == "replay MSFTX.csv (MSFTX 1d, 5 bars)"
    # the demo stopped: its symbols leave the watchlist instead of sitting there without prices (issue 13)
    await until(lambda: window.watchlist.model.symbols() == ["MSFTX"])
    assert window.ticket.symbol.currentText() == "MSFTX"
    await until(lambda: services.market.replay is not None and services.market.replay.finished)
    last = services.market.last_quote("MSFTX")
    assert last.last == Decimal("185.56")  # the final close
    assert (last.bid, last.ask) == (Decimal("185.55"), Decimal("185.57"))  # one tick (0.01) around it

    ticket = window.ticket
    ticket.set_account(account_id)
    ticket.set_order_type(OrderType.MARKET)
    ticket.quantity.setText("10")
    ticket.buy_button.click()
    order = await ticket.last_task
    assert order.status is OrderStatus.FILLED and order.avg_fill_price == Decimal("185.57")
    await window.chart.last_task
    # bars replayed while the chart loaded its history reach it through the bridge's next flush
    await until(lambda: window.chart.bar_count() == 5)
    assert window.chart.chart.symbol == "MSFTX"


async def test_import_csv_charts_the_bars(window, services, tmp_path):
    path = write(tmp_path, "BTCUSDT-1d.csv", GOOD.replace("Date", "date"))
    result = await window.import_csv(str(path))
    assert (result.symbol, result.interval) == ("BTC/USDT", Interval.D1)  # named from the file name
    await window.chart.last_task
    assert window.chart.chart.symbol == result.symbol and window.chart.bar_count() >= 5
    stored = await services.store.run(services.store.bars.load, result.symbol, Interval.D1)
    assert [b.close for b in stored[-5:]] == [Decimal("185.64"), Decimal("184.25"), Decimal("181.91"),
                                              Decimal("181.18"), Decimal("185.56")]


async def test_bad_csv_names_the_line_and_imports_nothing(window, services, tmp_path):
    bad = GOOD.replace("2024-01-04,182.15,183.09,180.88", "2024-01-04,182.15,abc,180.88")
    path = write(tmp_path, "BADX.csv", bad)
    task = window.import_csv(str(path))
    try:
        await task
    except Exception as exc:  # noqa: BLE001 - the error is the point
        error = str(exc)
    else:
        raise AssertionError("a bad file must not import")
    assert "line 4" in error
    window.bridge.flush()
    top = window.log_panel.model.record(0).event
    assert top.level == "ERROR" and "Import failed" in top.message and "line 4" in top.message
    assert await services.store.run(services.store.bars.load, "BADX", Interval.D1) == []
