"""Text of the chart's OHLC readout (the line above the chart that follows the crosshair)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape

from trader_app.core import Interval

from . import theme


def fmt_time(open_s: float, interval: Interval, utc: bool) -> str:
    """Bar open time as ``YYYY-MM-DD`` (daily bars) or ``YYYY-MM-DD HH:MM``, in UTC or the local time zone."""
    dt = datetime.fromtimestamp(open_s, tz=timezone.utc) if utc else datetime.fromtimestamp(open_s)
    return dt.strftime("%Y-%m-%d" if interval is Interval.D1 else "%Y-%m-%d %H:%M")


def fmt_price(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` places and thousands separators; ``-`` for NaN."""
    if not math.isfinite(value):
        return "-"
    return f"{value:,.{decimals}f}"


def fmt_volume(value: float) -> str:
    """Compact volume: ``950``, ``12.35``, ``1.23K``, ``4.57M``, ``8.90B``; ``-`` for NaN."""
    if not math.isfinite(value):
        return "-"
    a = abs(value)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if a >= limit:
            return f"{value / limit:.2f}{suffix}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if a else "0"


def fmt_sig(value: float, digits: int = 4) -> str:
    """``value`` with about ``digits`` significant digits in fixed notation (no exponent); ``-`` for NaN."""
    if not math.isfinite(value):
        return "-"
    if value == 0:
        return "0"
    decimals = max(0, min(10, digits - 1 - math.floor(math.log10(abs(value)))))
    return f"{value:.{decimals}f}"


@dataclass(frozen=True)
class BarReadout:
    """Values shown for one bar: prices in quote currency (float), RSI in points, MACD in price units."""

    time: str
    open: float
    high: float
    low: float
    close: float
    volume: float
    ma: tuple[tuple[int, float], ...]
    rsi: float
    macd: float
    macd_signal: float
    macd_hist: float
    price_decimals: int

    def fields(self) -> list[tuple[str, str, str]]:
        """``(label, value, colour)`` triples in display order."""
        d = self.price_decimals
        c = theme.UP if self.close >= self.open else theme.DOWN
        out = [
            ("O", fmt_price(self.open, d), c),
            ("H", fmt_price(self.high, d), c),
            ("L", fmt_price(self.low, d), c),
            ("C", fmt_price(self.close, d), c),
            ("V", fmt_volume(self.volume), c),
        ]
        for i, (period, value) in enumerate(self.ma):
            out.append((f"MA{period}", fmt_price(value, d), theme.ma_colour(i)))
        out.append(("RSI", "-" if not math.isfinite(self.rsi) else f"{self.rsi:.2f}", theme.RSI_LINE))
        macd = f"{fmt_sig(self.macd)} {fmt_sig(self.macd_signal)} {fmt_sig(self.macd_hist)}"
        out.append(("MACD", macd, theme.MACD_LINE))
        return out

    def plain(self) -> str:
        """One line: ``2024-01-02 03:04  O 1.00  H ...  RSI 55.32  MACD 0.1234 0.1000 0.02340``."""
        return "  ".join([self.time] + [f"{k} {v}" for k, v, _ in self.fields()])

    def html(self) -> str:
        """The same line as rich text for a ``QLabel`` (labels dim, values coloured)."""
        parts = [f'<span style="color:{theme.TEXT}">{escape(self.time)}</span>']
        for k, v, colour in self.fields():
            parts.append(
                f'<span style="color:{theme.TEXT_DIM}">{escape(k)}</span>&nbsp;<span style="color:{colour}">{escape(v)}</span>'
            )
        return "&nbsp; ".join(parts)  # breakable between fields, never inside one
