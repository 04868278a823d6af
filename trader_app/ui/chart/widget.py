"""``ChartWidget``: candles, volume, RSI and MACD panes with overlays, fill markers, crosshair and live last bar."""

from __future__ import annotations

from decimal import Decimal

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from trader_app.core import Bar, Fill, Interval, Order, Side
from trader_app.core.instrument import market_id, parse_market_id

from . import theme
from .crosshair import Crosshair
from .fill_markers import FillMarkers
from .indicators import MACD_FAST, MACD_SIGNAL, MACD_SLOW, RSI_PERIOD, Indicators, validate_periods
from .items import CandlestickItem, LineSeries, ValueBarsItem
from .order_lines import OrderLines
from .panes import PANE_STRETCH, make_pane, make_rsi_guides, make_zero_line
from .readout import BarReadout, fmt_time
from .series import BarSeries
from .toolbar import ChartToolbar

DEFAULT_MA_PERIODS = (20, 50)


class ChartWidget(QWidget):
    """The Chart dock's widget: one symbol and interval at a time.

    Panes top to bottom: candles with SMA overlays, fill markers and open-order lines; volume; RSI(14) with
    30/70 levels; MACD(12,26,9) (macd, signal, histogram). X axes linked, a date axis (epoch seconds, local
    time or UTC) at the bottom; the mouse pans/zooms time only, each pane's y range fits the visible bars. Indicators come from TA-Lib (``indicators.py``). A toolbar shows the symbol and an interval
    selector; a readout line shows the OHLCV/indicator values of the bar under the crosshair (the last bar
    when the mouse is elsewhere). Prices are floats here (display only).

    Signals: ``intervalChanged(Interval)`` when the user picks another interval; the owner then loads that
    interval's history and calls ``set_bars``.

    Typical wiring: ``set_bars(symbol, chart.interval, await market.history(symbol, chart.interval))`` on a
    watchlist click; ``update_bar(event.bar)`` for every BarEvent (others' bars are ignored);
    ``add_fills([event.fill])`` for every FillEvent; ``set_orders(order_manager.open_orders())`` on order changes.
    """

    intervalChanged = Signal(object)

    DEFAULT_VISIBLE_BARS = 150
    RIGHT_MARGIN_BARS = 4

    def __init__(self, parent: QWidget | None = None, *, utc: bool = False,
                 ma_periods: list[int] | tuple[int, ...] = DEFAULT_MA_PERIODS) -> None:
        """``utc``: show times in UTC instead of the local time zone. ``ma_periods``: SMA overlays."""
        super().__init__(parent)
        self._utc = utc
        self._series = BarSeries()
        self._ma_periods = validate_periods(list(ma_periods))
        self._ind = Indicators.compute(np.empty(0), self._ma_periods)
        self._hover: int | None = None
        self._follow = True
        self._readout_plain = ""

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.toolbar = ChartToolbar(self)
        self.toolbar.intervalClicked.connect(self.intervalChanged.emit)
        lay.addWidget(self.toolbar)
        self.readout = QLabel(self)
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setStyleSheet(f"QLabel {{ background: {theme.BACKGROUND}; color: {theme.TEXT}; padding: 3px 6px; }}")
        self.readout.setMinimumWidth(10)
        self.readout.setWordWrap(True)  # a narrow dock wraps the readout instead of cutting it off
        lay.addWidget(self.readout)
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground(theme.BACKGROUND)
        self.graphics.ci.setSpacing(0)
        self.graphics.ci.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.graphics, 1)

        g = self.graphics.ci
        self.price_plot = make_pane(g, 0, "", utc=utc, time_axis=False)
        self.volume_plot = make_pane(g, 1, "Volume", utc=utc, time_axis=False)
        self.rsi_plot = make_pane(g, 2, f"RSI {RSI_PERIOD}", utc=utc, time_axis=False)
        self.macd_plot = make_pane(g, 3, f"MACD {MACD_FAST} {MACD_SLOW} {MACD_SIGNAL}", utc=utc, time_axis=True)
        self.plots = [self.price_plot, self.volume_plot, self.rsi_plot, self.macd_plot]
        for row, factor in enumerate(PANE_STRETCH):
            g.layout.setRowStretchFactor(row, factor)
        for p in self.plots[1:]:
            p.setXLink(self.price_plot)
        make_rsi_guides(self.rsi_plot)
        make_zero_line(self.macd_plot)

        s = self._series
        self.candles = CandlestickItem(s)
        self.price_plot.addItem(self.candles)
        self.volume_bars = ValueBarsItem(
            s, lambda: s.volume, lambda i0, i1: s.close[i0:i1] >= s.open[i0:i1], theme.UP_VOLUME, theme.DOWN_VOLUME
        )
        self.volume_plot.addItem(self.volume_bars)
        self.macd_hist_bars = ValueBarsItem(
            s, lambda: self._ind.macd_hist, lambda i0, i1: self._ind.macd_hist[i0:i1] >= 0, theme.UP_HIST, theme.DOWN_HIST
        )
        self.macd_plot.addItem(self.macd_hist_bars)
        self.ma_lines: dict[int, LineSeries] = {}
        self._make_ma_lines()
        self.rsi_line = LineSeries(self.rsi_plot, theme.RSI_LINE, name="RSI")
        self.macd_line = LineSeries(self.macd_plot, theme.MACD_LINE, name="MACD")
        self.macd_signal_line = LineSeries(self.macd_plot, theme.MACD_SIGNAL, name="signal")
        self._fill_markers = FillMarkers(self.price_plot)
        self.fill_scatter = self._fill_markers.scatter
        self._order_lines = OrderLines(self.price_plot)
        self.crosshair = Crosshair(self.plots)

        self.price_plot.getViewBox().sigXRangeChanged.connect(self._on_x_range_changed)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.graphics.viewport().installEventFilter(self)
        self._update_readout()

    # -- public API --------------------------------------------------------------------------------------
    @property
    def symbol(self) -> str:
        """Symbol of the loaded bars ("" before the first ``set_bars``)."""
        return self._series.symbol

    @property
    def interval(self) -> Interval:
        """Interval chosen in the selector (that of the loaded bars unless the user just picked another)."""
        return self.toolbar.interval

    @property
    def ma_periods(self) -> list[int]:
        return list(self._ma_periods)

    @property
    def indicators(self) -> Indicators:
        """The indicator arrays of the loaded bars (read-only use)."""
        return self._ind

    @property
    def series(self) -> BarSeries:
        """The loaded bars as float64 arrays (read-only use)."""
        return self._series

    def bar_count(self) -> int:
        """Number of bars loaded, the live one included."""
        return self._series.n

    def set_tick(self, tick: Decimal | None) -> None:
        """Show prices at the places of ``tick`` (the instrument's tick size; None: as the bars write them)."""
        from ..models.format import places_of

        series = self._series
        series.tick_decimals = places_of(tick) if tick else None
        if series.tick_decimals is not None:
            series.price_decimals = series.tick_decimals
        self._update_readout()

    def set_note(self, note: str) -> None:
        """Add ``note`` to the price pane's title ("no data from binance (unreachable)", "binance prices");
        the next ``set_bars`` clears it."""
        self.price_plot.title_label.setText(f"{self._series.symbol} · {self._series.interval.value} — {note}")

    def note(self) -> str:
        """The price pane's title as shown (symbol, interval and any note)."""
        return self.price_plot.title_label.text

    def set_bars(self, symbol: str, interval: Interval, bars: list[Bar]) -> None:
        """Replace the chart with ``bars`` (oldest first) of ``symbol`` at ``interval`` and show the last ~150.

        Raises ``ValueError`` and changes nothing if ``symbol`` is empty, a bar belongs to another symbol or
        interval, or open times are not strictly ascending. Fill markers are kept for the same symbol; fill
        markers and order lines are dropped when the symbol changes.
        """
        if not symbol:
            raise ValueError("symbol must not be empty")
        changed_symbol = symbol != self._series.symbol
        self._series.load(symbol, interval, bars)
        if changed_symbol:
            self._fill_markers.clear()
            self._order_lines.clear()
        self._ind = Indicators.compute(self._series.close, self._ma_periods)
        self.toolbar.set_symbol(symbol)
        self.toolbar.set_interval(interval)
        self.price_plot.title_label.setText(f"{symbol} · {interval.value}")
        for item in (self.candles, self.volume_bars, self.macd_hist_bars):
            item.reset()
        self._set_all_lines()
        self._hover = None
        self.crosshair.hide()
        self._update_limits()
        self.show_latest()
        self._update_readout()

    def update_bar(self, bar: Bar) -> bool:
        """Apply a live bar: replace the last candle if ``bar.open_time_ms`` equals it, append otherwise.

        Only the live candle, the last volume/histogram bar and the last line segments are redrawn on a
        replace; indicators refresh their last value only. An appended bar recomputes the indicators and,
        when the view showed the newest bar, scrolls so the new bar takes its place (by its time step, so
        weekend gaps of daily stock bars do not leave the view behind). Bars of another symbol or interval, or
        older than the last bar, are ignored: returns False then, True when applied.
        """
        s = self._series
        if not s.symbol or market_id(bar.venue, bar.symbol) != s.symbol or bar.interval != s.interval:
            return False
        last = s.last_open_ms()
        if last is not None and bar.open_time_ms == last:
            s.replace_last(bar)
            self._ind.refresh_last(s.close)
            for item in (self.candles, self.volume_bars, self.macd_hist_bars):
                item.refresh_live()
            self._set_last_line_values()
            i0, i1 = self._visible()
            if i1 >= s.n:
                self._fit_y(force=False)
        elif last is None or bar.open_time_ms > last:
            s.append(bar)
            self._ind.append(s.close)
            for item in (self.candles, self.volume_bars, self.macd_hist_bars):
                item.reset() if s.n == 1 else item.advance()
            self._set_last_line_values()
            self._update_limits()
            if s.n == 1:
                self.show_latest()
            elif self._follow:  # keep the width, put the new bar where the last one was: weekend and
                # holiday gaps (a replayed stock's daily bars) must not leave the view behind
                x0, x1 = self.price_plot.getViewBox().viewRange()[0]
                newest = float(s.open_s[-1])
                shift = newest - float(s.open_s[-2])
                if x1 + shift < newest + s.interval_s / 2:  # the view had fallen behind: catch up
                    shift = newest + s.interval_s * (1 + self.RIGHT_MARGIN_BARS) - x1
                self.price_plot.setXRange(x0 + shift, x1 + shift, padding=0)
            else:
                self._fit_y()
        else:
            return False
        if self._hover is None or self._hover >= s.n - 2:
            self._update_readout()
        return True

    def add_fills(self, fills: list[Fill]) -> int:
        """Add buy/sell markers (green up / red down triangles at fill time and price) for fills of the
        charted symbol (of a market id ``venue:symbol``, its symbol); others are ignored. Idempotent per (account_id, trade_id). Returns how many were new.
        ``ValueError`` (nothing added) if an item is not a ``Fill``."""
        symbol = self._series.symbol
        return self._fill_markers.add(fills, parse_market_id(symbol)[1] if symbol else symbol)

    def clear_fills(self) -> None:
        """Remove every fill marker."""
        self._fill_markers.clear()

    def fill_markers(self) -> list[tuple[float, float, Side]]:
        """Markers as (x epoch seconds, price, side), oldest first."""
        return self._fill_markers.markers()

    def set_orders(self, orders: list[Order]) -> None:
        """Show a dashed line with a label at the working price of each open order of the charted symbol
        (limit, or stop until a STOP_LIMIT triggers); replaces the previous lines. Others are ignored."""
        self._order_lines.set(orders, self._series.symbol, self._series.price_decimals)

    def order_lines(self) -> list[tuple[float, Side, str]]:
        """(price, side, label) of each open-order line."""
        return self._order_lines.markers()

    def set_overlays(self, ma_periods: list[int]) -> None:
        """Show simple moving averages of the closes for ``ma_periods`` (each >= 2, no duplicates; [] for none).
        ``ValueError`` and no change on bad periods."""
        periods = validate_periods(list(ma_periods))
        for line in self.ma_lines.values():
            line.remove(self.price_plot)
        self._ma_periods = periods
        self._make_ma_lines()
        self._ind = Indicators.compute(self._series.close, self._ma_periods)
        self._set_all_lines()
        self._update_readout()

    def show_latest(self, bars: int | None = None) -> None:
        """Scroll/zoom to the last ``bars`` bars (default 150) with a small margin on the right."""
        s = self._series
        if not s.n:
            return
        k = bars or self.DEFAULT_VISIBLE_BARS
        x0 = float(s.open_s[max(0, s.n - k)])
        x1 = float(s.open_s[s.n - 1]) + s.interval_s * (1 + self.RIGHT_MARGIN_BARS)
        self._follow = True
        self.price_plot.setXRange(x0, x1, padding=0)
        self._fit_y()

    def readout_text(self) -> str:
        """The readout line as plain text (time, O, H, L, C, V, MAs, RSI, MACD)."""
        return self._readout_plain

    def hover_index(self) -> int | None:
        """Index of the bar under the crosshair, None when the crosshair is hidden."""
        return self._hover

    # -- internals -----------------------------------------------------------------------------------------
    def _make_ma_lines(self) -> None:
        self.ma_lines = {
            p: LineSeries(self.price_plot, theme.ma_colour(i), name=f"MA{p}")
            for i, p in enumerate(self._ma_periods)
        }

    def _lines(self):
        ind = self._ind
        yield from ((line, ind.ma[p]) for p, line in self.ma_lines.items())
        yield self.rsi_line, ind.rsi
        yield self.macd_line, ind.macd
        yield self.macd_signal_line, ind.macd_signal

    def _set_all_lines(self) -> None:
        x = self._series.center_s
        for line, y in self._lines():
            line.set_all(x, y)

    def _set_last_line_values(self) -> None:
        x = self._series.center_s
        for line, y in self._lines():
            line.set_last(x, y)

    def _update_limits(self) -> None:
        s = self._series
        if not s.n:
            return
        iv = s.interval_s
        self.price_plot.getViewBox().setLimits(
            xMin=float(s.open_s[0]) - 20 * iv, xMax=float(s.open_s[-1]) + 60 * iv, minXRange=8 * iv
        )

    def _visible(self) -> tuple[int, int]:
        x0, x1 = self.price_plot.getViewBox().viewRange()[0]
        sl = self._series.visible_slice(x0, x1)
        return sl.start, sl.stop

    def _on_x_range_changed(self, _vb=None, _rng=None) -> None:
        s = self._series
        if s.n:
            x1 = self.price_plot.getViewBox().viewRange()[0][1]
            self._follow = x1 >= float(s.open_s[-1]) + s.interval_s / 2
        self._fit_y()

    def _fit_y(self, force: bool = True) -> None:
        """Fit each pane's y range to the visible bars (RSI stays 0..100).

        ``force=False`` (a tick of the live bar) keeps a range that still holds the data and is not more than
        about 15% too tall, so most ticks repaint only the live bar instead of whole panes and axes.
        """
        s = self._series
        i0, i1 = self._visible()
        if i1 <= i0:
            return
        lo, hi = float(s.low[i0:i1].min()), float(s.high[i0:i1].max())
        pad = (hi - lo) * 0.06 or max(abs(hi) * 0.01, 1e-9)
        _set_y(self.price_plot, lo - pad, hi + pad, force)
        vmax = float(s.volume[i0:i1].max())
        _set_y(self.volume_plot, 0.0, vmax * 1.1 if vmax > 0 else 1.0, force)
        m = np.concatenate([self._ind.macd[i0:i1], self._ind.macd_signal[i0:i1], self._ind.macd_hist[i0:i1]])
        m = m[np.isfinite(m)]
        if len(m):
            mlo, mhi = float(m.min()), float(m.max())
            mpad = (mhi - mlo) * 0.08 or max(abs(mhi) * 0.1, 1e-9)
            _set_y(self.macd_plot, mlo - mpad, mhi + mpad, force)

    def _bar_readout(self, i: int) -> BarReadout:
        s, ind = self._series, self._ind
        return BarReadout(
            time=fmt_time(float(s.open_s[i]), s.interval, self._utc),
            open=float(s.open[i]), high=float(s.high[i]), low=float(s.low[i]), close=float(s.close[i]),
            volume=float(s.volume[i]),
            ma=tuple((p, float(ind.ma[p][i])) for p in self._ma_periods),
            rsi=float(ind.rsi[i]), macd=float(ind.macd[i]), macd_signal=float(ind.macd_signal[i]),
            macd_hist=float(ind.macd_hist[i]), price_decimals=s.price_decimals,
        )

    def _update_readout(self) -> None:
        s = self._series
        if not s.n:
            self._readout_plain = "No data" if not s.symbol else f"{s.symbol}: no bars"
            self.readout.setText(f'<span style="color:{theme.TEXT_DIM}">{self._readout_plain}</span>')
            return
        r = self._bar_readout(self._hover if self._hover is not None else s.n - 1)
        self._readout_plain = r.plain()
        self.readout.setText(r.html())

    def _on_mouse_moved(self, scene_pos: QPointF) -> None:
        """Move the crosshair to ``scene_pos`` (graphics-scene coordinates), snapped to the bar under it."""
        s = self._series
        for pane, plot in enumerate(self.plots):
            vb = plot.getViewBox()
            if not s.n or not vb.sceneBoundingRect().contains(scene_pos):
                continue
            pt = vb.mapSceneToView(scene_pos)
            i = s.index_at(pt.x())
            if i is None:
                i = 0 if pt.x() < float(s.open_s[0]) else s.n - 1
            self._hover = i
            value_format = "{value:,.%df}" % (s.price_decimals if pane == 0 else 2)
            if pane == 1:
                value_format = "{value:,.0f}"
            elif pane == 3:
                value_format = "{value:.%df}" % max(2, min(8, s.price_decimals + 2))
            self.crosshair.show_at(s.center_of(i), pt.y(), pane, fmt_time(float(s.open_s[i]), s.interval, self._utc),
                                   value_format)
            self._update_readout()
            return
        self._leave()

    def _leave(self) -> None:
        if self._hover is not None or self.crosshair.visible:
            self._hover = None
            self.crosshair.hide()
            self._update_readout()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.Leave:
            self._leave()
        return super().eventFilter(obj, event)


def _set_y(plot: pg.PlotItem, lo: float, hi: float, force: bool = True) -> None:
    """Set the y range to [lo, hi] unless it is already (almost) that; without ``force`` also keep a current
    range that contains [lo, hi] and is at most ~15% taller (hysteresis for live ticks)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return
    cur_lo, cur_hi = plot.getViewBox().viewRange()[1]
    if not force and cur_lo <= lo and hi <= cur_hi and (hi - lo) >= 0.85 * (cur_hi - cur_lo):
        return
    tol = (hi - lo) * 1e-6
    if abs(cur_lo - lo) > tol or abs(cur_hi - hi) > tol:
        plot.setYRange(lo, hi, padding=0)
