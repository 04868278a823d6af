"""The Backtest window: pick a strategy, data (stored bars or a CSV file) and parameters (a form made from
the strategy's declared ``Param``s); run it, or optimise a grid; see the progress, the equity curve and
drawdown, the price with fill markers, the metrics and the trades.

Work never runs on the UI loop: a CSV is read in a thread, a backtest runs in a worker process (spawn)
that reports progress through a multiprocessing queue polled every 100 ms, an optimisation runs its own
process pool from a thread and reports finished runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import queue as queue_mod
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QProgressBar, QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget,
)

from ..backtest.data import instrument_rules, load_csv
from ..backtest.engine import BacktestConfig
from ..backtest.parallel import MAXIMIZABLE, OptimizationResult, RunSpec, optimize, parse_grid, process_pool, run_spec_reporting
from ..backtest.result import BacktestResult
from ..core.enums import Interval, Side
from ..core.errors import ConfigError, TraderError
from ..core.money import fmt
from ..strategies.base import BarData
from ..strategies.registry import available, strategy_class
from .models.base import LEFT, Column, KeyedTableModel
from .models.format import datetime_text
from .panels.common import TableView, spawn
from .param_editors import ParamEditors
from .panels.performance import EquityPlot, MetricsModel, metric_text

def trades_model(parent: Any = None) -> KeyedTableModel:
    cols = [
        Column("Side", lambda t: t.side, align=LEFT, width=60),
        Column("Qty", lambda t: t.quantity, text=lambda t: fmt(t.quantity)),
        Column("Entry time", lambda t: t.entry_time_ms, text=lambda t: datetime_text(t.entry_time_ms), width=150),
        Column("Entry", lambda t: t.entry_price, text=lambda t: fmt(t.entry_price, 4)),
        Column("Exit time", lambda t: t.exit_time_ms, text=lambda t: datetime_text(t.exit_time_ms), width=150),
        Column("Exit", lambda t: t.exit_price, text=lambda t: fmt(t.exit_price, 4)),
        Column("PnL", lambda t: t.pnl, text=lambda t: fmt(t.pnl, 2)),
        Column("Return %", lambda t: t.return_pct, text=lambda t: fmt(t.return_pct, 2)),
        Column("Exit rule", lambda t: t.exit_tag, align=LEFT),
    ]
    return KeyedTableModel(cols, key=lambda t: (t.entry_bar, t.exit_bar, t.side), parent=parent)


def runs_model(parent: Any = None) -> KeyedTableModel:
    cols = [
        Column("#", lambda r: r[0], width=40),
        Column("Parameters", lambda r: r[1], align=LEFT, width=260),
        Column("Value", lambda r: r[2], text=lambda r: metric_text(r[2])),
        Column("Return %", lambda r: r[3], text=lambda r: metric_text(r[3])),
        Column("Trades", lambda r: r[4]),
    ]
    return KeyedTableModel(cols, key=lambda r: r[0], parent=parent)



def why_no_trades(data: Any, config: Any) -> str:
    """The reason a run made no trade when it is the cash: "; 0 trades: one share costs more than the cash
    (72,100.00 > 10,000.00)" when even the smallest order at the first close exceeds the cash, else ""."""
    if not len(data):
        return ""
    first = Decimal(str(data.close[0]))
    smallest = max(config.lot_size, config.min_qty or Decimal(0)) * first
    if smallest <= config.cash:
        return ""
    unit = "share" if not config.is_crypto else "lot"
    return f"; 0 trades: one {unit} costs more than the cash ({fmt(smallest, 2)} > {fmt(config.cash, 2)})"

class BacktestWindow(QWidget):
    """A top-level window over ``services`` (uses ``services.store`` for stored bars when present)."""

    def __init__(self, services: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle("Backtest")
        self.resize(1300, 820)
        self.csv_path: str | None = None
        self.result: BacktestResult | None = None
        self.data: BarData | None = None
        self.optimization: OptimizationResult | None = None
        self._pool: Any = None
        self._progress_queue: Any = None
        self._busy = False
        self._build()
        self.strategy_box.setCurrentText("sma_cross")
        self._strategy_changed()
        self.poll = QTimer(self)
        self.poll.setInterval(100)
        self.poll.timeout.connect(self._poll_progress)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass  # built before the loop runs: load_series() is called by whoever shows the window later
        else:
            spawn(self.load_series())

    # ---- layout ----------------------------------------------------------------------------------------
    def _build(self) -> None:
        left = QWidget(self)
        form = QFormLayout(left)
        self.strategy_box = QComboBox(left)
        self.strategy_box.addItems(available())
        self.strategy_box.currentTextChanged.connect(lambda _t: self._strategy_changed())
        form.addRow("Strategy", self.strategy_box)
        self.data_box = QComboBox(left)
        self.data_box.setObjectName("backtestData")
        # the whole "SYMBOL interval (N bars)" text, never cut off
        self.data_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        browse = QPushButton("CSV file\u2026", left)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.data_box, 1)
        row.addWidget(browse)
        form.addRow("Data", row)
        self.symbol_edit = QLineEdit(left)
        self.symbol_edit.setPlaceholderText("from the data")
        form.addRow("Symbol", self.symbol_edit)
        self.cash_edit = QLineEdit("10000", left)
        self.commission_edit = QLineEdit("0.002", left)
        self.slippage_edit = QLineEdit("0", left)
        self.lot_edit = QLineEdit(left)
        self.lot_edit.setPlaceholderText("instrument's (stocks 1)")
        form.addRow("Cash", self.cash_edit)
        form.addRow("Commission", self.commission_edit)
        form.addRow("Slippage", self.slippage_edit)
        form.addRow("Lot size", self.lot_edit)
        self.params_box = QGroupBox("Parameters", left)
        self.params_layout = QVBoxLayout(self.params_box)
        self.param_form = ParamEditors((), parent=self.params_box)
        self.params_layout.addWidget(self.param_form)
        form.addRow(self.params_box)
        self.grid_edit = QLineEdit(left)
        self.grid_edit.setPlaceholderText("fast=5:20:5 slow=20,40,60")
        self.maximize_box = QComboBox(left)
        self.maximize_box.addItems(list(MAXIMIZABLE))
        self.maximize_box.setCurrentText("sharpe")
        form.addRow("Optimise grid", self.grid_edit)
        form.addRow("Maximise", self.maximize_box)
        self.run_button = QPushButton("Run backtest", left)
        self.run_button.clicked.connect(lambda: spawn(self.run_backtest(), self._show_error))
        self.optimize_button = QPushButton("Optimise", left)
        self.optimize_button.clicked.connect(lambda: spawn(self.run_optimization(), self._show_error))
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.optimize_button)
        form.addRow(buttons)
        self.progress = QProgressBar(left)
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        form.addRow(self.progress)
        self.status = QLabel("", left)
        self.status.setWordWrap(True)
        form.addRow(self.status)

        self.tabs = QTabWidget(self)
        self.equity_plot = EquityPlot(self)
        self.price_plot = pg.PlotWidget(self, axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
        self.price_plot.setBackground("#1e1f24")
        self.price_plot.showGrid(x=True, y=True, alpha=0.2)
        self.price_curve = self.price_plot.plot(pen=pg.mkPen("#c8c8c8", width=1))
        self.price_curve.setClipToView(True)
        self.price_curve.setDownsampling(auto=True, method="peak")
        self.buy_markers = pg.ScatterPlotItem(symbol="t1", size=11, brush=pg.mkBrush("#26a69a"), pen=None)
        self.sell_markers = pg.ScatterPlotItem(symbol="t", size=11, brush=pg.mkBrush("#ef5350"), pen=None)
        self.price_plot.addItem(self.buy_markers)
        self.price_plot.addItem(self.sell_markers)
        self.metrics_model = MetricsModel(self)
        self.metrics_table = TableView(self.metrics_model, self)
        self.metrics_table.setSortingEnabled(False)
        self.trades = trades_model(self)
        self.trades_table = TableView(self.trades, self)
        self.runs = runs_model(self)
        self.runs_table = TableView(self.runs, self)
        self.runs_table.doubleClicked.connect(self._use_run)
        self.tabs.addTab(self.equity_plot, "Equity && drawdown")
        self.tabs.addTab(self.price_plot, "Price && fills")
        self.tabs.addTab(self.metrics_table, "Metrics")
        self.tabs.addTab(self.trades_table, "Trades")
        self.tabs.addTab(self.runs_table, "Optimisation")
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(split)

    def _strategy_changed(self) -> None:
        cls = strategy_class(self.strategy_box.currentText())
        self.params_layout.removeWidget(self.param_form)
        self.param_form.deleteLater()
        self.param_form = ParamEditors(cls.params, parent=self.params_box)
        self.params_layout.addWidget(self.param_form)
        self.params_box.setToolTip(cls.description)

    # ---- data ----------------------------------------------------------------------------------------
    async def load_series(self) -> None:
        """List the stored bar series (symbol, interval, count) in the data box."""
        store = getattr(self.services, "store", None)
        if store is None:
            return
        series = await store.run(store.bars.series)
        for i in reversed(range(self.data_box.count())):
            data = self.data_box.itemData(i)
            if data and data[0] == "stored":
                self.data_box.removeItem(i)
        # pairs first (traded in fractions, they fit any cash), then by symbol: the default choice runs with the
        # default cash, where one share of a KRX stock (72,100 KRW) would leave a 10,000 run with 0 trades
        series = sorted(series, key=lambda s: ("/" not in s[0], s[0], s[1].ms))
        for symbol, interval, count, _first, _last in series:
            self.data_box.addItem(f"{symbol} {interval.value} ({count:,} bars)", ("stored", symbol, interval.value))

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "OHLCV CSV file", "", "CSV files (*.csv *.txt);;All files (*)")
        if path:
            self.set_csv(path)

    def set_csv(self, path: str) -> None:
        """Use a CSV file as the data (selected in the data box)."""
        self.csv_path = path
        self.data_box.insertItem(0, f"File: {Path(path).name}", ("csv", path))
        self.data_box.setCurrentIndex(0)

    async def _load_data(self) -> BarData:
        choice = self.data_box.currentData()
        if not choice:
            raise ConfigError("choose the data: a stored series or a CSV file")
        symbol = self.symbol_edit.text().strip() or None
        if choice[0] == "csv":
            return await asyncio.to_thread(load_csv, choice[1], symbol)
        store = self.services.store
        bars = await store.run(store.bars.load, choice[1], Interval(choice[2]))
        data = BarData.from_bars(bars)
        return BarData(symbol or data.symbol, data.time_ms, data.open, data.high, data.low, data.close, data.volume)

    def _decimal(self, edit: QLineEdit, name: str) -> Decimal | None:
        text = edit.text().strip()
        if not text:
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ConfigError(f"{name} must be a number, got {text!r}") from None

    def _spec(self, data: BarData) -> RunSpec:
        strategy = self.strategy_box.currentText()
        params = self.param_form.values()
        strategy_class(strategy)(params)  # validate before starting a process
        rules = instrument_rules(data.symbol, self._decimal(self.lot_edit, "lot size"))
        config = BacktestConfig(cash=self._decimal(self.cash_edit, "cash") or Decimal(10000),
                                commission=self._decimal(self.commission_edit, "commission") or Decimal(0),
                                slippage=self._decimal(self.slippage_edit, "slippage") or Decimal(0),
                                lot_size=rules.lot_size, min_qty=rules.min_qty, is_crypto=rules.is_crypto)
        return RunSpec(strategy, params, data=data, config=config)

    # ---- running ---------------------------------------------------------------------------------------
    def _set_busy(self, busy: bool, text: str = "") -> None:
        self._busy = busy
        self.run_button.setEnabled(not busy)
        self.optimize_button.setEnabled(not busy)
        self.status.setText(text)

    def _ensure_pool(self) -> Any:
        if self._pool is None:
            self._progress_queue = multiprocessing.get_context("spawn").Queue()
            self._pool = process_pool(1, self._progress_queue)
        return self._pool

    async def run_backtest(self) -> BacktestResult:
        """Run the form's backtest in the worker process; show and return the result. Raises ConfigError,
        DataImportError or the worker's error (also shown in the status line)."""
        if self._busy:
            raise TraderError("a run is in progress")
        self._set_busy(True, "loading data\u2026")
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        try:
            data = await self._load_data()
            spec = self._spec(data)
            self.status.setText(f"running {spec.strategy} on {data.symbol} ({len(data):,} bars)\u2026")
            pool = self._ensure_pool()
            self.poll.start()
            result = await asyncio.get_running_loop().run_in_executor(pool, run_spec_reporting, spec)
            self.poll.stop()
            self._poll_progress()
            self.progress.setValue(1000)
            self.show_result(result, data)
            done = f"done: {len(result.trades):,} trades, final equity {fmt(result.final_equity, 2)}"
            if not result.trades:
                done += why_no_trades(data, spec.config)
            if result.liquidation is not None:
                done += f"; {result.liquidation.text()}"
            self._set_busy(False, done)
            return result
        except BaseException:
            self.poll.stop()
            self._set_busy(False)
            raise

    def _poll_progress(self) -> None:
        q = self._progress_queue
        if q is None:
            return
        latest = None
        with contextlib.suppress(queue_mod.Empty, OSError, ValueError):
            while True:
                latest = q.get_nowait()
        if latest is not None:
            self.progress.setValue(int(float(latest) * 1000))

    async def run_optimization(self) -> OptimizationResult:
        """Run the grid of the "Optimise grid" field in a process pool; list the runs best first and show
        the best run. Raises ConfigError for a bad grid."""
        if self._busy:
            raise TraderError("a run is in progress")
        strategy = self.strategy_box.currentText()
        grid = parse_grid(strategy, self.grid_edit.text().split())
        if not grid:
            raise ConfigError("enter a grid such as fast=5:20:5 slow=20,40")
        self._set_busy(True, "loading data\u2026")
        try:
            data = await self._load_data()
            spec = self._spec(data)
            loop = asyncio.get_running_loop()

            def progress(done: int, total: int) -> None:
                loop.call_soon_threadsafe(self._optimization_progress, done, total)

            maximize = self.maximize_box.currentText()
            result = await asyncio.to_thread(optimize, spec, grid, maximize, None, progress)
        finally:
            self._set_busy(False)
        self.optimization = result
        self.runs.replace_all(
            (k + 1, ", ".join(f"{n}={v}" for n, v in r["params"].items()), r["metrics"].get(result.maximize),
             r["metrics"].get("total_return_pct"), r["metrics"].get("trades"))
            for k, r in enumerate(result.runs)
        )
        self.tabs.setCurrentWidget(self.runs_table)
        if result.best is not None:
            self.param_form.set_values(result.best["params"])
            self.status.setText(f"best of {len(result.runs)} runs by {result.maximize}: "
                                f"{', '.join(f'{n}={v}' for n, v in result.best['params'].items())}"
                                + (f" ({len(result.skipped)} invalid combinations skipped)" if result.skipped else ""))
        return result

    def _optimization_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.status.setText(f"optimising: {done}/{total} runs")

    def _use_run(self, index: Any) -> None:
        if self.optimization is None:
            return
        row = self.runs_table.record_at(index.row())
        self.param_form.set_values(self.optimization.runs[row[0] - 1]["params"])

    def _show_error(self, exc: BaseException) -> None:
        self.status.setText(f"error: {exc}")

    # ---- results ---------------------------------------------------------------------------------------
    def show_result(self, result: BacktestResult, data: BarData) -> None:
        """Fill the plots and tables with ``result`` (``data``: the bars it ran on)."""
        self.result = result
        self.data = data
        self.equity_plot.set_data(result.times_ms, result.equity)
        self.price_curve.setData(data.time_ms / 1000.0, data.close)
        buys = [f for f in result.fills if f.side is Side.BUY]
        sells = [f for f in result.fills if f.side is Side.SELL]
        for item, fills in ((self.buy_markers, buys), (self.sell_markers, sells)):
            item.setData(x=np.array([data.time_ms[f.bar] / 1000.0 for f in fills]),
                         y=np.array([float(f.price) for f in fills]))
        self.price_plot.enableAutoRange()
        self.metrics_model.show(result.metrics)
        self.trades.replace_all(result.trades)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt name
        self.poll.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        super().closeEvent(event)

