"""Quit, restart, and everything is as it was: the whole app over one data directory, twice."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from decimal import Decimal as D

from trader_app.app import build_services
from trader_app.core import Interval, OrderRequest, OrderStatus, OrderType, Quote, QuoteEvent, Side
from trader_app.core.enums import MarketType
from trader_app.core.ids import new_client_order_id


def _quote(services, symbol, bid, ask):
    q = Quote(symbol, int(time.time() * 1000), D(bid), D(ask), D(ask), D("1"), D(bid))
    services.bus.publish(QuoteEvent(q))


def _snapshot(services, account_id):
    store = services.store
    return {
        "accounts": sorted((a.account_id, a.name) for a in store.accounts.list()),
        "balances": sorted((b.currency, b.total, b.locked) for b in store.balances.list(account_id)),
        "positions": sorted((p.symbol, p.quantity, p.avg_price) for p in store.positions.list(account_id)),
        "open_orders": sorted((o.client_order_id, o.status, o.price) for o in store.orders.list(account_id, open_only=True)),
        "fills": len(store.fills.list(account_id)),
        "ledger": len(store.ledger.list(account_id)),
        "watchlist": store.watchlist.get(),
        "links": [(l.group_name, l.account_id, l.weight) for l in store.links.list()],
    }


async def test_everything_is_as_it_was_after_a_restart(data_home):
    first = build_services(data_home, demo=False, start_webhook=False)
    await first.start()
    try:
        account = (await first.accounts.create_paper_account("Restart", {"USDT": D("10000")})).account_id
        await first.market.add_to_watchlist("SOL/USDT")
        _quote(first, "BTC/USDT", "50000", "50001")
        await asyncio.sleep(0)
        bought = await first.order_manager.submit(OrderRequest(
            account, "BTC/USDT", Side.BUY, OrderType.MARKET, D("0.1"), new_client_order_id()))
        resting = await first.order_manager.submit(OrderRequest(
            account, "BTC/USDT", Side.BUY, OrderType.LIMIT, D("0.05"), new_client_order_id(), price=D("40000")))
        assert bought.status is OrderStatus.FILLED and resting.status is OrderStatus.NEW
        await first.groups.create_group("swing", MarketType.SPOT)
        await first.groups.link("swing", account, D("0.5"))
        await first.order_manager.flush()
        before = _snapshot(first, account)
    finally:
        await first.stop()

    assert before["positions"] == [("BTC/USDT", D("0.1"), D("50001"))]
    # 10000 - 5000.1 notional - 5.0001 fee; 2000 of it locked for the resting buy (0.05 x 40000 x 1.001)
    assert before["balances"] == [("USDT", D("4994.8999"), D("2002.000"))]

    second = build_services(data_home, demo=False, start_webhook=False)
    await second.start()
    try:
        assert _snapshot(second, account) == before
        # the resting order still lives at the (restored) paper venue and fills when the market comes down
        _quote(second, "BTC/USDT", "39990", "39995")
        await second.order_manager.flush()
        for _ in range(100):
            if not second.store.orders.list(account, open_only=True):
                break
            await asyncio.sleep(0.02)
        assert second.store.orders.list(account, open_only=True) == []
        position = second.store.positions.get(account, "BTC/USDT")
        assert position.quantity == D("0.15")
    finally:
        await second.stop()


async def test_an_imported_symbol_is_still_listed_and_tradable_after_a_restart(data_home, tmp_path):
    source = (Path(__file__).parents[1] / "market" / "data" / "AAPL.csv").read_text()
    csv = tmp_path / "NVDX.csv"  # a symbol no catalog lists: only the import makes it known
    csv.write_text(source)
    first = build_services(data_home, demo=False, start_webhook=False)
    await first.start()
    try:
        account = (await first.accounts.create_paper_account("Stocks", {"USD": D("10000")})).account_id
        imp = await first.market.import_csv(csv)
        assert imp.symbol == "NVDX"
        listed = first.market.instrument("NVDX")
        await first.market.add_to_watchlist("NVDX")
        _quote(first, "NVDX", "185.60", "185.64")
        await asyncio.sleep(0)
        bought = await first.order_manager.submit(OrderRequest(
            account, "NVDX", Side.BUY, OrderType.MARKET, D("3"), new_client_order_id()))
        assert bought.status is OrderStatus.FILLED
        await first.order_manager.flush()
    finally:
        await first.stop()

    second = build_services(data_home, demo=False, start_webhook=False)
    await second.start()
    try:
        assert second.market.instrument("NVDX") == listed
        assert (listed.market_type, listed.quote, listed.tick_size, listed.lot_size) == (
            MarketType.STOCK, "USD", D("0.01"), D("1"))
        assert "NVDX" in await second.market.watchlist()
        assert len(await second.market.history("NVDX", Interval.D1, limit=1000)) == len(imp.bars)
        assert second.store.positions.get(account, "NVDX").quantity == D("3")
        _quote(second, "NVDX", "190.00", "190.05")
        await asyncio.sleep(0)
        sold = await second.order_manager.submit(OrderRequest(
            account, "NVDX", Side.SELL, OrderType.MARKET, D("1"), new_client_order_id()))
        assert (sold.status, sold.avg_fill_price) == (OrderStatus.FILLED, D("190.00"))
        await second.order_manager.flush()
        assert second.store.positions.get(account, "NVDX").quantity == D("2")
    finally:
        await second.stop()
