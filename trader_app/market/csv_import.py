"""OHLCV CSV import: the common layouts, validated row by row, all or nothing.

Layouts read (the first non-blank line decides; ``CsvImport.layout`` says which was recognised):
- pandas ``DataFrame.to_csv`` with the time index unnamed: a header whose FIRST name is empty
  (``,Open,High,Low,Close,Volume``): that column is the time;
- MetaTrader 4/5 history exports: ``<DATE> <TIME> <OPEN> <HIGH> <LOW> <CLOSE> <TICKVOL> <VOL> <SPREAD>``
  (tab-separated, ``YYYY.MM.DD`` dates): ``<VOL>`` is the volume when any row has one, else ``<TICKVOL>``;
- TradingView chart exports: ``time,open,high,low,close[,Volume][,indicator columns...]`` (epoch seconds or
  ISO times); a symbol without volume has no ``Volume`` column: volume 0;
- Yahoo Finance: ``Date,Open,High,Low,Close,Adj Close,Volume`` (``Adj Close`` ignored);
- current yfinance ``yf.download(...).to_csv()``: a 3-line header ``Price,Close,High,Low,Open,Volume`` /
  ``Ticker,AAPL,AAPL,...`` / ``Date,,,,,``; the first column holds the dates;
- a header naming a time column and ``open, high, low, close, volume`` in any case and order (extra columns
  such as ``Adj Close`` are ignored). The time column is the first of ``open_time, timestamp, datetime,
  date_time, date, time, ts`` present; ``Date`` and ``Time`` columns both present are joined (``date time``).
- no header, at least 6 numeric-looking columns: ``time, open, high, low, close, volume, ...``. This is the
  Binance kline export (https://github.com/binance/binance-public-data, 12 columns: open_time, open, high,
  low, close, volume, close_time, quote_volume, count, taker_buy_base, taker_buy_quote, ignore), which comes
  with or without its header.
Separators ``,`` or ``;`` (``;`` files may use a decimal comma) or tab. Times: ISO 8601 dates/datetimes
(naive = UTC, offsets converted), ``YYYYMMDD``, MetaTrader's ``YYYY.MM.DD [HH:MM[:SS]]``, or epoch seconds / milliseconds / microseconds /
nanoseconds told apart by magnitude (< 1e11 s, < 1e14 ms, < 1e17 µs, else ns; Binance spot exports use µs
from 2025-01-01 and ms before).

Every problem raises :class:`~trader_app.core.errors.DataImportError` naming the FIRST bad line (1-based,
the header is line 1; blank lines count but are otherwise ignored) and the problem: missing column, wrong
field count, missing value, non-numeric value, unreadable time, price <= 0, high < low, open/close outside
low..high, negative volume, time not after the previous row (duplicates included), empty file.
Nothing is returned unless every row is good.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from trader_app.core.enums import Interval
from trader_app.core.errors import DataImportError
from trader_app.core.market_data import Bar

PRICE_COLUMNS = ("open", "high", "low", "close")
VALUE_COLUMNS = PRICE_COLUMNS + ("volume",)
_TIME_NAMES = ("open_time", "opentime", "kline_open_time", "timestamp", "datetime", "date_time", "date", "time", "ts")
_ALIASES = {"vol": "volume", "volume_base": "volume"}
_QUOTES = ("USDT", "USDC", "FDUSD", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY", "KRW")
_INTERVAL_TOLERANCE = 0.10  # median spacing within 10 % of an Interval's length


@dataclass(frozen=True)
class CsvImport:
    """The result of an import: ``bars`` ascending by ``open_time_ms``, all ``closed``."""

    symbol: str
    interval: Interval
    bars: list[Bar] = field(repr=False)
    path: str = ""
    layout: str = ""  # the layout recognised ("Yahoo Finance", "MetaTrader", "pandas export", ...)


@dataclass
class _Table:
    """Validated columns: ``times_ms`` int64 epoch ms, ``values`` float64 per column, ``lines`` 1-based."""

    times_ms: np.ndarray
    values: dict[str, np.ndarray]
    lines: np.ndarray
    layout: str = ""


def read_ohlcv_csv(path: str | Path, symbol: str | None = None, interval: Interval | None = None) -> CsvImport:
    """Read an OHLCV CSV file into bars (prices and volume as Decimal, as written in the file).

    ``symbol`` defaults from the file name (``BTCUSDT-1m-2024-01.csv`` -> ``BTC/USDT``, ``AAPL.csv`` ->
    ``AAPL``); ``interval`` defaults to the one inferred from the median spacing of the times.
    Raises DataImportError (first bad line and the problem; nothing imported) or ValueError for an empty
    ``symbol``.
    """
    path = Path(path)
    table = _read_table(path)
    sym = _symbol_from_name(path) if symbol is None else symbol.strip()
    if not sym:
        raise ValueError("symbol must not be empty")
    if interval is None:
        interval = infer_interval(table.times_ms, str(path))
    v = table.values
    bars = [
        Bar(sym, interval, t, _dec(o), _dec(h), _dec(lo), _dec(c), _dec(vol), True)
        for t, o, h, lo, c, vol in zip(
            table.times_ms.tolist(),
            v["open"].tolist(),
            v["high"].tolist(),
            v["low"].tolist(),
            v["close"].tolist(),
            v["volume"].tolist(),
        )
    ]
    return CsvImport(sym, interval, bars, str(path), table.layout)


def read_ohlcv_frame(path: str | Path, interval: Interval | None = None) -> pd.DataFrame:
    """Read an OHLCV CSV file (same layouts and validation as :func:`read_ohlcv_csv`) for backtests.

    Returns a DataFrame with a UTC ``DatetimeIndex`` named ``time`` (bar open times) and float64 columns
    ``open high low close volume``. ``frame.attrs`` holds ``symbol`` (from the file name) and ``interval``
    (the given one, else inferred, else None when the spacing matches no Interval). Raises DataImportError.
    """
    path = Path(path)
    table = _read_table(path)
    if interval is None:
        try:
            interval = infer_interval(table.times_ms, str(path))
        except DataImportError:
            interval = None
    index = pd.DatetimeIndex(pd.to_datetime(table.times_ms, unit="ms", utc=True), name="time")
    frame = pd.DataFrame({c: table.values[c] for c in VALUE_COLUMNS}, index=index)
    frame.attrs["symbol"] = _symbol_from_name(path)
    frame.attrs["interval"] = interval
    return frame


def infer_interval(times_ms: np.ndarray, path: str = "") -> Interval:
    """The Interval whose length is within 10 % of the median spacing of ``times_ms`` (ascending epoch ms).

    Raises DataImportError (line 0) with fewer than 2 times or a spacing that matches no Interval.
    """
    if len(times_ms) < 2:
        raise DataImportError(path, 0, "need at least 2 bars to infer the bar interval; give the interval")
    median = float(np.median(np.diff(np.asarray(times_ms, dtype=np.int64))))
    best = min(Interval, key=lambda iv: abs(median - iv.ms))
    if abs(median - best.ms) <= _INTERVAL_TOLERANCE * best.ms:
        return best
    names = ", ".join(iv.value for iv in Interval)
    raise DataImportError(
        path, 0, f"cannot infer the bar interval: median spacing {_fmt_span(median)} is not one of {names}"
    )


# ---------------------------------------------------------------------------------------------- reading
def _read_table(path: Path) -> _Table:
    p = str(path)
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            head = fh.read(1 << 16)
    except (OSError, UnicodeDecodeError) as exc:
        raise DataImportError(p, 0, f"cannot read the file: {exc}") from None
    lines = head.splitlines()
    first_no = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first_no is None:
        raise DataImportError(p, 0, "empty file")
    first = lines[first_no]
    sep = ";" if ";" in first else ("\t" if "\t" in first and "," not in first else ",")
    decimal = "," if sep == ";" and _has_decimal_comma(lines[first_no:first_no + 20]) else "."
    fields = [f.strip().strip('"').strip() for f in first.split(sep)]
    has_header = any(not _looks_numeric(f, decimal) for f in fields[1:])
    if has_header:
        names = [_norm(f) for f in fields]
        layout = _layout_of(names)
        if names and names[0] == "" and layout == "pandas export":
            names[0] = "datetime"  # the unnamed index column of DataFrame.to_csv holds the times
        if layout == "MetaTrader":
            names = _metatrader_volume(names, lines[first_no + 1:], sep)
        header_end = first_no + 1
        extra = _yfinance_header_lines(names, lines[first_no + 1:first_no + 6], sep)
        if extra:
            layout = "yfinance download (Price/Ticker/Date header)"
            names[0] = "datetime"
            header_end = first_no + 1 + extra
        columns = _locate_columns(names, p, first_no + 1)
        n_fields = len(fields)
        # pandas cannot start a header-less read on a blank line: skip to the first data line
        skip = next((i for i in range(header_end, len(lines)) if lines[i].strip()), header_end)
    else:
        if len(fields) < 6:
            raise DataImportError(
                p, first_no + 1, f"no header and {len(fields)} columns: expected time, open, high, low, close, volume"
            )
        columns = {"time": [0], **{c: [i + 1] for i, c in enumerate(VALUE_COLUMNS)}}
        n_fields = len(fields)
        skip = first_no
        layout = "Binance kline export (no header)" if len(fields) == 12 else "no header: time, open, high, low, close, volume"
    try:
        df = pd.read_csv(
            path, sep=sep, header=None, skiprows=skip, skip_blank_lines=False, decimal=decimal,
            encoding="utf-8-sig", skipinitialspace=True, low_memory=False,
        )
    except pd.errors.EmptyDataError:
        raise DataImportError(p, 0, "no data rows") from None
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m:
            raise DataImportError(p, int(m.group(2)), f"expected {m.group(1)} fields, found {m.group(3)}") from None
        raise DataImportError(p, 0, f"not a readable CSV file: {exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise DataImportError(p, 0, f"not a readable CSV file: {exc}") from None
    table = _validate(df, columns, n_fields, skip, p)
    table.layout = layout
    return table


def _layout_of(names: list[str]) -> str:
    """The name of the layout a header belongs to (see the module docstring)."""
    if names and names[0] == "" and all(c in names for c in PRICE_COLUMNS):
        return "pandas export"
    if "tickvol" in names or ("date" in names and "time" in names and "spread" in names):
        return "MetaTrader"
    if "adj_close" in names:
        return "Yahoo Finance"
    if names and names[0] == "time" and all(c in names for c in PRICE_COLUMNS):
        return "TradingView"
    if "open_time" in names or "close_time" in names:
        return "Binance kline export"
    return "header with time, open, high, low, close, volume"


def _yfinance_header_lines(names: list[str], following: list[str], sep: str) -> int:
    """How many more header lines a current yfinance ``download(...).to_csv()`` file has after its first
    (``Price,Close,High,Low,Open,Volume`` then ``Ticker,AAPL,...`` then ``Date,,,,,``): 2, or 0 for any other
    file. The first column of the data rows is the time."""
    if not names or names[0] != "price" or not all(c in names for c in PRICE_COLUMNS):
        return 0
    rows = [[f.strip().strip('"').lower() for f in line.split(sep)] for line in following if line.strip()]
    count = 0
    for row in rows[:2]:
        if row and row[0] in ("ticker", "date", "datetime") and not any(_looks_numeric(f, ".") for f in row[1:] if f):
            count += 1
        else:
            break
    # the blank lines between them count too: up to the last header row found
    seen = 0
    for i, line in enumerate(following):
        if line.strip():
            seen += 1
            if seen == count:
                return i + 1
    return 0


def _metatrader_volume(names: list[str], data_lines: list[str], sep: str) -> list[str]:
    """MetaTrader writes ``<VOL>`` (exchange volume) and ``<TICKVOL>``: the real volume when the file has any
    (stocks, futures), else the tick count (forex, CFDs). The chosen one is named ``volume``."""
    names = list(names)
    if "vol" in names and "tickvol" in names:
        vol = names.index("vol")
        has_real = any(len(row) > vol and row[vol].strip() not in ("", "0") for row in
                       (line.split(sep) for line in data_lines[:500] if line.strip()))
        if has_real:
            names[names.index("tickvol")] = "tick_volume"
        else:
            names[vol] = "real_volume"
            names[names.index("tickvol")] = "volume"
    return names


def _validate(df: pd.DataFrame, columns: dict[str, list[int]], n_fields: int, skip: int, p: str) -> _Table:
    line_no = np.arange(len(df), dtype=np.int64) + skip + 1
    blank = df.isna().all(axis=1).to_numpy()
    if blank.all():
        raise DataImportError(p, 0, "no data rows")
    df = df.loc[~blank]
    line_no = line_no[~blank]
    n = len(df)
    checks: list[tuple[np.ndarray, object]] = []  # (bad-row mask, message(row) -> str), in priority order

    if df.shape[1] > n_fields:
        extra = df.iloc[:, n_fields:].notna().any(axis=1).to_numpy()
        width = df.notna().to_numpy()[:, ::-1].argmax(axis=1)
        found = df.shape[1] - width
        checks.append((extra, lambda i: f"expected {n_fields} fields, found {found[i]}"))

    def col(name: str) -> pd.Series:
        idx = columns[name]
        if not idx:  # a column the layout may leave out (a TradingView export without volume): zeros
            return pd.Series([0.0] * n, index=df.index, dtype=np.float64)
        if idx[0] >= df.shape[1]:
            return pd.Series([np.nan] * n, index=df.index, dtype=object)
        s = df.iloc[:, idx[0]]
        if len(idx) == 2:  # date + time columns
            t = df.iloc[:, idx[1]] if idx[1] < df.shape[1] else pd.Series([np.nan] * n, index=df.index)
            joined = s.astype("string").str.strip() + " " + t.astype("string").str.strip()
            return joined.astype(object).where(s.notna() & t.notna(), np.nan)
        return s

    raw = {name: col(name) for name in ("time",) + VALUE_COLUMNS}
    missing = {name: raw[name].isna().to_numpy() for name in raw}
    for name in raw:
        checks.append((missing[name], lambda i, name=name: f"missing value for {name!r}"))

    values: dict[str, np.ndarray] = {}
    for name in VALUE_COLUMNS:
        s = raw[name]
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            num = s.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            num = pd.to_numeric(s.astype("string").str.strip(), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = (~np.isfinite(num)) & ~missing[name]
        texts = s.to_numpy()
        checks.append((bad, lambda i, name=name, texts=texts: f"{name} is not a number: {str(texts[i]).strip()!r}"))
        values[name] = num

    times_ms, bad_time = _parse_times(raw["time"])
    bad_time &= ~missing["time"]
    ttexts = raw["time"].to_numpy()
    checks.append((
        bad_time,
        lambda i: f"cannot read the time {str(ttexts[i]).strip()!r} (expected an ISO 8601 date/datetime or epoch s/ms/µs)",
    ))

    o, h, lo, c, vol = (values[k] for k in VALUE_COLUMNS)
    with np.errstate(invalid="ignore"):
        for name in PRICE_COLUMNS:
            arr = values[name]
            checks.append((arr <= 0, lambda i, name=name, arr=arr: f"{name} must be > 0, got {_fmt_num(arr[i])}"))
        checks.append((h < lo, lambda i: f"high {_fmt_num(h[i])} is below low {_fmt_num(lo[i])}"))
        for name, arr in (("open", o), ("close", c)):
            out = (arr > h) | (arr < lo)
            checks.append((
                out,
                lambda i, name=name, arr=arr: (
                    f"{name} {_fmt_num(arr[i])} is outside the bar's range low {_fmt_num(lo[i])} .. high {_fmt_num(h[i])}"
                ),
            ))
        checks.append((vol < 0, lambda i: f"volume is negative: {_fmt_num(vol[i])}"))

    valid_t = ~(missing["time"] | bad_time)
    prev = np.empty(n, dtype=np.int64)
    prev[0] = np.iinfo(np.int64).min
    prev[1:] = times_ms[:-1]
    dup = np.zeros(n, dtype=bool)
    back = np.zeros(n, dtype=bool)
    dup[1:] = (times_ms[1:] == prev[1:]) & valid_t[1:] & valid_t[:-1]
    back[1:] = (times_ms[1:] < prev[1:]) & valid_t[1:] & valid_t[:-1]
    checks.append((dup, lambda i: f"duplicate time {_iso(times_ms[i])} (same as line {line_no[i - 1]})"))
    checks.append((
        back,
        lambda i: f"time {_iso(times_ms[i])} is before the previous line's {_iso(times_ms[i - 1])} (times must increase)",
    ))

    first_bad = [int(np.argmax(mask)) for mask, _ in checks if mask.any()]
    if first_bad:
        row = min(first_bad)
        for mask, message in checks:
            if mask[row]:
                raise DataImportError(p, int(line_no[row]), message(row))  # type: ignore[operator]
    return _Table(times_ms, values, line_no)


def _parse_times(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Epoch ms (int64) per row and a mask of the rows whose time could not be read."""
    n = len(s)
    out = np.zeros(n, dtype=np.int64)
    bad = np.zeros(n, dtype=bool)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        num = s.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = np.isfinite(num) & (np.abs(num) < MAX_EPOCH)
        if not ((num[ok] >= 19000101) & (num[ok] <= 21001231)).any():
            out[ok] = _epoch_to_ms(num[ok])
            bad[~ok] = True
            return out, bad
        # YYYYMMDD dates read as integers: parse them as text below
        s = pd.Series([f"{x:.0f}" if np.isfinite(x) and x.is_integer() else (None if np.isnan(x) else repr(x))
                       for x in num], index=s.index, dtype=object)
    text = s.astype("string").str.strip()
    is_num = text.str.fullmatch(r"[+-]?\d+(\.\d+)?").fillna(False).to_numpy(dtype=bool)
    is_ymd = text.str.fullmatch(r"(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])").fillna(False).to_numpy(dtype=bool)
    epoch = is_num & ~is_ymd
    if epoch.any():
        values = text[epoch].astype(float).to_numpy()
        sane = np.abs(values) < MAX_EPOCH  # "9" * 400 is digits too, but no time
        idx = np.flatnonzero(epoch)
        out[idx[sane]] = _epoch_to_ms(values[sane])
        bad[idx[~sane]] = True
    rest = ~epoch
    if rest.any():
        part = text[rest]
        ymd = is_ymd[rest]
        parsed = pd.Series(pd.NaT, index=part.index, dtype="datetime64[ms, UTC]")
        if ymd.any():
            parsed[ymd] = pd.to_datetime(part[ymd], format="%Y%m%d", utc=True, errors="coerce")
        if (~ymd).any():
            # MetaTrader writes dates as YYYY.MM.DD: the same date in ISO form
            iso = part[~ymd].str.replace(r"^(\d{4})\.(\d{2})\.(\d{2})", r"\1-\2-\3", regex=True)
            parsed[~ymd] = pd.to_datetime(iso, format="ISO8601", utc=True, errors="coerce")
        nat = parsed.isna().to_numpy()
        ms = np.zeros(len(part), dtype=np.int64)
        ms[~nat] = parsed[~nat].dt.as_unit("ms").astype("int64").to_numpy()
        out[rest] = ms
        bad[rest] = nat
    return out, bad


MAX_EPOCH = 1e19  # larger (or infinite) numbers are not epoch times in any unit


def _epoch_to_ms(x: np.ndarray) -> np.ndarray:
    a = np.abs(x)
    scale = np.where(a < 1e11, 1000.0, np.where(a < 1e14, 1.0, np.where(a < 1e17, 1e-3, 1e-6)))
    return np.floor(x * scale + 1e-6).astype(np.int64)


def _locate_columns(names: list[str], path: str, line: int) -> dict[str, list[int]]:
    names = [_ALIASES.get(n, n) for n in names]
    found: dict[str, list[int]] = {}
    missing = [c for c in PRICE_COLUMNS if c not in names]
    if "volume" not in names and not (names and names[0] == "time"):
        missing.append("volume")  # only a TradingView export (time first) may leave the volume out
    if "date" in names and "time" in names and not any(t in names for t in _TIME_NAMES[:6]):
        found["time"] = [names.index("date"), names.index("time")]
    else:
        t = next((names.index(t) for t in _TIME_NAMES if t in names), None)
        if t is None:
            missing.insert(0, "time")
        else:
            found["time"] = [t]
    if missing:
        have = ", ".join(names)
        wanted = ", ".join(repr(m) for m in missing)
        hint = " (a time column is one of date, datetime, timestamp, open_time, time)" if "time" in missing else ""
        raise DataImportError(path, line, f"missing column {wanted}{hint}; header has: {have}")
    for c in VALUE_COLUMNS:
        found[c] = [names.index(c)] if c in names else []
    return found


# ---------------------------------------------------------------------------------------------- helpers
def _norm(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().strip("<>").strip().lower())


def _looks_numeric(text: str, decimal: str) -> bool:
    t = text.strip()
    if decimal == ",":
        t = t.replace(",", ".")
    if not t:
        return True
    try:
        float(t)
        return True
    except ValueError:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T].*)?", t))  # a headerless file's first column


def _has_decimal_comma(lines: list[str]) -> bool:
    return any(re.search(r"\d,\d", line) for line in lines[1:] if line.strip())


def _dec(x: float) -> Decimal:
    """Decimal of a parsed float as written: ``repr`` is the shortest text that round-trips (<= 17 digits)."""
    if x.is_integer() and abs(x) < 1e15:
        return Decimal(int(x))
    return Decimal(repr(x))


def _fmt_num(x: float) -> str:
    return str(_dec(float(x))) if np.isfinite(x) else str(x)


def _iso(ms: int) -> str:
    return pd.Timestamp(int(ms), unit="ms", tz="UTC").isoformat().replace("+00:00", "Z")


def _fmt_span(ms: float) -> str:
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms >= size:
            return f"{ms / size:g}{unit}"
    return f"{ms:g}ms"


def _symbol_from_name(path: Path) -> str:
    """``BTCUSDT-1m-2024-01`` -> ``BTC/USDT``; ``RANDOM_USDT`` -> ``RANDOM/USDT`` (a crypto pair, traded in
    fractions, not a stock in whole shares); ``AAPL`` -> ``AAPL``; ``005930_1d`` -> ``005930``."""
    stem = path.stem.strip()
    tokens = re.split(r"[-_ ]+", stem)
    base_quote = re.fullmatch(r"([A-Za-z0-9]+)_([A-Za-z]+)", stem)  # BASE_QUOTE (KRW-BTC is the KRW exchanges' QUOTE-BASE)
    if base_quote and base_quote.group(2).upper() in _QUOTES and base_quote.group(1).upper() not in _QUOTES \
            and not base_quote.group(1).isdigit():
        return f"{base_quote.group(1).upper()}/{base_quote.group(2).upper()}"
    if len(tokens) > 1 and re.fullmatch(r"\d+(s|m|h|d|w|M|mo|min)|daily|hourly|minute", tokens[1], re.IGNORECASE):
        stem = tokens[0]
    sym = stem.upper()
    if "/" not in sym and re.fullmatch(r"[A-Z0-9]+", sym):
        for q in _QUOTES:
            base = sym[: -len(q)]
            if sym.endswith(q) and len(base) >= 2 and not base.isdigit():
                return f"{base}/{q}"
    return sym or "IMPORTED"
