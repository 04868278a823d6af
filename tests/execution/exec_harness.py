"""A test rig for signals: the real Store, bus, paper exchange, OrderManager, PortfolioService,
AccountService, GroupService and Executor wired as ``app.build_services`` wires them, with our own
instruments and three paper accounts (100,000 USDT and 100,000 USD each) linked with different weights."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal as D
from pathlib import Path

from trader_app.brokers.base import BrokerRegistry
from trader_app.brokers.paper import PaperExchange, paper_venue
from trader_app.core.bus import EventBus
from trader_app.core.enums import MarketType
from trader_app.core.events import QuoteEvent
from trader_app.core.instrument import Instrument
from trader_app.core.market_data import Quote
from trader_app.execution.executor import Executor
from trader_app.trading.groups import GroupService
from trader_app.store import Store
from trader_app.trading import AccountService, OrderManager, PortfolioService, RiskPipeline
from trader_app.trading.risk.rules import RiskBook

BTC = Instrument("BTC/USDT", "paper", MarketType.SPOT, "BTC", "USDT", D("0.01"), D("0.0001"))
ETH = Instrument("ETH/USDT", "paper", MarketType.SPOT, "ETH", "USDT", D("0.01"), D("0.001"))
AAPL = Instrument("AAPL", "paper", MarketType.STOCK, "AAPL", "USD", D("0.01"), D("1"))
INSTRUMENTS = [BTC, ETH, AAPL]
WEIGHTS = (D("1"), D("0.5"), D("0.2"))


class Clock:
    def __init__(self, start: int = 1_700_000_000_000) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now


@dataclass
class Rig:
    store: Store
    bus: EventBus
    exchange: PaperExchange
    om: OrderManager
    portfolio: PortfolioService
    accounts: AccountService
    groups: GroupService
    executor: Executor
    risk_book: RiskBook
    clock: Clock
    ids: list[str]
    token: str = ""

    def quote(self, symbol: str, bid: str, ask: str, last: str | None = None) -> None:
        self.bus.publish(QuoteEvent(Quote(symbol, self.clock(), D(bid), D(ask), D(last or bid))))

    async def settle(self) -> None:
        """Let every broker update be persisted and published."""
        await self.executor.drain()
        await self.om.settled()
        await self.om.flush()
        await self.bus.drain()
        await self.risk_book.drain()

    def snapshot(self) -> tuple:
        """Everything a signal could change, read from the store (for "changes nothing" checks)."""
        s = self.store
        return (s.orders.list(), s.fills.list(), s.positions.list(include_flat=True), s.balances.list(),
                s.ledger.list(), s.signals.list(limit=None))

    async def close(self) -> None:
        await self.executor.drain()
        await self.accounts.close()
        await self.om.close()
        self.portfolio.close()
        await self.bus.drain()
        self.store.close()


async def make_rig(db: Path, market_type: str = "SPOT", group: str = "trend", weights=WEIGHTS,
                   commission: str = "0.001") -> Rig:
    clock = Clock()
    bus = EventBus()
    store = Store.open(db)
    exchange = PaperExchange(INSTRUMENTS, clock=clock)
    portfolio = PortfolioService(bus, clock=clock)
    book = RiskBook(store, bus, clock=clock)
    om = OrderManager(store, bus, risk=RiskPipeline(rules_for_account=book.rules_for), clock=clock,
                      not_found_grace_s=0.05, read_backoff_s=0.001, reconcile_interval_s=None)
    exchange.connect_bus(bus)
    registry = BrokerRegistry()
    registry.register(paper_venue(exchange))
    accounts = AccountService(store, bus, om, portfolio, registry)
    groups = GroupService(store, bus, clock=clock)
    executor = Executor(store, bus, om, portfolio, None, clock=clock)
    await book.load()
    await accounts.load()
    ids = []
    for i, _ in enumerate(weights):
        acc = await accounts.create_paper_account(f"P{i + 1}", {"USDT": D("100000"), "USD": D("100000")},
                                                  commission_rate=commission)
        ids.append(acc.account_id)
    _, token = await groups.create_group(group, market_type)
    for acc, w in zip(ids, weights):
        await groups.link(group, acc, w)
    rig = Rig(store, bus, exchange, om, portfolio, accounts, groups, executor, book, clock, ids, token)
    await rig.settle()
    return rig
