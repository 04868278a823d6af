"""Fixtures for the trading services: the real Store (SQLite file in tmp_path), the bus, the paper exchange,
and the OrderManager / PortfolioService / AccountService wired as the app wires them. Our own instruments."""

from __future__ import annotations

import asyncio
import gc
from decimal import Decimal as D
from pathlib import Path

import pytest

from trader_app.brokers.base import BrokerUpdate
from trader_app.brokers.base import BrokerRegistry
from trader_app.brokers.paper import PaperBroker, PaperExchange, paper_venue
from trader_app.core import (
    EventBus,
    Instrument,
    MarketType,
    OrderRequest,
    OrderType,
    Quote,
    QuoteEvent,
    Side,
    VenueUnavailable,
)
from trader_app.core.portfolio import Balance
from trader_app.store import Store
from trader_app.trading import AccountService, OrderManager, PortfolioService, RiskPipeline

BTC = Instrument("BTC/USDT", "paper", MarketType.SPOT, "BTC", "USDT", D("0.01"), D("0.00001"))
ETH = Instrument("ETH/USDT", "paper", MarketType.SPOT, "ETH", "USDT", D("0.01"), D("0.0001"), min_notional=D("10"))
AAPL = Instrument("AAPL", "paper", MarketType.STOCK, "AAPL", "USD", D("0.01"), D("1"))
INSTRUMENTS = [BTC, ETH, AAPL]


class Clock:
    def __init__(self, start: int = 1_700_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now


class Recorder:
    """Collects every event of the given types published on the bus."""

    def __init__(self, bus: EventBus, *types: type) -> None:
        self.events: list = []
        for t in types:
            bus.subscribe(t, self.events.append)

    def of(self, t: type) -> list:
        return [e for e in self.events if isinstance(e, t)]


class Env:
    """Everything the trading layer needs, built like ``app.build_services`` builds it."""

    def __init__(self, db: Path, risk: RiskPipeline | None = None) -> None:
        # Every test gets a new qasync loop; an old one is cyclic garbage holding QObjects. If Python's cyclic
        # GC ran in the store's worker thread it would destroy those QObjects off the GUI thread and crash
        # (segfault seen in ~60 % of runs). Collect here, on the loop thread, before the worker thread exists.
        gc.collect()
        self.db = db
        self.clock = Clock()
        self.store = Store.open(db)
        self.bus = EventBus()
        self.exchange = PaperExchange(INSTRUMENTS, clock=self.clock)
        self.om = OrderManager(self.store, self.bus, risk, clock=self.clock, submit_timeout_s=0.2, read_backoff_s=0.001,
                               not_found_grace_s=0.05, reconcile_interval_s=None)
        self.portfolio = PortfolioService(self.bus, clock=self.clock)
        self.exchange.connect_bus(self.bus)
        registry = BrokerRegistry()
        registry.register(paper_venue(self.exchange))
        self.accounts = AccountService(self.store, self.bus, self.om, self.portfolio, registry)
        self._n = 0

    def quote(self, bid: str, ask: str, symbol: str = "BTC/USDT", last: str | None = None) -> None:
        last = last or str((D(bid) + D(ask)) / 2)
        self.clock.now += 1
        self.bus.publish(QuoteEvent(Quote(symbol, self.clock.now, D(bid), D(ask), D(last))))

    def request(self, account_id: str, side: Side, order_type: OrderType, qty: str, price: str | None = None,
                stop: str | None = None, symbol: str = "BTC/USDT", coid: str | None = None, **kw) -> OrderRequest:
        self._n += 1
        return OrderRequest(account_id=account_id, symbol=symbol, side=side, order_type=order_type, quantity=D(qty),
                            client_order_id=coid or f"ta-test-{self._n}", price=D(price) if price else None,
                            stop_price=D(stop) if stop else None, **kw)

    async def attach(self, broker: PaperBroker, cash: dict[str, str] | None = None) -> PaperBroker:
        """Fund (through restore), connect and attach a hand-made paper broker (e.g. a spy subclass)."""
        broker.restore([Balance(broker.account_id, c, D(v)) for c, v in (cash or {"USDT": "100000"}).items()], [], [])
        await broker.connect()
        self.om.attach(broker.account_id, broker)
        await self.om.ready(broker.account_id)
        return broker

    async def close(self) -> None:
        await self.accounts.close()
        await self.om.close()
        self.portfolio.close()
        await self.bus.drain()
        self.store.close()


@pytest.fixture
async def env(tmp_path):
    e = Env(tmp_path / "trader.db")
    yield e
    await e.close()


class ScriptedBroker(PaperBroker):
    """A paper broker whose venue misbehaves on demand.

    ``lose_ack``: the venue takes the order but the acknowledgement is lost (VenueUnavailable after placing);
    ``unreachable``: VenueUnavailable before the venue saw anything; ``hang``: place_order never answers;
    ``query_failures``: the first N query_order calls raise VenueUnavailable; ``not_found_for``: the next N
    query_order calls answer "not found" even for an order the venue has.
    ``on_place(request)`` runs first inside place_order (spies look at the store there).
    """

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.lose_ack = False
        self.unreachable = False
        self.hang = False
        self.query_failures = 0
        self.not_found_for = 0
        self.place_calls = 0
        self.query_calls = 0
        self.on_place = None

    async def place_order(self, request):
        self.place_calls += 1
        if self.on_place is not None:
            self.on_place(request)
        if self.unreachable:
            raise VenueUnavailable("connection refused")
        if self.hang:
            await asyncio.Event().wait()
        order = await super().place_order(request)
        if self.lose_ack:
            raise VenueUnavailable("read timed out")
        return order

    def warnings(self):
        return []

    async def query_order(self, client_order_id, *, venue_order_id="", symbol=""):
        self.query_calls += 1
        if self.query_failures > 0:
            self.query_failures -= 1
            raise VenueUnavailable("502 bad gateway")
        if self.not_found_for > 0:  # the venue's "does not exist" lag right after accepting an order
            self.not_found_for -= 1
            return None
        return await super().query_order(client_order_id, venue_order_id=venue_order_id)

    def inject(self, *updates: BrokerUpdate) -> None:
        """Push updates on the stream as if the venue reported them (e.g. a repeated fill)."""
        self._emit(*updates)


@pytest.fixture
def env_on():
    """``env_on(db_path) -> Env``: services on a given database file (the caller closes them)."""
    return Env


@pytest.fixture
def scripted():
    return ScriptedBroker
