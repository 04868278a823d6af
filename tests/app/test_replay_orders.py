"""Issue 13 "Replay: webhook and REST orders on the replayed symbol are refused": a symbol listed after the
accounts connected (a replayed file) is tradable by every path, not only the ticket."""

from __future__ import annotations

import asyncio
import shutil
from decimal import Decimal as D
from pathlib import Path

from trader_app.app import build_services
from trader_app.core import Side, SignalSource
from trader_app.core.enums import MarketType
from trader_app.execution.executor import new_signal
from trader_app.execution.signal import SignalOrder, SignalOrderType

DATA = Path(__file__).resolve().parents[1] / "market" / "data"


async def test_a_webhook_signal_on_a_replayed_symbol_fills(tmp_path):
    csv = tmp_path / "GOOG.csv"
    shutil.copy(DATA / "AAPL.csv", csv)  # real daily bars under another name: a symbol no catalog lists
    services = build_services(tmp_path / "data", demo=False, start_webhook=False)
    await services.start()
    try:
        paper = services.accounts.list()[0].account_id
        result = await services.start_replay(csv, speed=1000)
        assert result.symbol == "GOOG"
        for _ in range(200):
            if services.market.last_quote("GOOG") is not None:
                break
            await asyncio.sleep(0.01)
        await services.groups.create_group("stocks", MarketType.STOCK)
        await services.groups.link("stocks", paper, "1")
        order = SignalOrder("GOOG", SignalOrderType.MARKET, Side.BUY, D("3"))
        outcome = await services.executor.execute(new_signal("stocks", (order,), SignalSource.WEBHOOK, {}))
        (r,) = outcome.results
        assert (r.status, r.symbol, r.quantity) == ("FILLED", "GOOG", D("3")), r.error
    finally:
        await services.stop()


async def test_after_a_replay_session_the_watchlist_returns_and_the_layout_is_logged(tmp_path, caplog):
    import logging

    csv = tmp_path / "GOOG.csv"
    shutil.copy(DATA / "AAPL.csv", csv)
    first = build_services(tmp_path / "data", demo=False, start_webhook=False)
    await first.start()
    try:
        before = await first.market.watchlist()
        assert before == ["BTC/USDT", "ETH/USDT", "SOL/USDT", "005930", "AAPL"]
        with caplog.at_level(logging.INFO, logger="trader_app"):
            await first.start_replay(csv, speed=1000)
        assert await first.market.watchlist() == ["GOOG"]  # the demo's rows leave while GOOG replays
        assert any(r.getMessage().startswith("replaying ") and "GOOG" in r.getMessage() and "(read as " in
                   r.getMessage() for r in caplog.records)
    finally:
        await first.stop()
    second = build_services(tmp_path / "data", demo=True, start_webhook=False)  # a normal start on the demo
    await second.start()
    try:
        assert await second.market.watchlist() == before
    finally:
        await second.stop()
