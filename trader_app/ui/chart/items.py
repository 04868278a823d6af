"""Graphics items that draw thousands of bars cheaply: cached ``QPicture`` chunks plus one live item.

Every item here draws element ``i`` of a series at x = bar centre (epoch seconds). The closed elements
``[0, n-1)`` are recorded into ``QPicture`` chunks of ``CHUNK`` elements, built lazily when a chunk first
becomes visible and replayed afterwards; only chunks inside the view are replayed. The last element (the
live bar) is drawn by a small child item, so a tick repaints only that element's rectangle.
Coordinates inside the pictures are relative to the first bar's open time (the item's ``pos``), which keeps
them small for Qt's float arithmetic.

Level of detail: when bars get narrower than ``MIN_PX_PER_GROUP`` pixels (a zoom out over years of 1-minute
bars), ``g`` consecutive bars (``g`` a power of two) are drawn as one element: a candle with the group's
first open, highest high, lowest low and last close; a value bar with the group's peak (largest absolute
value). So the view never draws many more elements than it has pixels, at any zoom. Chunks are cached per
level (``g``), least recently used first out, at most ``MAX_CHUNKS`` per item, so memory stays bounded.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF
from PySide6.QtGui import QPainter, QPicture
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from collections import OrderedDict

from . import theme
from .series import BarSeries

CHUNK = 128
BODY_FRACTION = 0.7  # candle body / volume bar width as a fraction of the interval
MIN_PX_PER_GROUP = 2.0  # bars (or groups of bars) narrower than this are merged with their neighbours
MAX_CHUNKS = 256  # cached pictures per item (a view needs about 8)


def group_size(seconds_per_px: float, interval_s: float) -> int:
    """Bars drawn as one element: 1 while a bar is at least ``MIN_PX_PER_GROUP`` px wide, else the smallest
    power of two whose group is. ``seconds_per_px`` is the view's scale (0 or NaN = unknown: 1)."""
    if not seconds_per_px > 0 or interval_s <= 0:
        return 1
    bars_per_px = seconds_per_px / interval_s
    need = bars_per_px * MIN_PX_PER_GROUP
    if need <= 1:
        return 1
    return 1 << int(np.ceil(np.log2(need)))


def group_bounds(n: int, g: int) -> np.ndarray:
    """Start index of each group of ``g`` among ``n`` elements (the last group may be shorter)."""
    return np.arange(0, n, g)


def peak_per_group(v: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group of ``g`` values: the value with the largest magnitude (NaN when the group has none) and its
    index within ``v``. Source: the "peak" decimation pyqtgraph uses for lines, applied to bars."""
    n = len(v)
    m = -(-n // g)
    padded = np.full(m * g, np.nan)
    padded[:n] = v
    mag = np.where(np.isfinite(padded), np.abs(padded), -1.0).reshape(m, g)
    pick = mag.argmax(axis=1) + np.arange(m) * g
    return padded[pick], np.minimum(pick, n - 1)


class _LiveItem(pg.GraphicsObject):
    """Draws the last element of its parent series item (the bar that is still forming)."""

    def __init__(self, owner: "SeriesItem") -> None:
        super().__init__(owner)
        self._owner = owner
        self._rect = QRectF()
        self._margin: tuple[float, float] | None = None  # 2 px in item units, reset when the view changes

    def viewTransformChanged(self) -> None:  # noqa: N802 (pyqtgraph hook)
        self._margin = None
        super().viewTransformChanged()

    def refresh(self) -> None:
        self.prepareGeometryChange()
        n = self._owner.count()
        rect = self._owner.element_rect(n - 1) if n else QRectF()
        if not rect.isNull():
            # a margin of two pixels so the cosmetic pen's edge is repainted too
            if self._margin is None:
                self._margin = (2 * (self.pixelWidth() or 0.0), 2 * (self.pixelHeight() or 0.0))
            mx, my = self._margin
            rect = rect.adjusted(-mx, -my, mx, my)
        self._rect = rect
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        return self._rect

    def paint(self, p: QPainter, *args) -> None:
        n = self._owner.count()
        if n:
            self._owner.draw(p, n - 1, n)


class SeriesItem(pg.GraphicsObject):
    """Base class: a bar-like series drawn from cached chunks (closed elements) and a live child item.

    Subclasses implement ``count()``, ``draw(painter, i0, i1)`` (elements ``i0..i1-1`` in item
    coordinates), ``y_bounds(i0, i1) -> (low, high)`` and ``element_rect(i)``.
    """

    def __init__(self, series: BarSeries) -> None:
        super().__init__()
        self.series = series
        self._chunks: OrderedDict[tuple[int, int], QPicture] = OrderedDict()  # (group size, chunk) -> picture
        self._closed = 0  # elements [0, _closed) belong to the chunks
        self._y = (0.0, 0.0)
        self._rect = QRectF()
        self.live = _LiveItem(self)
        # paint() gets the exposed rectangle, so a small dirty region replays only the chunks under it
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)

    # -- subclass API ----------------------------------------------------------------------------------
    def count(self) -> int:
        return self.series.n

    def draw(self, p: QPainter, i0: int, i1: int) -> None:
        raise NotImplementedError

    def draw_groups(self, p: QPainter, i0: int, i1: int, g: int) -> None:
        """Draw elements ``i0..i1-1`` merged ``g`` at a time (``g`` > 1; ``i0`` a multiple of ``g``)."""
        raise NotImplementedError

    def group_geometry(self, i0: int, i1: int, g: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per group of ``g`` among elements ``i0..i1-1``: its first and last element and its centre (item
        x), which spans the group's time from the first open to the last bar's end."""
        s = self.series
        first = np.arange(i0, i1, g)
        last = np.minimum(first + g, i1) - 1
        base = s.open_s[0]
        centre = (s.open_s[first] + s.open_s[last] + s.interval_s) / 2 - base
        return first, last, centre

    def y_bounds(self, i0: int, i1: int) -> tuple[float, float]:
        raise NotImplementedError

    def element_rect(self, i: int) -> QRectF:
        lo, hi = self.y_bounds(i, i + 1)
        if not np.isfinite(lo):
            return QRectF()
        iv = self.series.interval_s
        x = self.local_x(i) - iv / 2
        return QRectF(x, lo, iv, hi - lo).normalized()

    # -- geometry helpers ------------------------------------------------------------------------------
    def local_x(self, i: int) -> float:
        """Centre of element ``i`` in item coordinates (seconds since the first bar's open)."""
        s = self.series
        return float(s.open_s[i] - s.open_s[0]) + s.interval_s / 2

    def local_centres(self, i0: int, i1: int) -> np.ndarray:
        s = self.series
        return s.open_s[i0:i1] - s.open_s[0] + s.interval_s / 2

    # -- state changes ---------------------------------------------------------------------------------
    def reset(self) -> None:
        """All data changed (new bars loaded): drop every cached chunk."""
        self._chunks.clear()
        n = self.count()
        self._closed = max(0, n - 1)
        self.setPos(float(self.series.open_s[0]) if n else 0.0, 0.0)
        self._y = self.y_bounds(0, self._closed) if self._closed else (0.0, 0.0)
        self._update_rect()
        self.live.refresh()

    def advance(self) -> None:
        """One or more elements were appended: the old live element is now closed."""
        n = self.count()
        new_closed = max(0, n - 1)
        if new_closed > self._closed:
            for key in [k for k in self._chunks if (k[1] + 1) * CHUNK * k[0] > self._closed]:
                del self._chunks[key]  # the chunks holding the newly closed elements (at every level)
            lo, hi = self.y_bounds(self._closed, new_closed)
            if np.isfinite(lo):
                self._y = (min(self._y[0], lo), max(self._y[1], hi)) if self._closed else (lo, hi)
            self._closed = new_closed
            self._update_rect()
            self.update()
        self.live.refresh()

    def refresh_live(self) -> None:
        """Only the last element changed."""
        self.live.refresh()

    def _update_rect(self) -> None:
        self.prepareGeometryChange()
        if not self._closed:
            self._rect = QRectF()
            return
        iv = self.series.interval_s
        right = self.local_x(self._closed - 1) + iv / 2
        lo, hi = self._y
        self._rect = QRectF(0.0, lo, right, hi - lo).normalized()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt API)
        return self._rect

    def cached_chunks(self) -> int:
        """Number of chunk pictures built so far (for tests and benchmarks)."""
        return len(self._chunks)

    def paint(self, p: QPainter, option: QStyleOptionGraphicsItem | None = None, *args) -> None:
        if not self._closed:
            return
        area = self.viewRect()
        if isinstance(option, QStyleOptionGraphicsItem) and not option.exposedRect.isEmpty():
            area = option.exposedRect if area is None else area.intersected(option.exposedRect)
        g = group_size(self.pixelWidth() or 0.0, self.series.interval_s)
        span = CHUNK * g  # elements per chunk at this level
        first, last = 0, (self._closed - 1) // span
        if area is not None:
            s = self.series
            base = float(s.open_s[0])
            closed = s.open_s[: self._closed]
            lo_i = int(np.searchsorted(closed, area.left() + base - s.interval_s, side="left"))
            hi_i = int(np.searchsorted(closed, area.right() + base, side="right"))
            if hi_i <= lo_i:
                return
            first, last = lo_i // span, min(last, (hi_i - 1) // span)
        chunks = self._chunks
        for c in range(first, last + 1):
            key = (g, c)
            pic = chunks.get(key)
            if pic is None:
                pic = QPicture()
                cp = QPainter(pic)
                i0, i1 = c * span, min(self._closed, (c + 1) * span)
                if g == 1:
                    self.draw(cp, i0, i1)
                else:
                    self.draw_groups(cp, i0, i1, g)
                cp.end()
                chunks[key] = pic
                if len(chunks) > MAX_CHUNKS:
                    chunks.popitem(last=False)
            else:
                chunks.move_to_end(key)
            pic.play(p)


class CandlestickItem(SeriesItem):
    """OHLC candles: wick from low to high, body from open to close; green when close >= open, red otherwise."""

    def __init__(self, series: BarSeries) -> None:
        super().__init__(series)
        self._up_pen, self._down_pen = pg.mkPen(theme.UP, width=1), pg.mkPen(theme.DOWN, width=1)
        self._up_brush, self._down_brush = pg.mkBrush(theme.UP), pg.mkBrush(theme.DOWN)

    def y_bounds(self, i0: int, i1: int) -> tuple[float, float]:
        s = self.series
        if i1 <= i0:
            return (float("nan"), float("nan"))
        return float(s.low[i0:i1].min()), float(s.high[i0:i1].max())

    def draw(self, p: QPainter, i0: int, i1: int) -> None:
        s = self.series
        n = i1 - i0
        self._paint(p, self.local_centres(i0, i1), np.full(n, s.interval_s * BODY_FRACTION / 2),
                    s.open[i0:i1], s.high[i0:i1], s.low[i0:i1], s.close[i0:i1])

    def draw_groups(self, p: QPainter, i0: int, i1: int, g: int) -> None:
        s = self.series
        first, last, xs = self.group_geometry(i0, i1, g)
        starts = first - i0
        half = (s.open_s[last] - s.open_s[first] + s.interval_s) * BODY_FRACTION / 2
        self._paint(p, xs, half, s.open[first], np.maximum.reduceat(s.high[i0:i1], starts),
                    np.minimum.reduceat(s.low[i0:i1], starts), s.close[last])

    def _paint(self, p: QPainter, xs, half, o, h, l, c) -> None:  # noqa: E741 - OHLC
        """Candles at item x ``xs`` with body half-widths ``half`` (arrays of one length)."""
        up = c >= o
        for mask, pen, brush in ((up, self._up_pen, self._up_brush), (~up, self._down_pen, self._down_brush)):
            idx = np.flatnonzero(mask)
            if not len(idx):
                continue
            p.setPen(pen)
            p.drawLines([QLineF(xs[k], l[k], xs[k], h[k]) for k in idx])
            p.setBrush(brush)
            p.drawRects([QRectF(xs[k] - half[k], o[k], 2 * half[k], c[k] - o[k]) for k in idx])


class ValueBarsItem(SeriesItem):
    """Vertical bars from 0 to a value per bar (volume, MACD histogram), coloured per bar.

    ``values()`` returns the whole float64 array to draw (NaN = nothing); ``rising(i0, i1)`` returns a bool
    array for elements ``i0..i1-1`` choosing the up colours (True) or the down colours (False).
    """

    def __init__(self, series: BarSeries, values, rising, up_colour, down_colour) -> None:
        super().__init__(series)
        self._values, self._rising = values, rising
        self._style = {
            True: (pg.mkPen(up_colour, width=1), pg.mkBrush(up_colour)),
            False: (pg.mkPen(down_colour, width=1), pg.mkBrush(down_colour)),
        }

    def count(self) -> int:
        return min(self.series.n, len(self._values()))

    def y_bounds(self, i0: int, i1: int) -> tuple[float, float]:
        v = self._values()[i0:i1]
        v = v[np.isfinite(v)]
        if not len(v):
            return (float("nan"), float("nan"))
        return float(min(0.0, v.min())), float(max(0.0, v.max()))

    def draw(self, p: QPainter, i0: int, i1: int) -> None:
        self._paint(p, self.local_centres(i0, i1), np.full(i1 - i0, self.series.interval_s * BODY_FRACTION / 2),
                    self._values()[i0:i1], self._rising(i0, i1))

    def draw_groups(self, p: QPainter, i0: int, i1: int, g: int) -> None:
        first, last, xs = self.group_geometry(i0, i1, g)
        v, at = peak_per_group(self._values()[i0:i1], g)
        s = self.series
        half = (s.open_s[last] - s.open_s[first] + s.interval_s) * BODY_FRACTION / 2
        self._paint(p, xs, half, v, self._rising(i0, i1)[at])  # coloured as the bar that gave the peak

    def _paint(self, p: QPainter, xs, half, v, rising) -> None:
        """Bars from 0 to ``v`` at item x ``xs`` with half-widths ``half``, up/down colours by ``rising``."""
        ok = np.isfinite(v)
        for flag in (True, False):
            idx = np.flatnonzero(ok & (rising == flag))
            if not len(idx):
                continue
            pen, brush = self._style[flag]
            p.setPen(pen)
            p.setBrush(brush)
            p.drawRects([QRectF(xs[k] - half[k], 0.0, 2 * half[k], v[k]) for k in idx])


class LineSeries:
    """A line over the bar centres split in two: the closed part and the live tail.

    The closed part is a ``PlotDataItem`` clipped to the view and decimated to about one point per pixel
    (peak method) by its plot (``panes.make_pane``), so a repaint costs the same with 300 or 1,000,000
    bars. Handing it a million points costs milliseconds (pyqtgraph scans them for bounds), so new bars go
    to the tail, a small ``PlotCurveItem`` from the closed part's end to the last bar; the closed part takes
    them over once the tail holds ``REBASE`` bars (every 256th new bar). A tick re-sets only the tail.
    """

    REBASE = 256

    def __init__(self, plot: pg.PlotItem, colour, width: float = 1.0, name: str = "") -> None:
        pen = pg.mkPen(colour, width=width)
        self.name = name
        # autoDownsampleFactor 1: one bucket per pixel (peak keeps its min and max: two points per pixel)
        self.closed = pg.PlotDataItem(pen=pen, connect="finite", antialias=True, autoDownsampleFactor=1.0)
        self.live = pg.PlotCurveItem(pen=pen, connect="finite", antialias=True)
        self._base = 0  # the closed part holds points [0, base); the tail [base - 1, n)
        plot.addItem(self.closed)
        plot.addItem(self.live)

    def set_all(self, x: np.ndarray, y: np.ndarray) -> None:
        """Show ``y`` over ``x`` (same length, bar centres in epoch s)."""
        self._base = max(0, len(y) - 1)
        self.closed.setData(x[: self._base], y[: self._base], connect="finite")
        self._set_tail(x, y)

    def set_last(self, x: np.ndarray, y: np.ndarray) -> None:
        """The last values changed or bars were appended (``x``, ``y`` the whole series)."""
        if len(y) - self._base > self.REBASE or len(y) < self._base:
            self.set_all(x, y)
        else:
            self._set_tail(x, y)

    def _set_tail(self, x: np.ndarray, y: np.ndarray) -> None:
        k = max(0, self._base - 1)
        self.live.setData(x[k:], y[k:], connect="finite")

    def drawn_points(self) -> int:
        """Points the closed part currently hands to Qt (after clipping and decimation)."""
        x = self.closed.curve.xData
        return 0 if x is None else len(x)

    def remove(self, plot: pg.PlotItem) -> None:
        plot.removeItem(self.closed)
        plot.removeItem(self.live)
