"""Watchlist panel: symbols with last, change %, bid/ask, volume, RSI, MACD and the position held.

Rows are market ids: a bare symbol on the paper venue, ``venue:symbol`` on any other (the same symbol on two
venues is two rows). Clicking a row emits ``symbolActivated(market id)`` (the window charts it and fills the
ticket). The add box takes a listed instrument's market id; the context menu removes one. The list persists through the market service.
RSI/MACD come from ``MarketService.indicators`` (TA-Lib on 1m closes), refreshed round-robin a few symbols
per timer tick so a 500-symbol list never stalls the loop.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCompleter, QHBoxLayout, QLineEdit, QMenu, QPushButton, QWidget

from ...core.events import LogEvent
from ...core.ids import now_ms
from ...core.instrument import symbol_text
from ..models.format import Formats
from ..models.watchlist import WatchlistModel
from .common import TablePanel, spawn


class WatchlistPanel(TablePanel):
    """The watchlist. ``indicator_batch`` symbols get fresh indicators every ``indicator_ms``."""

    symbolActivated = Signal(str)

    def __init__(self, services: Any, bridge: Any, formats: Formats | None = None, parent: QWidget | None = None,
                 indicator_ms: int = 500, indicator_batch: int = 10) -> None:
        formats = formats or Formats(services.market.instruments())
        super().__init__(WatchlistModel(formats), parent)
        self.services = services
        self.last_task: asyncio.Future[Any] | None = None
        bridge.quotes.connect(self.model.on_quotes)
        bridge.positions.connect(self.model.on_positions)
        bridge.strategies.connect(self._on_strategies)
        bridge.watchlist.connect(self._on_watchlist)
        self.table.clicked.connect(self._clicked)
        self.table.activated.connect(self._clicked)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_menu)

        self.add_edit = QLineEdit(self)
        self.add_edit.setObjectName("addSymbolEdit")
        self.add_edit.setPlaceholderText("Add symbol (BTC/USDT, or venue:symbol)")
        self._offered = QStringListModel([i.market_id for i in services.market.instruments()], self)
        completer = QCompleter(self._offered, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.add_edit.setCompleter(completer)
        self.add_edit.returnPressed.connect(lambda: self.add_symbol(self.add_edit.text()))
        add_button = QPushButton("Add", self)
        add_button.setObjectName("addSymbol")
        add_button.clicked.connect(lambda: self.add_symbol(self.add_edit.text()))
        row = QHBoxLayout()
        row.setContentsMargins(2, 2, 2, 0)
        row.addWidget(self.add_edit, 1)
        row.addWidget(add_button)
        self.vbox.insertLayout(0, row)

        self._next_indicator = 0
        self._indicator_batch = indicator_batch
        self._indicator_timer = QTimer(self)
        self._indicator_timer.setInterval(indicator_ms)
        self._indicator_timer.timeout.connect(self.refresh_indicators)
        self._indicator_timer.start()

    async def load(self) -> None:
        """Show the stored watchlist (and the quotes known so far)."""
        symbols = await self.services.market.watchlist()
        self.model.set_symbols(symbols)
        known = {s: q for s in symbols if (q := self.services.market.quote_of(s)) is not None}
        if known:
            self.model.on_quotes(known)
        self.model.on_positions(self.services.portfolio.positions())

    def offer(self, market: str) -> None:
        """Offer the market id ``market`` (a newly listed instrument) in the add box's completion."""
        listed = self._offered.stringList()
        if market not in listed:
            self._offered.setStringList(listed + [market])

    def _on_watchlist(self, markets: tuple[str, ...]) -> None:
        """The list changed elsewhere (a market switch, the REST API): show it, with the prices known."""
        if list(markets) == self.model.symbols():
            return
        self.model.set_symbols(list(markets))
        known = {m: q for m in markets if (q := self.services.market.quote_of(m)) is not None}
        if known:
            self.model.on_quotes(known)

    # ---- interaction ---------------------------------------------------------------------------------
    def _clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.symbolActivated.emit(self.table.record_at(index.row()).symbol)

    def select_symbol(self, symbol: str) -> None:
        """Select the row of ``symbol`` and emit ``symbolActivated`` as a click would."""
        row = self.model.row_of(symbol)
        if row is None:
            raise KeyError(symbol)
        self.table.selectRow(row)
        self.symbolActivated.emit(symbol)

    def add_symbol(self, symbol: str) -> asyncio.Future[Any] | None:
        """Add a market id (``BTC/USDT``, ``binance:btc/usdt``: the venue is lower-cased, the symbol upper-cased)."""
        venue, sep, rest = symbol.strip().rpartition(":")
        if not rest:
            return None
        try:
            symbol = f"{venue.lower()}{sep}{symbol_text(rest)}"
        except ValueError as exc:  # a look-alike (non-ASCII, NFKC): refused, and said in the log
            self._log("WARNING", f"cannot add {rest!r}: {exc}")
            return None
        self.add_edit.clear()
        self.last_task = spawn(self._add(symbol), lambda exc: self._log("WARNING", f"cannot add {symbol}: {exc}"))
        return self.last_task

    async def _add(self, symbol: str) -> None:
        symbol = self.services.market.instrument(symbol).market_id  # UnknownSymbol; "paper:X" is "X"
        await self.services.market.add_to_watchlist(symbol)
        if symbol not in self.model.symbols():
            self.model.set_symbols(self.model.symbols() + [symbol])
        quote = self.services.market.quote_of(symbol)
        if quote is not None:
            self.model.on_quotes({symbol: quote})

    def remove_symbol(self, symbol: str) -> asyncio.Future[Any]:
        self.last_task = spawn(self._remove(symbol), lambda exc: self._log("WARNING", f"cannot remove {symbol}: {exc}"))
        return self.last_task

    async def _remove(self, symbol: str) -> None:
        await self.services.market.remove_from_watchlist(symbol)
        self.model.set_symbols([s for s in self.model.symbols() if s != symbol])

    def _show_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        symbol = self.table.record_at(index.row()).symbol
        menu = QMenu(self)
        chart = QAction(f"Chart {symbol}", menu)
        chart.triggered.connect(lambda: self.symbolActivated.emit(symbol))
        remove = QAction(f"Remove {symbol}", menu)
        remove.triggered.connect(lambda: self.remove_symbol(symbol))
        menu.addAction(chart)
        menu.addAction(remove)
        menu.exec(self.table.viewport().mapToGlobal(pos))

    # ---- indicators and strategy state ---------------------------------------------------------------
    def refresh_indicators(self) -> None:
        """Recompute RSI/MACD for the next ``indicator_batch`` symbols (round-robin)."""
        symbols = self.model.symbols()
        if not symbols:
            return
        indicators = getattr(self.services.market, "indicators", None)
        if indicators is None:
            return
        for _ in range(min(self._indicator_batch, len(symbols))):
            self._next_indicator %= len(symbols)
            symbol = symbols[self._next_indicator]
            self._next_indicator += 1
            snap = indicators(symbol)
            self.model.set_indicators(symbol, snap.rsi, snap.macd, snap.macd_signal)

    def _on_strategies(self, events: list[Any]) -> None:
        """Show each strategy's trailing-stop state per symbol (``StrategyStateEvent.state["symbols"][symbol]
        ["trailing"]`` = ``{"trail_high", "trail_stop", "armed"}``, from rsi_macd): ``armed 64,100.00`` once the
        activation profit is reached, ``wait 64,100.00`` before; cleared when the strategy stops or is flat."""
        for ev in events:
            symbols = ev.state.get("symbols") if isinstance(ev.state, dict) else None
            if not isinstance(symbols, dict):
                continue
            for symbol, entry in symbols.items():
                trailing = entry.get("trailing") if isinstance(entry, dict) else None
                self.model.set_trail(symbol, trail_text(self.model, symbol, trailing) if ev.running else "")

    def _log(self, level: str, message: str) -> None:
        self.services.bus.publish(LogEvent(now_ms(), level, "watchlist", message))


def trail_text(model: WatchlistModel, symbol: str, trailing: Any) -> str:
    """``armed <stop>`` / ``wait <stop>`` for a trailing-stop state dict, "" when there is no stop."""
    if not isinstance(trailing, dict) or trailing.get("trail_stop") is None:
        return ""
    stop = Decimal(str(trailing["trail_stop"]))
    return f"{'armed' if trailing.get('armed') else 'wait'} {model.formats.price(symbol, stop)}"
