"""Telegram, the reports part (issue 14): a notice per fill, the daily report pushed with its equity picture,
and ``/report daily`` answered with the summary and picture, against the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from decimal import Decimal

from telegram_app import CHAT, STRANGER, TOKEN, telegram_app
from waiting import until
from trader_app.core import QuoteEvent, Side, SignalSource
from trader_app.core.enums import MarketType
from trader_app.core.market_data import Quote
from trader_app.execution.executor import new_signal
from trader_app.execution.signal import SignalOrder, SignalOrderType


async def test_fill_notice_daily_report_and_report_command(tmp_path):
    async with telegram_app(tmp_path / "data") as (fake, services):
        services.notices.notifier.min_interval_s = 0.0
        paper = services.accounts.list()[0].account_id
        services.bus.publish(QuoteEvent(Quote("BTC/USDT", int(time.time() * 1000), Decimal("64999"), Decimal("65001"),
                                              Decimal("65000"), Decimal(1), Decimal("64000"))))
        await services.groups.create_group("swing", MarketType.SPOT)
        await services.groups.link("swing", paper, "1")
        order = SignalOrder("BTC/USDT", SignalOrderType.MARKET, Side.BUY, Decimal("10"))
        outcome = await services.executor.execute(new_signal("swing", (order,), SignalSource.WEBHOOK, {}))
        assert outcome.results[0].status == "FILLED"
        assert await until(lambda: any(t.startswith("Fill on Paper 1: BUY ") for _, t in fake.sent), 10), fake.sent
        fill = next(t for _, t in fake.sent if t.startswith("Fill on"))
        assert "BTC/USDT @ 65001" in fill and "(fee " in fill

        # the scheduled daily report (here made by hand) goes to the chat: summary, then the picture
        assert await until(lambda: services.performance.updates >= 3, 10)  # KRW, USD, USDT equity recorded
        stored = await services.reports.make("daily", datetime.now(timezone.utc).date())
        assert await until(lambda: len(fake.photos) == 3, 10), (len(stored.metrics["sections"]), fake.sent[-3:])
        assert any(t == stored.metrics["summary"] for _, t in fake.sent)
        chat, caption, png = fake.photos[0]
        assert (chat, caption) == (CHAT, "Equity (KRW)") and png.startswith(b"\x89PNG")

        fake.say(STRANGER, "/report today")
        fake.say(CHAT, "/report today")
        assert await until(lambda: len(fake.photos) >= 4 and fake.sent[-1][1].startswith("Daily "), 15), fake.sent
        assert [c for c, _, _ in fake.photos] == [CHAT] * len(fake.photos)
        assert fake.sent[-1][1].splitlines()[0].endswith(", all accounts:")
        assert [c for c, _ in fake.sent if c == STRANGER] == []
        fake.say(CHAT, "/report monthly")
        assert await until(lambda: fake.sent[-1][1] == "Usage: /report daily, /report weekly or /report today", 10)
        fake.say(CHAT, "/report daily")  # yesterday: nothing was recorded on this new data dir
        assert await until(lambda: "No equity or fill recorded in the period." in fake.sent[-1][1], 15)


async def test_a_burst_of_fills_is_one_notice():
    from trader_app.core.bus import EventBus
    from trader_app.core.events import FillEvent
    from trader_app.core.orders import Fill
    from trader_app.notify.telegram import TelegramNotifier

    bus = EventBus()
    notifier = TelegramNotifier(bus, TOKEN, CHAT, fill_window_s=0.05, account_name=lambda a: "Paper 1")
    notifier._unsub = [bus.subscribe(FillEvent, notifier._on_fill)]  # the subscription start() makes, no sender
    for i in range(12):
        bus.publish(FillEvent(Fill(f"t{i}", "a1", f"c{i}", "BTC/USDT", Side.BUY, Decimal("65000"), Decimal("0.01"),
                                   Decimal(0), "USDT", 0)))
    await bus.drain()
    assert await until(lambda: notifier._queue.qsize() == 1, 5)
    text, photo = notifier._queue.get_nowait()
    lines = text.splitlines()
    assert photo is None and lines[0] == "12 fills:" and lines[-1] == "and 2 more"
    assert lines[1:11] == ["Fill on Paper 1: BUY 0.01 BTC/USDT @ 65000"] * 10
    bus.publish(FillEvent(Fill("t99", "a1", "c99", "BTC/USDT", Side.SELL, Decimal("65100"), Decimal("0.01"),
                               Decimal("0.065"), "USDT", 0)))
    await bus.drain()
    assert await until(lambda: notifier._queue.qsize() == 1, 5)
    assert notifier._queue.get_nowait()[0] == "Fill on Paper 1: SELL 0.01 BTC/USDT @ 65100 (fee 0.065 USDT)"
