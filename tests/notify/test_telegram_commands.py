"""Telegram commands against a fake Bot API on 127.0.0.1 (issue 14, the commands part): each command's
answer, /stop trips every kill switch and a signal is then refused, /resume needs a confirmation, and a
stranger's chat gets nothing."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from telegram_app import CHAT, STRANGER, telegram_app
from waiting import until
from trader_app.core import QuoteEvent, Side, SignalSource
from trader_app.core.enums import MarketType
from trader_app.core.market_data import Quote
from trader_app.execution.executor import new_signal
from trader_app.execution.signal import SignalOrder, SignalOrderType



def _answers(fake: Any, chat: str = CHAT) -> list[str]:
    return [text for c, text in fake.sent if c == chat and not text.startswith(("Kill switch", "Signal ", "Fill on"))]


async def test_commands_answer_the_configured_chat_and_stop_trips_every_kill_switch(tmp_path):
    async with telegram_app(tmp_path / "data") as (fake, services):
        paper = services.accounts.list()[0].account_id
        services.bus.publish(QuoteEvent(Quote("BTC/USDT", int(time.time() * 1000), Decimal("64999"), Decimal("65001"),
                                              Decimal("65000"), Decimal(1), Decimal("64000"))))
        fake.say(STRANGER, "/status")
        for command in ("/status", "/balance", "/positions", "/pnl"):
            fake.say(CHAT, command)
        assert await until(lambda: len(_answers(fake)) == 4, 10), fake.sent
        status, balance, positions, pnl = _answers(fake)
        assert status == "Paper 1 (paper paper): CONNECTED\nlistener: off"
        assert balance == ("Paper 1: equity 100,000,000 KRW, cash 100,000,000 KRW; equity 100,000.00 USD, cash "
                           "100,000.00 USD; equity 100,000.00 USDT, cash 100,000.00 USDT")
        assert positions == "no open positions"
        assert pnl == "Paper 1: today 0 KRW; today 0.00 USD; today 0.00 USDT"
        assert [c for c, _ in fake.sent if c == STRANGER] == []  # a stranger gets nothing
        assert services.notices.commands.ignored == 1

        fake.say(CHAT, "/stop")
        assert await until(lambda: len(_answers(fake)) == 5, 10)
        assert _answers(fake)[-1].startswith("Stopped: kill switch tripped on 1 account(s)")
        assert services.risk_book.kill_switch(paper).reason == "stopped from Telegram (/stop)"
        await services.groups.create_group("swing", MarketType.SPOT)
        await services.groups.link("swing", paper, "1")
        order = SignalOrder("BTC/USDT", SignalOrderType.MARKET, Side.BUY, Decimal("10"))
        outcome = await services.executor.execute(new_signal("swing", (order,), SignalSource.WEBHOOK, {}))
        (result,) = outcome.results
        assert result.status != "FILLED" and "kill switch" in (result.error or "")

        fake.say(CHAT, "/resume")
        assert await until(lambda: len(_answers(fake)) == 6, 10)
        assert "Send /resume yes within 60 s" in _answers(fake)[-1]
        assert services.risk_book.kill_switch(paper) is not None  # not until confirmed
        fake.say(CHAT, "/resume yes")
        assert await until(lambda: len(_answers(fake)) == 7, 10)
        assert _answers(fake)[-1].startswith("Resumed: kill switches reset")
        assert services.risk_book.kill_switch(paper) is None
        fake.say(CHAT, "/nonsense")
        assert await until(lambda: len(_answers(fake)) == 8, 10)
        assert _answers(fake)[-1].startswith("Commands: /status, /balance")
