"""The main window: dock panels, menus, shortcuts, status bar, and the saved layout.

Default layout (1600 x 1000): watchlist and accounts on the left, the chart in the middle, the order ticket
on the right, and the tables (positions, open orders, fills, ledger, log, and signals/strategies/performance
when those panels exist) tabbed along the bottom. The dock layout, window geometry and every table's column
widths are saved with ``QSettings`` in ``ui.ini`` in the data directory (so a test or smoke-test data dir
never touches the trader's own layout) and restored at the next start.

The window never polls brokers: the panels listen to the ``EventBridge``; the status bar reads the services'
in-memory state once a second.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QRect, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QTabWidget,
    QToolBar,
    QWidget,
)

from .. import __version__
from ..core.enums import SessionState, Side
from ..core.events import LogEvent
from ..core.ids import now_ms
from .bridge import EventBridge
from .desktop_notices import DesktopNotices
from .elided_label import ElidedLabel
from .errors import ErrorReporter
from .models.format import Formats
from .panels.accounts import AccountsPanel
from .panels.performance import PerformancePanel
from .panels.reports import ReportsPanel
from .panels.signals import SignalsPanel
from .panels.strategies import StrategiesPanel
from .panels.chart import ChartPanel
from .panels.common import TableView, spawn
from .panels.fills import FillsPanel
from .panels.ledger import LedgerPanel
from .panels.log import LogPanel
from .panels.orders import OpenOrdersPanel
from .panels.positions import PositionsPanel
from .panels.ticket import OrderTicket
from .panels.watchlist import WatchlistPanel
from .theme import app_icon
from .window_actions import WindowActions

log = logging.getLogger(__name__)

LAYOUT_VERSION = 1
DEFAULT_SIZE = (1600, 1000)
MAX_DOCK_MIN_WIDTH = 300  # px: a panel wanting more scrolls inside its dock

SHORTCUTS = {"buy": "Ctrl+B", "sell": "Ctrl+Shift+S", "cancel_all": "Ctrl+Shift+X"}


class MainWindow(WindowActions, QMainWindow):
    """The terminal window over ``services`` (an ``AppServices``).

    ``panels`` maps dock names (accounts, watchlist, chart, ticket, positions, orders, fills, ledger, log, and
    the optional ones) to panel widgets; ``docks`` maps the same names to their ``QDockWidget``.
    ``settings_path`` defaults to ``<data_dir>/ui.ini``.
    """

    closing = Signal()  # emitted when the window is closed (the app then stops its services)

    def __init__(self, services: Any, bridge: EventBridge | None = None, settings_path: Path | str | None = None,
                 restore_layout: bool = True) -> None:
        super().__init__()
        self.services = services
        self.bridge = bridge or EventBridge(services.bus, parent=self)
        self.setObjectName("mainWindow")
        self.setWindowTitle(f"Trader App {__version__}")
        icon = app_icon()
        if icon is not None:
            self.setWindowIcon(icon)
        path = Path(settings_path) if settings_path else Path(services.data_dir) / "ui.ini"
        self.qsettings = QSettings(str(path), QSettings.Format.IniFormat)
        self.formats = Formats(services.market.instruments())
        self.panels: dict[str, QWidget] = {}
        self.docks: dict[str, QDockWidget] = {}
        self.backtest_window: QWidget | None = None
        self.last_message_box: QMessageBox | None = None

        self.setDockNestingEnabled(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowNestedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)
        self.setTabPosition(Qt.DockWidgetArea.BottomDockWidgetArea, QTabWidget.TabPosition.North)
        for corner, area in ((Qt.Corner.TopLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea),
                             (Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea),
                             (Qt.Corner.TopRightCorner, Qt.DockWidgetArea.RightDockWidgetArea),
                             (Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)):
            self.setCorner(corner, area)
        # The order ticket's column spans only the top (beside the chart): the tables below run to the right
        # edge, where their columns need the room and the ticket's form would leave it empty.
        # Every panel is a dock; the central widget is a zero-height spacer between the chart (top area) and
        # the tables (bottom area). Without one, Qt's dock layout drifts the side columns on every relayout.
        spacer = QWidget(self)
        spacer.setObjectName("centralSpacer")
        spacer.setMaximumHeight(0)
        self.setCentralWidget(spacer)
        self._build_panels()
        self._build_menus()
        self._build_status_bar()
        self.keyring_banner = self._keyring_banner()
        self.resize(*DEFAULT_SIZE)
        if QGuiApplication.platformName() != "offscreen":  # offscreen has no real screen to fit (tests, smoke)
            self.fit_to(self.screen().availableGeometry())
        self.default_layout()
        self._default_state = self.saveState(LAYOUT_VERSION)
        self._restored = self.restore_layout() if restore_layout else False
        self._shown_once = False
        listeners = getattr(services.market, "instrument_listeners", None)
        if listeners is not None:
            listeners.append(self._instrument_added)
        settings = getattr(services, "settings", None)
        self.desktop_notices = None
        if settings is not None:  # tray notices of fills, rejections, strategy failures, kill switches, lost connections
            self.desktop_notices = DesktopNotices(self.bridge, settings, self._account_name, app_icon(), self)
        self.errors = ErrorReporter(self).install()  # a slot's exception: logged, shown, never silent
        self.bridge.start()

    def _account_name(self, account_id: str) -> str:
        for account in self.services.accounts.list():
            if account.account_id == account_id:
                return account.name
        return account_id

    def _instrument_added(self, instrument: Any) -> None:
        """A symbol listed later (an imported CSV, a connected venue's list): format its prices, offer it in
        the ticket and in the watchlist's add box."""
        self.formats.add([instrument])
        if self.ticket.symbol.findText(instrument.symbol) < 0:
            self.ticket.symbol.addItem(instrument.symbol)
        self.watchlist.offer(instrument.market_id)

    # ---- panels --------------------------------------------------------------------------------------
    def _build_panels(self) -> None:
        s, b, f = self.services, self.bridge, self.formats
        self.watchlist = WatchlistPanel(s, b, f)
        self.accounts = AccountsPanel(s, b)
        self.chart = ChartPanel(s, b)
        self.ticket = OrderTicket(s, b, f)
        self.positions = PositionsPanel(s, b, f)
        self.orders = OpenOrdersPanel(s, b, f)
        self.fills = FillsPanel(s, b, f)
        self.ledger = LedgerPanel(s, b, f)
        self.log_panel = LogPanel(s, b)
        for name, title, widget in (
            ("watchlist", "Watchlist", self.watchlist),
            ("accounts", "Accounts", self.accounts),
            ("chart", "Chart", self.chart),
            ("ticket", "Order ticket", self.ticket),
            ("positions", "Positions", self.positions),
            ("orders", "Open orders", self.orders),
            ("fills", "Fills", self.fills),
            ("ledger", "Ledger", self.ledger),
            ("log", "Log", self.log_panel),
            ("signals", "Signals", SignalsPanel(s, b)),
            ("strategies", "Strategies", StrategiesPanel(s, b)),
            ("performance", "Performance", PerformancePanel(s, b)),
            ("reports", "Reports", ReportsPanel(s, b)),
        ):
            self._add_dock(name, title, widget)
        self.watchlist.symbolActivated.connect(self.activate_symbol)

    def _add_dock(self, name: str, title: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        content = widget
        if widget.minimumSizeHint().width() > MAX_DOCK_MIN_WIDTH:
            # a wide panel (a row of buttons, a form) scrolls inside its dock instead of forcing the whole
            # window wider than a 1280-1440 px screen
            area = QScrollArea(self)
            area.setObjectName(f"scroll_{name}")
            area.setWidgetResizable(True)
            area.setFrameShape(QFrame.Shape.NoFrame)
            area.setWidget(widget)
            content = area
        dock.setWidget(content)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.panels[name] = widget
        self.docks[name] = dock
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        return dock

    def default_layout(self) -> None:
        """Place every dock where the default layout puts it (also View > Reset layout)."""
        d = self.docks
        for dock in d.values():
            dock.setFloating(False)
            dock.show()
            self.removeDockWidget(dock)
        area = Qt.DockWidgetArea
        self.addDockWidget(area.LeftDockWidgetArea, d["watchlist"])
        self.splitDockWidget(d["watchlist"], d["accounts"], Qt.Orientation.Vertical)
        self.addDockWidget(area.TopDockWidgetArea, d["chart"])
        self.addDockWidget(area.RightDockWidgetArea, d["ticket"])
        bottom = ["positions", "orders", "fills", "ledger", "log", "signals", "strategies", "performance", "reports"]
        self.addDockWidget(area.BottomDockWidgetArea, d[bottom[0]])
        for name in bottom[1:]:
            self.tabifyDockWidget(d[bottom[0]], d[name])
        for dock in d.values():
            dock.show()
        d[bottom[0]].raise_()
        self._bottom_first = d[bottom[0]]
        self.default_sizes()

    def default_sizes(self) -> None:
        """Dock sizes of the default layout for the current window size (left 34 % within 420..640 px, ticket
        280 px (250 below 1400), the chart and tables the rest; tables 35 % of the height). Qt only honours them once the window is laid out, so this runs again on the
        first show."""
        d, w, h = self.docks, self.width(), self.height()
        left, right = min(max(int(w * 0.34), 420), 640), (280 if w >= 1400 else 250)
        self.resizeDocks([d["watchlist"], d["chart"], d["ticket"]], [left, w - left - right, right],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([d["watchlist"], d["accounts"]], [int(h * 0.55), int(h * 0.40)], Qt.Orientation.Vertical)
        self.resizeDocks([d["chart"], self._bottom_first], [int(h * 0.60), int(h * 0.35)], Qt.Orientation.Vertical)

    def _keyring_banner(self) -> QToolBar | None:
        """A banner across the top when secrets cannot be kept (no OS keyring, or an unsafe one): what does not
        work and the fixes, as ``serve`` prints them. None when the keyring is fine."""
        from ..secrets import unsafe_backend_problem

        problem = unsafe_backend_problem()
        if problem is None:
            return None
        bar = QToolBar("Keyring", self)
        bar.setObjectName("keyringBanner")
        bar.setMovable(False)
        label = QLabel(f"\u26a0 Secrets cannot be stored: {problem} Until then live accounts cannot be "
                       "connected and webhook tokens and the admin token cannot be kept.", bar)
        label.setObjectName("keyringBannerText")
        label.setWordWrap(True)
        label.setStyleSheet("QLabel { color: #1a1a1a; background: #ffcc66; padding: 4px 8px; }")
        bar.addWidget(label)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        return bar

    # ---- menus and shortcuts -------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.import_action = self._action(file_menu, "&Import CSV...", self.import_csv_dialog, "Ctrl+I")
        self._action(file_menu, "&Replay CSV...", self.replay_csv_dialog, "Ctrl+R")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        trade = bar.addMenu("&Trade")
        self.buy_action = self._action(trade, "&Buy (ticket)", lambda: self.ticket.submit(Side.BUY), SHORTCUTS["buy"])
        self.sell_action = self._action(trade, "&Sell (ticket)", lambda: self.ticket.submit(Side.SELL),
                                        SHORTCUTS["sell"])
        trade.addSeparator()
        self.cancel_all_action = self._action(trade, "&Cancel all open orders", self.cancel_all, SHORTCUTS["cancel_all"])

        view = bar.addMenu("&View")
        self.view_menu = view
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        self._action(view, "Reset &layout", self.default_layout)
        choices = getattr(self.services, "market_choices", None)
        if choices is not None:
            market_menu = view.addMenu("&Market")
            group = QActionGroup(self)
            self.market_actions: dict[str, QAction] = {}
            for name, label in choices().items():
                action = QAction(label, self)
                action.setCheckable(True)
                action.setChecked(name == self.services.market_name())
                action.triggered.connect(lambda _checked=False, n=name: self.use_market(n))
                group.addAction(action)
                market_menu.addAction(action)
                self.market_actions[name] = action

        tools = bar.addMenu("T&ools")
        self._action(tools, "&Backtest...", self.open_backtest_window)
        self._action(tools, "Open &data folder location", self._show_data_dir)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About", self._about)

    def use_market(self, name: str) -> Any:
        """View > Market: price the app with ``name`` ("demo", "binance"). Returns the switching task."""
        def failed(exc: BaseException) -> None:
            self.services.bus.publish(LogEvent(now_ms(), "ERROR", "market", f"cannot use market {name}: {exc}"))

        self.last_market_task = spawn(self.services.use_market(name), failed)
        return self.last_market_task

    def _action(self, menu: Any, text: str, slot: Any, shortcut: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    # ---- status bar ----------------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        # fixed widths; a longer text ends in "…" with the whole text as the tooltip (never cut off)
        self.connection_label = ElidedLabel("", self)
        self.listener_label = ElidedLabel("", self)
        self.market_label = ElidedLabel("", self)
        self.rate_label = ElidedLabel("", self)
        # Fixed sizes: a text change then never relayouts the window (see OrderTicket's quote labels).
        height = self.rate_label.sizeHint().height()
        for label, width in ((self.connection_label, 230), (self.market_label, 380), (self.rate_label, 130)):
            label.setFixedSize(width, height)
            sb.addWidget(label)
        self.alert_label = ElidedLabel("", self)  # a tripped kill switch (a loss limit, a store that cannot write)
        self.alert_label.setStyleSheet("QLabel { color: #ff6b6b; font-weight: bold; }")
        sb.addWidget(self.alert_label, 1)
        self.listener_label.setFixedSize(330, height)
        self.listener_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        sb.addPermanentWidget(self.listener_label)
        self._last_quotes = 0
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(1000)
        self._status_timer.timeout.connect(self.update_status)
        self._status_timer.start()
        self.update_status()

    def update_status(self) -> None:
        """Refresh the status bar from the services' in-memory state (no I/O)."""
        accounts = self.services.accounts
        states = [accounts.session_state(a.account_id) for a in accounts.list()]
        connected = sum(1 for st in states if st is SessionState.CONNECTED)
        errors = sum(1 for st in states if st is SessionState.ERROR)
        text = f"Accounts: {connected}/{len(states)} connected"
        if errors:
            text += f", {errors} in error"
        self.connection_label.setText(text)
        book = getattr(self.services, "risk_book", None)
        tripped = [(a.name, book.kill_switch(a.account_id)) for a in accounts.list()] if book is not None else []
        tripped = [(name, state) for name, state in tripped if state is not None]
        alert = ""
        if tripped:
            reasons = dict.fromkeys(state.reason for _, state in tripped)
            alert = f"TRADING STOPPED on {len(tripped)} account(s): {'; '.join(reasons)}"
        if self.alert_label.text() != alert:
            self.alert_label.setText(alert)
            self.alert_label.set_detail("\n".join(f"{name}: {state.reason}" for name, state in tripped))
        self.listener_label.setText(f"Listener: {self.services.listener_text()}")
        self.market_label.setText(f"Market: {self.services.market_text()}")
        received = self.bridge.quotes_received
        self.rate_label.setText(f"{received - self._last_quotes:,} quotes/s")
        self._last_quotes = received

    # ---- actions -------------------------------------------------------------------------------------
    def activate_symbol(self, symbol: str, interval: Any = None) -> None:
        """Chart ``symbol`` (at ``interval``, default the chart's) and put it in the ticket (a watchlist click)."""
        self.ticket.set_symbol(symbol)
        self.chart.show_symbol(symbol, interval)

    def cancel_all(self) -> asyncio.Future[Any]:
        """Cancel every open order of every account (Trade > Cancel all, Ctrl+Shift+X)."""
        return self.orders.cancel_all()

    # ---- start-up and layout persistence -------------------------------------------------------------
    async def load(self) -> None:
        """Fill every panel from the services' current state and chart the first watchlist symbol."""
        self.accounts.load()
        self.positions.load()
        self.orders.load()
        await asyncio.gather(self.watchlist.load(), self.fills.load(), self.ledger.load())
        for name, panel in self.panels.items():
            if name in ("accounts", "positions", "orders", "watchlist", "fills", "ledger"):
                continue
            loader = getattr(panel, "load", None)
            if loader is None:
                continue
            try:
                result = loader()
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:  # an optional panel failing to load is logged, not fatal
                self._log("ERROR", f"{name} panel failed to load: {exc}")
        symbols = self.watchlist.model.symbols()
        if symbols:
            self.watchlist.select_symbol(symbols[0])
        task = getattr(self.services, "demo_task", None)
        if task is not None and not task.done():
            task.add_done_callback(lambda _t: self._market_ready())

    def _market_ready(self) -> None:
        """The demo market finished backfilling history: redraw the chart with it."""
        if self.isVisible() and self.chart.symbol:
            self.chart.show_symbol(self.chart.symbol)

    def tables(self) -> dict[str, TableView]:
        """Every table view by a stable name (``<panel>`` or ``<panel>.<n>``) for saving column widths."""
        out: dict[str, TableView] = {}
        for name, panel in self.panels.items():
            views = panel.tables() if hasattr(panel, "tables") else panel.findChildren(TableView)
            for i, view in enumerate(views):
                out[name if i == 0 else f"{name}.{i}"] = view
        return out

    def save_layout(self) -> None:
        """Write window geometry, dock state and column widths to ``ui.ini``."""
        s = self.qsettings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState(LAYOUT_VERSION))
        for name, view in self.tables().items():
            s.setValue(f"columns/{name}", view.save_columns())
        s.sync()

    def fit_to(self, available: QRect) -> None:
        """Make the window fit ``available`` (a screen's available geometry): at most the default size, no
        larger than the screen, moved inside it (a layout saved on a bigger screen is clamped too)."""
        extra_w = self.frameGeometry().width() - self.width()  # the window manager's frame and title bar
        extra_h = self.frameGeometry().height() - self.height()
        w = min(self.width(), available.width() - extra_w)
        h = min(self.height(), available.height() - extra_h)
        self.resize(max(w, 640), max(h, 480))
        frame = self.frameGeometry()
        x = min(max(frame.x(), available.x()), available.right() - min(frame.width(), available.width()) + 1)
        y = min(max(frame.y(), available.y()), available.bottom() - min(frame.height(), available.height()) + 1)
        self.move(x, y)

    def restore_layout(self) -> bool:
        """Restore what ``save_layout`` wrote (clamped to the screen it opens on). Returns False (default layout
        kept) when nothing was saved."""
        s = self.qsettings
        geometry, state = s.value("window/geometry"), s.value("window/state")
        if geometry is not None:
            self.restoreGeometry(QByteArray(geometry))
            if QGuiApplication.platformName() != "offscreen":
                self.fit_to(self.screen().availableGeometry())
        restored = state is not None and self.restoreState(QByteArray(state), LAYOUT_VERSION)
        for name, view in self.tables().items():
            view.restore_columns(s.value(f"columns/{name}"))
        return bool(restored)

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            if not self._restored:
                QTimer.singleShot(0, self.default_sizes)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        listeners = getattr(self.services.market, "instrument_listeners", None)
        if listeners is not None and self._instrument_added in listeners:
            listeners.remove(self._instrument_added)
        self.save_layout()
        self.bridge.stop()
        self._status_timer.stop()
        self.errors.uninstall()
        super().closeEvent(event)
        self.closing.emit()
