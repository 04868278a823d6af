"""Fixtures for the paper venue tests: instruments of our own, and a rig with one connected paper account
whose update stream is collected."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import pytest

from trader_app.brokers.base import LedgerUpdate
from trader_app.brokers.paper import PaperBroker, PaperExchange
from trader_app.core import Instrument, MarketType, OrderRequest, OrderType, Quote, Side, TimeInForce
from trader_app.core.portfolio import Balance, Position

BTC = Instrument("BTC/USDT", "paper", MarketType.SPOT, "BTC", "USDT", D("0.01"), D("0.00001"))
ETH = Instrument("ETH/USDT", "paper", MarketType.SPOT, "ETH", "USDT", D("0.01"), D("0.0001"), min_notional=D("10"))
AAPL = Instrument("AAPL", "paper", MarketType.STOCK, "AAPL", "USD", D("0.01"), D("1"))
INSTRUMENTS = [BTC, ETH, AAPL]
ACCOUNT = "acc-1"


class Clock:
    """A settable clock (epoch ms) so that times in the tests are exact."""

    def __init__(self, start: int = 1_700_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        self.now += 1
        return self.now


class PaperRig:
    """One exchange + one connected paper account, with every update collected in ``updates``."""

    def __init__(self, commission: D = D("0.001"), slippage: D = D("0")) -> None:
        self.clock = Clock()
        self.exchange = PaperExchange(INSTRUMENTS, clock=self.clock)
        self.broker = PaperBroker(self.exchange, ACCOUNT, commission_rate=commission, slippage_rate=slippage)
        self.updates: list = []
        self._task: asyncio.Task | None = None
        self._n = 0

    async def start(self) -> "PaperRig":
        await self.broker.connect()
        self._task = asyncio.ensure_future(self._consume())
        return self

    async def _consume(self) -> None:
        async for update in self.broker.updates():
            self.updates.append(update)

    async def settle(self) -> list:
        await self.broker.drain_updates()
        return self.updates

    async def stop(self) -> None:
        await self.broker.close()
        if self._task is not None:
            await asyncio.wait_for(self._task, 5)

    def quote(self, bid: str, ask: str, symbol: str = "BTC/USDT", last: str | None = None) -> None:
        last = last or str((D(bid) + D(ask)) / 2)
        self.exchange.on_quote(Quote(symbol, self.clock(), D(bid), D(ask), D(last)))

    def request(self, side: Side, order_type: OrderType, qty: str, price: str | None = None, stop: str | None = None,
                symbol: str = "BTC/USDT", tif: TimeInForce = TimeInForce.GTC, coid: str | None = None) -> OrderRequest:
        self._n += 1
        return OrderRequest(
            account_id=ACCOUNT, symbol=symbol, side=side, order_type=order_type, quantity=D(qty),
            client_order_id=coid or f"c{self._n}", price=D(price) if price else None,
            stop_price=D(stop) if stop else None, time_in_force=tif,
        )

    def hold(self, cash: dict[str, str], positions: dict[str, tuple[str, str]] | None = None) -> None:
        """Set starting cash and holdings (symbol -> (quantity, average price)) through ``restore``."""
        self.broker.restore(
            [Balance(ACCOUNT, c, D(v)) for c, v in cash.items()],
            [Position(ACCOUNT, s, D(q), D(a)) for s, (q, a) in (positions or {}).items()],
            [],
        )

    async def balance(self, currency: str = "USDT") -> Balance:
        return next(b for b in await self.broker.balances() if b.currency == currency)

    async def position(self, symbol: str = "BTC/USDT") -> Position | None:
        return next((p for p in await self.broker.positions() if p.symbol == symbol), None)

    def ledger(self) -> list:
        return [u.entry for u in self.updates if isinstance(u, LedgerUpdate)]


@pytest.fixture
async def rig():
    r = await PaperRig().start()
    yield r
    await r.stop()


@pytest.fixture
async def make_rig():
    made: list[PaperRig] = []

    async def make(commission: str = "0.001", slippage: str = "0") -> PaperRig:
        r = await PaperRig(D(commission), D(slippage)).start()
        made.append(r)
        return r

    yield make
    for r in made:
        await r.stop()
