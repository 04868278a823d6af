"""One webhook-style signal to a group linked to a paper, a Binance spot, a Binance USD-M futures, a Bybit and an
Upbit account (issues 21 and 22): all five fill, each sized by its own equity and rules (Upbit's market buy as the
USDT amount to spend, the way Upbit buys at market); the margin accounts' equity is their wallet plus unrealized
PnL. A KRW group signal fills the Upbit and a Bithumb account, each buying its KRW amount. Every fake runs on
127.0.0.1 and checks every signature or JWT."""

from __future__ import annotations

from decimal import Decimal as D

from fakes.binance import FakeBinance, FakeBinanceServer
from fakes.bithumb import FakeBithumb, FakeBithumbServer
from fakes.bybit import FakeBybit, FakeBybitServer
from fakes.upbit import FakeUpbit, FakeUpbitServer
from trader_app.app import build_services
from trader_app.core import SessionState, Side, SignalSource
from trader_app.core.enums import AccountMode, MarketType
from trader_app.execution.executor import new_signal
from trader_app.execution.signal import SignalOrder, SignalOrderType
from waiting import until as _until

BKEY, BSECRET = "b" * 64, "binance-" + "s" * 56
FKEY, FSECRET = "f" * 64, "futures-" + "t" * 56
YKEY, YSECRET = "bybit-key-1", "bybit-secret-" + "x" * 20
UKEY, USECRET = "upbit-access-key-1", "upbit-secret-key-" + "u" * 24
TKEY, TSECRET = "bithumb-access-key-1", "bithumb-secret-key-" + "t" * 24


class _Flat:
    quantity = D(0)


async def _connected(services, venue, name, settings, key, secret, mode=AccountMode.TESTNET):
    acc = await services.accounts.create_account(venue, mode, name, settings, {"api_key": key, "api_secret": secret})
    assert await _until(lambda: services.accounts.session_state(acc.account_id) is SessionState.CONNECTED, 10), \
        services.accounts.session_error(acc.account_id)
    return acc


async def test_one_signal_fills_paper_binance_spot_binance_futures_bybit_and_upbit(tmp_path):
    async with FakeBinanceServer(FakeBinance()) as binance, FakeBybitServer(FakeBybit()) as bybit, \
            FakeUpbitServer(FakeUpbit()) as upbit, FakeBithumbServer(FakeBithumb()) as bithumb:
        upbit.venue.open(UKEY, USECRET, {"USDT": "7000", "KRW": "1000000"})
        bithumb.venue.open(TKEY, TSECRET, {"KRW": "2000000"})
        binance.venue.accounts.open(BKEY, BSECRET, {"USDT": "10000"})
        binance.venue.accounts.open(FKEY, FSECRET, {})
        binance.venue.futures.open(FKEY, "5000")
        bybit.venue.open(YKEY, YSECRET, {"USDT": "8000"})
        services = build_services(tmp_path / "data", demo=True, start_webhook=False)
        await services.start()
        try:
            paper = services.accounts.list()[0].account_id
            spot = await _connected(services, "binance", "Binance spot", {
                "rest_url": binance.rest_url, "stream_url": binance.stream_url,
                "ws_api_url": f"{binance.stream_url}/ws-api/v3"}, BKEY, BSECRET)
            futures = await _connected(services, "binanceusdm", "Binance futures", {
                "rest_url": binance.rest_url, "stream_url": binance.stream_url}, FKEY, FSECRET)
            unified = await _connected(services, "bybit", "Bybit", {
                "rest_url": bybit.rest_url, "stream_url": bybit.stream_url}, YKEY, YSECRET)
            krw = await _connected(services, "upbit", "Upbit", {
                "rest_url": upbit.rest_url, "stream_url": upbit.stream_url}, UKEY, USECRET, AccountMode.LIVE)
            await services.groups.create_group("all", MarketType.SPOT)
            for acc in (paper, spot.account_id, futures.account_id, unified.account_id, krw.account_id):
                await services.groups.link("all", acc, "1")
            await services.demo_task
            order = SignalOrder("BTC/USDT", SignalOrderType.MARKET, Side.BUY, D("10"))
            outcome = await services.executor.execute(new_signal("all", (order,), SignalSource.WEBHOOK, {}))
            results = {r.account_id: r for r in outcome.results}
            assert {a: r.status for a, r in results.items()} == {a: "FILLED" for a in results}, \
                {a: r.error for a, r in results.items()}
            # each sized by its own equity at its own venue's price, down to its own lot
            assert results[spot.account_id].quantity == D("0.01538")  # 10 % of 10,000 at 65,000.01, lot 0.00001
            assert results[futures.account_id].quantity == D("0.00769")  # 10 % of 5,000
            assert results[unified.account_id].quantity == D("0.012307")  # 10 % of 8,000, lot 0.000001
            # Upbit buys at market by amount: 10 % of its 7,000 USDT is the order, what it bought the quantity
            (sent,) = [o for o in upbit.venue.accounts[UKEY].orders.values() if o["market"] == "USDT-BTC"]
            assert (sent["ord_type"], sent["price"], sent["volume"]) == ("price", "700", None)
            await services.order_manager.flush()
            bought = services.order_manager.position(krw.account_id, "BTC/USDT").quantity
            assert bought == D("0.01076922")  # 700 / 65,000.01, 8 decimals, down
            await services.order_manager.flush()
            # the futures wallet with a long: equity = wallet + unrealized PnL (never cash plus notional)
            (fut,) = [s for s in services.portfolio.summaries(futures.account_id) if s.currency == "USDT"]
            wallet = next(b.total for b in services.portfolio.balances(futures.account_id) if b.currency == "USDT")
            assert fut.equity == wallet + fut.unrealized_pnl and fut.equity > D("4990")
            # Bybit's spot buy is a position derived from its fill (less the fee in BTC)
            assert services.order_manager.position(unified.account_id, "BTC/USDT").quantity == \
                D("0.012307") - D("0.000012307")
            # a KRW group: the Upbit account and a Bithumb account, each buying 10 % of its KRW by amount
            won = await _connected(services, "bithumb", "Bithumb", {
                "rest_url": bithumb.rest_url, "stream_url": bithumb.stream_url}, TKEY, TSECRET, AccountMode.LIVE)
            await services.groups.create_group("krw", MarketType.SPOT)
            for acc in (krw.account_id, won.account_id):
                await services.groups.link("krw", acc, "1")
            buy_krw = SignalOrder("BTC/KRW", SignalOrderType.MARKET, Side.BUY, D("10"))
            krw_results = (await services.executor.execute(new_signal("krw", (buy_krw,), SignalSource.WEBHOOK, {}))).results
            # acknowledged (their fills may come on the private streams after the answer): the positions say the rest
            assert len(krw_results) == 2 and all(r.status in ("NEW", "FILLED") for r in krw_results), \
                [r.error for r in krw_results]
            (up_krw,) = [o for o in upbit.venue.accounts[UKEY].orders.values() if o["market"] == "KRW-BTC"]
            (bt_krw,) = bithumb.venue.accounts[TKEY].orders.values()
            assert (up_krw["ord_type"], up_krw["price"]) == ("price", "100000")  # 10 % of 1,000,000 KRW
            assert (bt_krw["ord_type"], bt_krw["price"]) == ("price", "200000")  # 10 % of 2,000,000 KRW
            assert await _until(lambda: (services.order_manager.position(won.account_id, "BTC/KRW") or _Flat).quantity
                                == D("0.00210524"))  # 200,000 / 95,001,000, 8 decimals, down
            # the same Bybit account shorts the perpetual in a FUTURES group at 2x: the link's leverage is set first
            await services.groups.create_group("perp", MarketType.FUTURES)
            await services.groups.link("perp", unified.account_id, "1", leverage="2")
            short = SignalOrder("BTC/USDT:USDT", SignalOrderType.MARKET, Side.SELL, D("10"))
            (result,) = (await services.executor.execute(new_signal("perp", (short,), SignalSource.WEBHOOK, {}))).results
            assert result.status == "FILLED", result.error
            assert bybit.venue.accounts[YKEY].leverage["BTCUSDT"] == 2
            assert await _until(lambda: (services.order_manager.position(unified.account_id, "BTC/USDT:USDT") or
                                         _Flat).quantity < 0)
            (usdt,) = [s for s in services.portfolio.summaries(unified.account_id) if s.currency == "USDT"]
            cash = next(b.total for b in services.portfolio.balances(unified.account_id) if b.currency == "USDT")
            spot_value = services.portfolio.position(unified.account_id, "BTC/USDT").market_value
            assert usdt.equity == cash + spot_value + services.portfolio.position(
                unified.account_id, "BTC/USDT:USDT").unrealized_pnl  # the short adds its PnL, not its notional
        finally:
            await services.stop()
