"""Live accounts across a restart and their equity (issue 21, defects 1 and 2).

1. A spot account holding coins bought through the app restarts and keeps trading: its positions are derived
   from fills (the venue reports none), so they must come back from the journal at start-up; they did not,
   and the start-up check stopped the account with "BTC/USDT: venue 0, journal 0.00999".
2. The equity of a margin (futures) account is its wallet balance plus unrealized PnL: a 5,000 USDT wallet with
   a 0.1 BTC short at zero PnL reported -1,500 (cash plus the short's notional).
"""

from __future__ import annotations

from decimal import Decimal as D

from waiting import until as _until
from fakes.binance import FakeBinance, FakeBinanceServer
from trader_app.app import build_services
from trader_app.core import SessionState, Side, SignalSource
from trader_app.core.enums import AccountMode, MarketType
from trader_app.execution.executor import new_signal
from trader_app.execution.signal import SignalOrder, SignalOrderType

KEY, SECRET = "k" * 64, "s3cr3t-" + "x" * 57
FKEY, FSECRET = "f" * 64, "futur3s-" + "y" * 56


def _signal(group: str, qty_per: str, side: Side = Side.BUY):
    order = SignalOrder("BTC/USDT", SignalOrderType.MARKET, side, D(qty_per))
    return new_signal(group, (order,), SignalSource.WEBHOOK, {"group_name": group})


async def connected(services, venue: str, name: str, settings: dict, key: str, secret: str):
    """An account created on the fake with its keys, once it is CONNECTED."""
    acc = await services.accounts.create_account(venue, AccountMode.TESTNET, name, settings,
                                                 {"api_key": key, "api_secret": secret})
    assert await _until(lambda: services.accounts.session_state(acc.account_id) is SessionState.CONNECTED, 10)
    return acc


async def spot_account(services, fake):
    return await connected(services, "binance", "Binance spot", {
        "rest_url": fake.rest_url, "stream_url": fake.stream_url, "ws_api_url": f"{fake.stream_url}/ws-api/v3"},
        KEY, SECRET)


async def test_a_spot_account_holding_coins_restarts_without_a_false_stop(tmp_path):
    async with FakeBinanceServer(FakeBinance()) as fake:
        fake.venue.accounts.open(KEY, SECRET, {"USDT": "10000"})
        first = build_services(tmp_path / "data", demo=True, start_webhook=False)
        await first.start()
        try:
            acc = await spot_account(first, fake)
            await first.groups.create_group("swing", MarketType.SPOT)
            await first.groups.link("swing", acc.account_id, "1")
            await first.demo_task
            (result,) = (await first.executor.execute(_signal("swing", "10"))).results
            assert result.status == "FILLED", result.error
            await first.order_manager.flush()
            held = first.order_manager.position(acc.account_id, "BTC/USDT").quantity
            assert held == D("0.01538") - D("0.00001538")  # the fee is taken in BTC
        finally:
            await first.stop()

        second = build_services(tmp_path / "data", demo=True, start_webhook=False)
        await second.start()
        try:
            assert await _until(lambda: second.accounts.session_state(acc.account_id) is SessionState.CONNECTED, 10)
            await second.order_manager.flush()
            assert second.accounts.session_error(acc.account_id) == ""  # not stopped
            assert second.order_manager.position(acc.account_id, "BTC/USDT").quantity == held
            # and it trades: "sell 100 %" sells what the journal holds
            await second.demo_task
            (result,) = (await second.executor.execute(_signal("swing", "-100", Side.SELL))).results
            assert result.status == "FILLED", result.error
            assert result.quantity == D("0.01536")  # the holding down to the 0.00001 lot
        finally:
            await second.stop()


async def test_the_equity_of_a_futures_account_is_wallet_plus_unrealized_pnl(tmp_path):
    async with FakeBinanceServer(FakeBinance()) as fake:
        fake.venue.accounts.open(FKEY, FSECRET, {})
        fake.venue.futures.open(FKEY, "5000")
        services = build_services(tmp_path / "data", demo=True, start_webhook=False)
        await services.start()
        try:
            fut = await connected(services, "binanceusdm", "Binance futures",
                                  {"rest_url": fake.rest_url, "stream_url": fake.stream_url}, FKEY, FSECRET)
            await services.groups.create_group("perp", MarketType.FUTURES)
            await services.groups.link("perp", fut.account_id, "1")
            await services.demo_task
            order = SignalOrder("BTC/USDT", SignalOrderType.MARKET, Side.SELL, D("100"))
            (result,) = (await services.executor.execute(new_signal("perp", (order,), SignalSource.WEBHOOK,
                                                                  {}))).results
            assert result.status == "FILLED", result.error
            await services.order_manager.flush()
            position = services.order_manager.position(fut.account_id, "BTC/USDT")
            assert position.quantity < 0  # short
            (summary,) = [s for s in services.portfolio.summaries(fut.account_id) if s.currency == "USDT"]
            wallet = next(b.total for b in services.portfolio.balances(fut.account_id) if b.currency == "USDT")
            # equity = wallet + unrealized PnL (never cash plus the short's notional)
            assert summary.equity == wallet + summary.unrealized_pnl
            assert summary.equity > D("4900")
        finally:
            await services.stop()


async def test_a_partial_fill_made_while_the_app_was_down_is_recorded(tmp_path):
    """Issue 21, defect 9: a resting LIMIT BUY of 0.00242 part-fills 0.00121 while the app is down; the fresh
    adapter after the restart had traded nothing, asked the venue for no trades, and the order showed
    PARTIALLY_FILLED with 0 fills; once the rest filled the store had one fill of two and "sell 100 %" left coins
    behind. Both fills are recorded, in the order and the position."""
    from trader_app.core.enums import OrderStatus, OrderType
    from trader_app.core.orders import OrderRequest

    async with FakeBinanceServer(FakeBinance()) as fake:
        fake.venue.accounts.open(KEY, SECRET, {"USDT": "10000"})
        first = build_services(tmp_path / "data", demo=True, start_webhook=False)
        await first.start()
        try:
            acc = await spot_account(first, fake)
            order = await first.order_manager.submit(OrderRequest(
                acc.account_id, "BTC/USDT", Side.BUY, OrderType.LIMIT, D("0.00242"), "ta-rest-1", price=D("60000")))
            assert order.status is OrderStatus.NEW
        finally:
            await first.stop()
        fake.venue.accounts.part_fill = D("0.5")
        fake.venue.set_price("BTCUSDT", D("59000"))  # crosses: 0.00121 fills at 60,000 while the app is down
        (venue_order,) = fake.venue.accounts.accounts[KEY].orders.values()
        assert (venue_order["status"], venue_order["executedQty"]) == ("PARTIALLY_FILLED", "0.00121000")

        second = build_services(tmp_path / "data", demo=True, start_webhook=False)
        await second.start()
        try:
            assert await _until(lambda: second.accounts.session_state(acc.account_id) is SessionState.CONNECTED, 10)
            await second.order_manager.settled()
            await second.order_manager.flush()
            stored = second.store.orders.get(acc.account_id, "ta-rest-1")
            assert (stored.status, stored.filled_qty) == (OrderStatus.PARTIALLY_FILLED, D("0.00121"))
            fills = [f for f in second.store.fills.list() if f.account_id == acc.account_id]
            assert [(f.quantity, f.price) for f in fills] == [(D("0.00121"), D("60000"))]
            assert second.order_manager.position(acc.account_id, "BTC/USDT").quantity == D("0.00121") - D("0.00000121")
            # the rest fills on the running app: two fills of two, and the position holds both
            fake.venue.set_price("BTCUSDT", D("58000"))
            assert await _until(lambda: second.store.orders.get(acc.account_id, "ta-rest-1").status
                                is OrderStatus.FILLED, 10)
            await second.order_manager.flush()
            fills = [f for f in second.store.fills.list() if f.account_id == acc.account_id]
            assert sorted(f.quantity for f in fills) == [D("0.00121"), D("0.00121")]
            assert second.order_manager.position(acc.account_id, "BTC/USDT").quantity == D("0.00242") - D("0.00000242")
        finally:
            await second.stop()
