"""The one bridge from the event bus to Qt: bus events in, batched Qt signals out.

Why batched: the demo market alone can publish 20,000 quotes a second, and a view that repaints per quote
would stall the loop. So every bus handler here is O(1) — it only stores the event — and a ``QTimer``
flushes what accumulated at most ``rate_hz`` times a second (default 20 Hz, DESIGN.md "The loop and the UI"):

- keyed, latest wins: quotes (by symbol), live bars (by symbol, interval, open time), orders (by account and
  client order id), positions (by account and symbol), balances (by account and currency), account summaries
  (by account and currency), accounts (by id), strategy states (by name), kill switches (by account);
- in arrival order, none dropped: fills, ledger entries, log lines, signals.

Each flush emits one signal per kind that has something pending; the payload is a ``dict`` for quotes
(``{symbol: Quote}``) and a ``list`` for everything else, in first-arrival order. The UI never polls brokers:
panels connect to these signals and read nothing else at run time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.bus import EventBus
from ..core.events import (
    AccountEvent,
    AccountSummaryEvent,
    BalanceEvent,
    BarEvent,
    FillEvent,
    KillSwitchEvent,
    LedgerEvent,
    LogEvent,
    OrderEvent,
    PositionEvent,
    QuoteEvent,
    SignalEvent,
    StrategyStateEvent,
    WatchlistEvent,
)
from ..core.instrument import HOME_VENUE, market_id


class EventBridge(QObject):
    """Subscribes to ``bus`` and re-emits its events as Qt signals, coalesced and flushed by a timer.

    ``rate_hz`` bounds the flush rate (flush interval = 1000 / rate_hz ms). ``start()`` subscribes and starts
    the timer; ``stop()`` undoes both. ``flush()`` can be called directly (tests, shutdown).
    Counters: ``quotes_received`` (bus events seen), ``quotes_emitted`` (symbols delivered), ``flushes``.
    """

    quotes = Signal(object)          # dict[market id, Quote]: a bare symbol on the paper venue, venue:symbol elsewhere
    bars = Signal(object)            # list[Bar]
    orders = Signal(object)          # list[Order]
    fills = Signal(object)           # list[Fill]
    positions = Signal(object)       # list[Position]
    balances = Signal(object)        # list[Balance]
    ledger = Signal(object)          # list[LedgerEntry]
    summaries = Signal(object)       # list[AccountSummary]
    accounts = Signal(object)        # list[AccountEvent]
    logs = Signal(object)            # list[LogEvent]
    signals = Signal(object)         # list[SignalEvent]
    strategies = Signal(object)      # list[StrategyStateEvent]
    kill_switches = Signal(object)   # list[KillSwitchEvent]
    watchlist = Signal(object)       # tuple[str, ...]: the watchlist's market ids after the latest change
    flushed = Signal()               # after every flush that emitted something

    def __init__(self, bus: EventBus, rate_hz: float = 20.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if rate_hz <= 0:
            raise ValueError(f"rate_hz must be > 0, got {rate_hz}")
        self._bus = bus
        self._unsubscribe: list[Callable[[], None]] = []
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, int(round(1000.0 / rate_hz))))
        self._timer.timeout.connect(self.flush)
        self.quotes_received = 0
        self.quotes_emitted = 0
        self.flushes = 0
        self._reset()

    # ---- pending state -------------------------------------------------------------------------------
    def _reset(self) -> None:
        self._quotes: dict[str, Any] = {}
        self._bars: dict[tuple, Any] = {}
        self._orders: dict[tuple, Any] = {}
        self._positions: dict[tuple, Any] = {}
        self._balances: dict[tuple, Any] = {}
        self._summaries: dict[tuple, Any] = {}
        self._accounts: dict[str, Any] = {}
        self._strategies: dict[str, Any] = {}
        self._kills: dict[str, Any] = {}
        self._watchlist: tuple[str, ...] | None = None
        self._fills: list[Any] = []
        self._ledger: list[Any] = []
        self._logs: list[Any] = []
        self._signals: list[Any] = []

    @property
    def interval_ms(self) -> int:
        """Flush interval in ms."""
        return self._timer.interval()

    # ---- life cycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        """Subscribe to the bus and start flushing. Calling it twice does nothing the second time."""
        if self._unsubscribe:
            return
        sub = self._bus.subscribe
        self._unsubscribe = [
            sub(QuoteEvent, self._on_quote),
            sub(BarEvent, self._on_bar),
            sub(OrderEvent, self._on_order),
            sub(FillEvent, self._on_fill),
            sub(PositionEvent, self._on_position),
            sub(BalanceEvent, self._on_balance),
            sub(LedgerEvent, self._on_ledger),
            sub(AccountSummaryEvent, self._on_summary),
            sub(AccountEvent, self._on_account),
            sub(LogEvent, self._on_log),
            sub(SignalEvent, self._on_signal),
            sub(StrategyStateEvent, self._on_strategy),
            sub(KillSwitchEvent, self._on_kill),
            sub(WatchlistEvent, self._on_watchlist),
        ]
        self._timer.start()

    def stop(self) -> None:
        """Unsubscribe, stop the timer and deliver what is still pending."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self._timer.stop()
        self.flush()

    # ---- bus handlers: O(1), no Qt calls ------------------------------------------------------------
    def _on_quote(self, event: QuoteEvent) -> None:
        self.quotes_received += 1
        quote = event.quote
        self._quotes[quote.symbol if quote.venue == HOME_VENUE else market_id(quote.venue, quote.symbol)] = quote

    def _on_watchlist(self, event: WatchlistEvent) -> None:
        self._watchlist = event.symbols

    def _on_bar(self, event: BarEvent) -> None:
        bar = event.bar
        self._bars[(bar.venue, bar.symbol, bar.interval, bar.open_time_ms)] = bar

    def _on_order(self, event: OrderEvent) -> None:
        order = event.order
        self._orders[(order.account_id, order.client_order_id)] = order

    def _on_fill(self, event: FillEvent) -> None:
        self._fills.append(event.fill)

    def _on_position(self, event: PositionEvent) -> None:
        pos = event.position
        self._positions[(pos.account_id, pos.symbol)] = pos

    def _on_balance(self, event: BalanceEvent) -> None:
        bal = event.balance
        self._balances[(bal.account_id, bal.currency)] = bal

    def _on_ledger(self, event: LedgerEvent) -> None:
        self._ledger.append(event.entry)

    def _on_summary(self, event: AccountSummaryEvent) -> None:
        s = event.summary
        self._summaries[(s.account_id, s.currency)] = s

    def _on_account(self, event: AccountEvent) -> None:
        self._accounts[event.account.account_id] = event

    def _on_log(self, event: LogEvent) -> None:
        self._logs.append(event)

    def _on_signal(self, event: SignalEvent) -> None:
        self._signals.append(event)

    def _on_strategy(self, event: StrategyStateEvent) -> None:
        self._strategies[event.name] = event

    def _on_kill(self, event: KillSwitchEvent) -> None:
        self._kills[event.account_id] = event

    # ---- flush ----------------------------------------------------------------------------------------
    def flush(self) -> None:
        """Emit everything pending (one signal per non-empty kind) and clear it.

        Order of emission: accounts, balances, summaries, orders, fills, positions, ledger, quotes, bars,
        signals, strategies, kill switches, logs — so a panel that reacts to a fill already knows its order.
        """
        if not (
            self._quotes or self._bars or self._orders or self._fills or self._positions or self._balances
            or self._ledger or self._summaries or self._accounts or self._logs or self._signals
            or self._strategies or self._kills or self._watchlist is not None
        ):
            return
        quotes, bars, orders, fills = self._quotes, self._bars, self._orders, self._fills
        positions, balances, ledger, summaries = self._positions, self._balances, self._ledger, self._summaries
        accounts, logs, signals, strategies, kills = (
            self._accounts, self._logs, self._signals, self._strategies, self._kills
        )
        watchlist = self._watchlist
        self._reset()
        self.flushes += 1
        if accounts:
            self.accounts.emit(list(accounts.values()))
        if balances:
            self.balances.emit(list(balances.values()))
        if summaries:
            self.summaries.emit(list(summaries.values()))
        if orders:
            self.orders.emit(list(orders.values()))
        if fills:
            self.fills.emit(fills)
        if positions:
            self.positions.emit(list(positions.values()))
        if ledger:
            self.ledger.emit(ledger)
        if watchlist is not None:
            self.watchlist.emit(watchlist)
        if quotes:
            self.quotes_emitted += len(quotes)
            self.quotes.emit(quotes)
        if bars:
            self.bars.emit(list(bars.values()))
        if signals:
            self.signals.emit(signals)
        if strategies:
            self.strategies.emit(list(strategies.values()))
        if kills:
            self.kill_switches.emit(list(kills.values()))
        if logs:
            self.logs.emit(logs)
        self.flushed.emit()
