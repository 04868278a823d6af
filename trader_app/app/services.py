"""Composition root, the services: ``build_services(data_dir, settings, demo=True)`` wires the store, the bus,
the paper exchange, the venues (``BrokerRegistry``), the order manager, portfolio, account service, market
service, risk book, groups, executor, notices and strategy runner into one ``AppServices``. The window
(``app/window.py``), ``serve``, the smoke test and the benches all start from it.

The loop (shared/STACK.md traps 1, 5, 8): one asyncio loop, qasync's ``QEventLoop`` over the Qt event loop;
nothing blocks it (SQLite through the store's worker thread, servers as tasks on the same loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import traceback
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..analytics.tracker import PerformanceTracker
from ..brokers.base import BrokerRegistry
from ..brokers.venues import register_live_venues
from ..brokers.paper import PaperExchange, paper_venue
from ..config import Settings
from ..core.bus import EventBus
from ..core.events import LogEvent
from ..core.instrument import HOME_VENUE, market_id, parse_market_id
from ..execution.executor import Executor
from ..trading.groups import GroupService
from ..market.catalog import demo_instruments
from ..market.feeds import VenueFeeds
from .markets import MARKETS, LiveMarkets
from ..market.service import MarketService
from ..notify.service import NoticeService
from ..reports.service import ReportService
from ..store import Store
from ..strategies.runner import StrategyRunner
from ..trading import AccountService, OrderManager, PortfolioService, RiskPipeline
from ..trading.risk.rules import RiskBook
from ..core.errors import ConfigError
from ..webhook.exposure import exposure_problem, tls_files
from ..webhook.server import WebhookServer

log = logging.getLogger(__name__)
BACKUP_FIRST_CHECK_S = 60.0  # the first daily-backup check, after start (s)
BACKUP_CHECK_S = 3600.0  # then hourly

DEFAULT_ACCOUNT_NAME = "Paper 1"
DEFAULT_CASH = {"USDT": Decimal("100000"), "USD": Decimal("100000"), "KRW": Decimal("100000000")}


WATCHLIST_BEFORE_REPLAY = "watchlist.before_replay"  # store.kv: the watchlist a replay replaced


class BusLogHandler(logging.Handler):
    """Forwards log records of the ``trader_app`` loggers to the bus as ``LogEvent`` (the Log panel).

    Records from other threads (the store's worker) are handed to the loop with ``call_soon_threadsafe``.
    ``history`` keeps the last ``keep`` events so a Log panel created later still shows the start-up lines.
    """

    def __init__(self, bus: EventBus, loop: asyncio.AbstractEventLoop, level: int = logging.INFO,
                 keep: int = 500) -> None:
        super().__init__(level)
        self.history: deque[LogEvent] = deque(maxlen=keep)
        self.bus = bus
        self.loop = loop
        self._thread = threading.get_ident()
        self._own: LogEvent | None = None  # the event being published from a log record (not to log again)

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "from_bus", False):
            return  # a LogEvent of the bus written to the log file (see ``to_file``): already on the bus
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                if getattr(record, "with_traceback", False):
                    message += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
                else:
                    message += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
            event = LogEvent(int(record.created * 1000), record.levelname, record.name.removeprefix("trader_app."),
                             message)
            self.history.append(event)
            if threading.get_ident() == self._thread:
                self._publish(event)
            elif not self.loop.is_closed():
                self.loop.call_soon_threadsafe(self._publish, event)
        except Exception:  # noqa: BLE001 - logging must never raise into the caller
            self.handleError(record)

    def _publish(self, event: LogEvent) -> None:
        self._own = event
        try:
            self.bus.publish(event)
        finally:
            self._own = None

    def to_file(self, event: LogEvent) -> None:
        """A ``LogEvent`` published on the bus by a service or panel (a fill, a refused order, a report made)
        also goes to the ``trader_app`` loggers, so ``logs/trader-app.log`` holds what the Log panel shows.
        Events this handler made from log records are skipped (they came from there)."""
        if event is self._own:
            return
        level = logging.getLevelName(event.level.upper())
        logging.getLogger(f"trader_app.{event.source}").log(level if isinstance(level, int) else logging.INFO,
                                                             "%s", event.message, extra={"from_bus": True})


@dataclass
class AppServices:
    """Everything the app runs, built by ``build_services``. ``start()``/``stop()`` bring it up and down.

    ``webhook`` is the running listener (None until started, or when it could not start: ``listener_error``);
    ``strategies`` the live strategy runner; ``webhook_port``: None = settings; 0 = any free port (smoke tests).
    """

    data_dir: Path
    settings: Settings
    bus: EventBus
    store: Store
    exchange: PaperExchange
    order_manager: OrderManager
    portfolio: PortfolioService
    accounts: AccountService
    market: MarketService
    risk_book: RiskBook
    groups: GroupService
    executor: Executor
    notices: NoticeService
    performance: PerformanceTracker | None = None  # equity per account, group and total (Performance panel, reports)
    reports: ReportService | None = None  # daily/weekly reports and their schedule
    feeds: VenueFeeds | None = None  # one quote feed per venue from its connected accounts' adapters
    markets: LiveMarkets | None = None  # the demo or a live venue's public prices (``use_market``)
    strategies: StrategyRunner | None = None
    admin_auth: Any = None  # the REST API's admin-token check (set by the webhook package)
    log_handler: "BusLogHandler | None" = None  # forwarding log records to the Log panel (when installed)
    webhook: WebhookServer | None = None
    demo: bool = True
    headless: bool = False
    webhook_port: int | None = None
    start_webhook: bool = True
    replay_label: str = ""
    replay_symbol: str = ""
    replay_interval: Any = None
    demo_task: Any = None  # the demo market's start-up (history backfill, indicators) while it runs
    listener_error: str = ""
    started: bool = False
    _stoppers: list[Callable[[], Awaitable[Any] | Any]] = field(default_factory=list, repr=False)
    live_venues: Any = None  # brokers.venues.LiveVenues: the live venues' shared networks
    _backup_task: asyncio.Future[None] | None = field(default=None, repr=False)

    # ---- life cycle ----------------------------------------------------------------------------------
    async def start(self) -> None:
        """List the instruments of earlier imports, restore accounts (creating "Paper 1" on a fresh data
        dir) and reconcile them, repair signal records and load the idempotency keys, seed the watchlist,
        start the demo market (``demo=True``), the strategy runner, the webhook listener and the notices.
        Idempotent."""
        if self.started:
            return
        self.started = True
        await self.risk_book.load()
        if self.performance is not None:  # before the accounts: their first summaries are the curves' start
            await self.performance.start()
        await self.market.restore_imported_instruments()  # before the accounts: their positions may need them
        accounts = await self.accounts.load()
        repaired = await self.executor.repair_signals()
        if repaired:
            log.warning("%d signal record(s) interrupted by the last stop repaired from the orders journal", repaired)
        await self.executor.load_idempotency()
        if not accounts:
            cash = dict(self.settings.paper.initial_cash) or DEFAULT_CASH
            await self.accounts.create_paper_account(DEFAULT_ACCOUNT_NAME, cash)
        saved = await self.store.run(self.store.kv.get, WATCHLIST_BEFORE_REPLAY, None)
        if saved is not None and self.demo:  # the last session replayed a CSV: the trader's own rows come back
            await self.market.set_watchlist(list(saved))
            await self.store.run(self.store.kv.delete, WATCHLIST_BEFORE_REPLAY)
        if not await self.market.watchlist():
            known = {i.market_id for i in self.market.instruments()}
            for symbol in self.settings.demo.symbols:
                if symbol in known:
                    await self.market.add_to_watchlist(symbol)
        if self.markets is None:
            self.markets = LiveMarkets(self)
        if self.demo:  # the configured market: the demo, or a live venue's prices
            await self.markets.use(self.settings.market.source)
        if self.strategies is not None:
            await self.strategies.start()
        if self.start_webhook and self.webhook is None:
            await self._start_webhook()
        await self.notices.start()
        if self.reports is not None:
            try:
                await self.reports.start()
            except Exception:  # noqa: BLE001 - a broken schedule file must not stop the terminal
                log.exception("the report schedule did not start")
        if self.store.path is not None and self._backup_task is None:
            self._backup_task = asyncio.ensure_future(self._backup_loop(self.store.path))

    async def _backup_loop(self, db: Path) -> None:
        """A daily online backup (``store/backup.py``, off the loop) whenever the newest is 24 h old: checked
        a minute after start, then hourly. A failed backup is logged as an error and tried again."""
        from ..core.offloop import run_blocking
        from ..store.backup import backup_due, make_backup

        await asyncio.sleep(BACKUP_FIRST_CHECK_S)
        while True:
            if await run_blocking(backup_due, db):
                try:
                    path = await run_blocking(make_backup, db, "daily")
                    log.info("daily backup written: %s", path)
                except Exception as exc:  # noqa: BLE001 - a backup must never stop the terminal
                    log.error("the daily backup failed: %s", exc)
            await asyncio.sleep(BACKUP_CHECK_S)

    async def restart_webhook(self) -> None:
        """Stop the listener and start it again with the settings as they are now (the Local API tab's
        *Apply*); ``listener_error`` says why when it cannot start."""
        if self.webhook is not None:
            await self.webhook.stop()
            self.webhook = None
        self.listener_error = ""
        await self._start_webhook()

    async def _start_webhook(self) -> None:
        if not self.settings.webhook.enabled:
            return
        port = self.settings.webhook.port if self.webhook_port is None else self.webhook_port
        try:
            problem = exposure_problem(self.settings, self.data_dir)  # non-loopback without TLS: refused
            if problem:
                raise ConfigError(problem)
            tls = tls_files(self.settings, self.data_dir)
            server = WebhookServer(self, self.settings.webhook.host, port, tls=tls)
            await server.start()
        except Exception as exc:  # a port in use must not stop the terminal; the status bar says why
            self.listener_error = f"{type(exc).__name__}: {exc}"
            log.error("webhook listener not started on %s:%s: %s", self.settings.webhook.host, port, exc)
            return
        self.webhook = server

    async def stop(self) -> None:
        """Stop the notices, listener, strategies, quote feeds and market, disconnect the accounts (their
        state stays in the store), stop the order manager and portfolio, drain the bus and close the store.
        A part that fails to stop is logged and the others still stop."""
        if self._backup_task is not None:
            self._backup_task.cancel()
            self._backup_task = None
        steps: list[tuple[str, Callable[[], Any]]] = [("notices", self.notices.stop)]
        if self.reports is not None:
            steps.append(("report schedule", self.reports.stop))
        if self.performance is not None:
            steps.append(("performance tracker", self.performance.stop))
        if self.webhook is not None:
            steps.append(("webhook listener", self.webhook.stop))
        if self.strategies is not None:
            steps.append(("strategies", self.strategies.stop))
        if self.markets is not None:
            steps.append(("live market", self.markets.close))
        if self.feeds is not None:
            steps.append(("quote feeds", self.feeds.close))
        steps += [("market", self.market.close), ("accounts", self.accounts.close),
                  ("order manager", self.order_manager.close), ("signal records", self.executor.drain),
                  ("portfolio", self.portfolio.close)]
        steps += [(f"stopper {i}", stopper) for i, stopper in enumerate(reversed(self._stoppers))]
        for name, step in steps:
            try:
                await _maybe_await(step())
            except Exception:  # noqa: BLE001 - shutting down: the other parts must still stop
                log.exception("stopping the %s failed", name)
        self.webhook = None
        try:
            await asyncio.wait_for(self.bus.drain(), timeout=5)
        except Exception:  # noqa: BLE001
            log.exception("draining the event bus at stop failed")
        self.store.close()
        self.started = False

    # ---- replay --------------------------------------------------------------------------------------
    async def start_replay(self, path: str | Path, speed: float | None = None) -> Any:
        """Import an OHLCV CSV (all bars or none: ``DataImportError`` names the line) and replay its bars as
        quotes into the paper market in place of the demo market. ``speed`` in bars per second (default 10).
        The symbol becomes tradable on paper (an instrument inferred from the prices when not in the catalog)
        and joins the watchlist in place of the demo's symbols (:meth:`replay_watchlist`). Returns the
        ``CsvImport``."""
        result = await self.market.import_csv(str(path))  # lists the symbol on the market and the exchange
        await self.market.stop()
        self.market.start_replay(result.bars, speed or 10.0)
        self.replay_symbol = result.symbol
        self.replay_interval = result.interval
        self.replay_label = f"replay {Path(path).name} ({result.symbol} {result.interval.value}, {len(result.bars)} bars)"
        log.info("replaying %d %s bars of %s from %s (read as %s)", len(result.bars), result.interval.value,
                 result.symbol, path, result.layout or "a CSV")
        with contextlib.suppress(Exception):
            await self.replay_watchlist(result.symbol)
        return result

    async def replay_watchlist(self, symbol: str) -> list[str]:
        """The watchlist while ``symbol`` replays: the paper venue's other rows leave (no market prices them
        any more: the demo stopped), rows of other venues stay, the replayed symbol comes in. Returns it."""
        current = await self.market.watchlist()
        if await self.store.run(self.store.kv.get, WATCHLIST_BEFORE_REPLAY, None) is None:
            # kept for the next start on a live or demo market (``start``): a replay's rows are not the trader's
            await self.store.run(self.store.kv.set, WATCHLIST_BEFORE_REPLAY, current)
        keep = [m for m in current if parse_market_id(m)[0] != HOME_VENUE or m == symbol]
        return await self.market.set_watchlist(keep if symbol in keep else keep + [symbol])

    # ---- readiness -----------------------------------------------------------------------------------
    async def not_ready(self) -> list[str]:
        """What the app still waits for before a signal can execute everywhere ([] = ready): start-up itself,
        each enabled account's connection (with its state), and a price for every symbol the accounts trade
        (held or with an open order) or watch. ``GET /health`` answers 503 with this list until it is empty."""
        if not self.started:
            return ["start-up"]
        waiting = []
        for account in self.accounts.list():
            state = self.accounts.session_state(account.account_id)
            if account.enabled and state.value != "CONNECTED":
                error = self.accounts.session_error(account.account_id)
                waiting.append(f"account {account.name}: {state.value.lower()}" + (f" ({error})" if error else ""))
        symbols = set(await self.market.watchlist())  # market ids: venue-qualified
        for account_id in self.order_manager.account_ids():
            venue = self.order_manager.broker(account_id).venue
            symbols.update(market_id(venue, p.symbol) for p in self.order_manager.positions(account_id))
            symbols.update(market_id(venue, o.symbol) for o in self.order_manager.open_orders(account_id))
        known = {i.market_id for i in self.market.instruments()}
        waiting += [f"a price for {s}" for s in sorted(symbols & known) if self._price_of(s) is None]
        return waiting

    def _price_of(self, market: str) -> Any:
        """The latest quote pricing ``market``: a paper symbol is priced by the market the paper venue trades
        on (Binance's BTC/USDT while the market is Binance), every other venue by its own."""
        venue, symbol = parse_market_id(market)
        return self.market.last_quote(symbol, self.market.price_venue(venue))

    # ---- status text ---------------------------------------------------------------------------------
    def listener_text(self) -> str:
        """``http://127.0.0.1:8780`` when listening, else why not."""
        if self.webhook is not None:
            return str(getattr(self.webhook, "url", "on"))
        if self.listener_error:
            return f"error ({self.listener_error})"
        return "off"

    def market_choices(self) -> dict[str, str]:
        """The markets ``use_market`` takes: name -> label (for View > Market)."""
        return dict(MARKETS)

    def market_name(self) -> str:
        """The market in use ("demo", a live market's name; "replay" while a file replays)."""
        if self.replay_label:
            return "replay"
        return self.markets.name if self.markets is not None and self.markets.name else "demo"

    async def use_market(self, name: str) -> None:
        """Price the app with ``name``: "demo" or a live market (``app/markets.py``). Raises ValueError."""
        if self.markets is None:
            self.markets = LiveMarkets(self)
        await self.markets.use(name)

    def venue_state(self, venue: str) -> str:
        """What is wrong with ``venue``'s market data ("unreachable"), or "" (the chart says why it is empty)."""
        return self.markets.state_of(venue) if self.markets is not None else ""

    def market_text(self) -> str:
        if self.replay_label:
            return self.replay_label
        if self.markets is not None and self.markets.label():
            return self.markets.label()
        if self.demo:
            return f"demo ({self.settings.demo.tick_rate:g} quotes/s)"
        return "no market data"


async def _maybe_await(value: Any) -> Any:
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        return await value
    return value


def build_services(
    data_dir: Path | str,
    settings: Settings | None = None,
    *,
    demo: bool = True,
    extra_symbols: int = 0,
    webhook_port: int | None = None,
    start_webhook: bool = True,
    bus: EventBus | None = None,
) -> AppServices:
    """Wire every service over ``data_dir`` (``trader.db`` in it). Nothing runs until ``await start()``.

    ``demo``: start the demo market on ``start()``; ``extra_symbols``: synthetic SYMnnn/USDT instruments for
    benches; ``webhook_port``: override the settings' port (0 = any free port); ``start_webhook=False`` keeps
    the listener off. Raises ``ConfigError``/store errors when the data dir or database is unusable.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = settings or Settings.load(data_dir)
    bus = bus or EventBus()
    instruments = demo_instruments(extra_symbols)
    store = Store.open(data_dir / "trader.db")
    exchange = PaperExchange(instruments)
    exchange.connect_bus(bus)
    portfolio = PortfolioService(bus)
    risk_book = RiskBook(store, bus, day_pnl=_day_pnl(portfolio))
    order_manager = OrderManager(store, bus, risk=RiskPipeline(rules_for_account=risk_book.rules_for))
    market = MarketService(bus, store, instruments, on_new_instrument=exchange.add_instrument)
    # a price is its venue's or none: a paper account's venue trades on the market's prices (demo or Binance)
    order_manager.price_venue = portfolio.price_venue = market.price_venue
    exchange.prices_from = lambda: market.paper_prices
    registry = BrokerRegistry()
    registry.register(paper_venue(exchange))
    live_venues = register_live_venues(registry)  # every live venue's account kinds (brokers/venues.py)
    accounts = AccountService(store, bus, order_manager, portfolio, registry)
    # a journal that cannot be written stops every account (fail closed; issue 12)
    order_manager.on_store_failure = lambda reason: risk_book.trip_all(
        [a.account_id for a in accounts.list()], reason)
    groups = GroupService(store, bus)
    # the cached group service: a signal never waits behind queued store writes to read its links
    executor = Executor(store, bus, order_manager, portfolio, market, groups=groups)
    services = AppServices(
        data_dir=data_dir, settings=settings, bus=bus, store=store, exchange=exchange, order_manager=order_manager,
        portfolio=portfolio, accounts=accounts, market=market, risk_book=risk_book, groups=groups,
        executor=executor, notices=NoticeService(bus, settings, data_dir), feeds=VenueFeeds(bus, market, order_manager),
        demo=demo, webhook_port=webhook_port, start_webhook=start_webhook,
    )
    services.strategies = StrategyRunner(services)
    services.performance = PerformanceTracker(bus, store)
    services.reports = ReportService(store, settings, data_dir, tracker=services.performance)
    services.reports.listeners.append(services.notices.on_report)  # the daily report on Telegram
    services.notices.services = services  # the Telegram commands report on the whole app
    services.live_venues = live_venues  # the live market shares their networks (one budget per IP)
    services._stoppers.append(live_venues.close)  # after the accounts: their shared connections and streams
    return services


def _day_pnl(portfolio: PortfolioService) -> Callable[[str, str], Decimal | None]:
    """Day PnL of an account in a currency for the daily loss limit, from the portfolio's summaries."""

    def day_pnl(account_id: str, currency: str) -> Decimal | None:
        for summary in portfolio.summaries(account_id):
            if summary.currency == currency:
                return summary.day_pnl
        return None

    return day_pnl


def install_log_forwarding(bus: EventBus, services: AppServices | None = None) -> BusLogHandler:
    """Send ``trader_app`` INFO+ log records to the Log panel (through the bus); ``services.log_handler`` is set
    so the panel can show what was logged before it existed. Returns the handler (remove it when done)."""
    handler = BusLogHandler(bus, asyncio.get_running_loop())
    if services is not None:
        services.log_handler = handler
    logger = logging.getLogger("trader_app")
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.INFO:
        logger.setLevel(logging.INFO)
    handler.unsubscribe = bus.subscribe(LogEvent, handler.to_file)
    return handler


def remove_log_forwarding(handler: BusLogHandler) -> None:
    """Undo ``install_log_forwarding``: the handler leaves the ``trader_app`` logger and the bus."""
    logging.getLogger("trader_app").removeHandler(handler)
    unsubscribe = getattr(handler, "unsubscribe", None)
    if unsubscribe is not None:
        unsubscribe()
