"""CSV import: every layout reads to exact bars; every bad file names its first bad line and imports nothing."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trader_app.core.enums import Interval
from trader_app.core.errors import DataImportError
from trader_app.market.csv_import import infer_interval, read_ohlcv_csv, read_ohlcv_frame

DATA = Path(__file__).parent / "data"


def test_binance_export_without_header_epoch_ms():
    imp = read_ohlcv_csv(DATA / "BTCUSDT-1m-2024-01.csv")
    assert (imp.symbol, imp.interval, len(imp.bars)) == ("BTC/USDT", Interval.M1, 5)
    b = imp.bars[0]
    assert b.open_time_ms == 1704067200000  # 2024-01-01T00:00:00Z
    assert (b.open, b.high, b.low, b.close, b.volume) == (
        D("42283.58"), D("42298.62"), D("42261.02"), D("42298.61"), D("35.92724"),
    )
    assert [x.open_time_ms for x in imp.bars] == [1704067200000 + 60_000 * i for i in range(5)]
    assert imp.bars[-1].close == D("42333") and imp.bars[-1].volume == D("25.12345")
    assert all(x.closed and x.symbol == "BTC/USDT" for x in imp.bars)


def test_binance_export_with_header_epoch_microseconds():
    imp = read_ohlcv_csv(DATA / "BTCUSDT-1m-2025-01.csv")
    assert (imp.symbol, imp.interval) == ("BTC/USDT", Interval.M1)
    assert [b.open_time_ms for b in imp.bars] == [1735689600000, 1735689660000, 1735689720000]
    assert imp.bars[0].open == D("93576") and imp.bars[0].low == D("93537.5")
    assert imp.bars[2].close == D("93601.1") and imp.bars[2].volume == D("6.3")


def test_yahoo_layout_capitalised_header_daily_with_weekend_gap():
    imp = read_ohlcv_csv(DATA / "AAPL.csv")
    assert (imp.symbol, imp.interval, len(imp.bars)) == ("AAPL", Interval.D1, 6)
    first, last = imp.bars[0], imp.bars[-1]
    assert first.open_time_ms == 1704153600000  # 2024-01-02 (date = midnight UTC)
    assert (first.open, first.high, first.low, first.close, first.volume) == (
        D("187.15"), D("188.44"), D("183.89"), D("185.64"), D("82488700"),
    )  # Close, not Adj Close
    assert last.open_time_ms == 1704758400000 and last.close == D("185.14")


def test_lowercase_header_iso_datetimes_hourly():
    imp = read_ohlcv_csv(DATA / "eth_hourly.csv", symbol="ETH/USDT")
    assert (imp.symbol, imp.interval) == ("ETH/USDT", Interval.H1)
    assert [b.close for b in imp.bars] == [D("3350.2"), D("3369.9"), D("3325"), D("3338.8")]
    assert imp.bars[2].volume == D("2001") and imp.bars[3].volume == D("1750.75")


def test_semicolons_with_decimal_comma_and_epoch_seconds_uppercase_header():
    imp = read_ohlcv_csv(DATA / "SOLUSDT_5m.csv")
    assert (imp.symbol, imp.interval) == ("SOL/USDT", Interval.M5)
    assert [b.open_time_ms for b in imp.bars] == [1709251200000, 1709251500000, 1709251800000]
    b = imp.bars[2]
    assert (b.open, b.high, b.low, b.close, b.volume) == (D("126.35"), D("126.36"), D("125.01"), D("125.02"), D("2210.25"))


def test_semicolons_krx_stock():
    imp = read_ohlcv_csv(DATA / "005930.csv")
    assert (imp.symbol, imp.interval, len(imp.bars)) == ("005930", Interval.D1, 3)
    assert imp.bars[1].low == D("77000") and imp.bars[1].volume == D("21753644")


@pytest.mark.parametrize(
    "text, interval, first_ms",
    [
        ("timestamp,open,high,low,close,volume\n1700000000000,1,2,0.5,1.5,3\n1700000900000,1,2,0.5,1.5,3\n", Interval.M15, 1700000000000),
        ("Time,Open,High,Low,Close,Volume\n2024-01-02 09:30:00+09:00,1,2,0.5,1.5,3\n2024-01-02 09:35:00+09:00,1,2,0.5,1.5,3\n", Interval.M5, 1704155400000),
        ("DATE,TIME,OPEN,HIGH,LOW,CLOSE,VOL\n2024-01-02,00:01,1,2,0.5,1.5,3\n2024-01-02,00:02,1,2,0.5,1.5,3\n", Interval.M1, 1704153660000),
        ("Date,Open,High,Low,Close,Volume\n20240102,1,2,0.5,1.5,3\n20240103,1,2,0.5,1.5,3\n", Interval.D1, 1704153600000),
        ("2024-01-02,1,2,0.5,1.5,3\n2024-01-03,1,2,0.5,1.5,3\n", Interval.D1, 1704153600000),
        ("\ufeffDate,Open,High,Low,Close,Volume\n\n2024-01-02,1,2,0.5,1.5,3\n\n2024-01-03,1,2,0.5,1.5,3\n\n", Interval.D1, 1704153600000),
    ],
    ids=["epoch-ms-15m", "offset-datetime", "date+time-columns", "yyyymmdd", "headerless-iso", "bom-and-blank-lines"],
)
def test_other_time_forms(tmp_path, text, interval, first_ms):
    path = tmp_path / "X.csv"
    path.write_text(text, encoding="utf-8")
    imp = read_ohlcv_csv(path)
    assert imp.interval is interval
    assert imp.bars[0].open_time_ms == first_ms
    assert len(imp.bars) == 2 and imp.bars[0].close == D("1.5")


H = "Date,Open,High,Low,Close,Volume\n"
R1 = "2024-01-01,1,2,0.5,1.5,3\n"
R2 = "2024-01-02,1,2,0.5,1.5,3\n"


@pytest.mark.parametrize(
    "text, line, problem",
    [
        ("", 0, "empty file"),
        ("\n   \n", 0, "empty file"),
        (H, 0, "no data rows"),
        ("Date,Open,High,Low,Close\n2024-01-01,1,2,0.5,1.5\n", 1,
         "missing column 'volume'; header has: date, open, high, low, close"),
        ("Open,High,Low,Close,Volume\n1,2,0.5,1.5,3\n", 1,
         "missing column 'time' (a time column is one of date, datetime, timestamp, open_time, time); "
         "header has: open, high, low, close, volume"),
        (H + R1 + "2024-01-02,1,2,abc,1.5,3\n", 3, "low is not a number: 'abc'"),
        (H + R1 + "2024-01-02,1,2,0.5,1.5,1e\n", 3, "volume is not a number: '1e'"),
        (H + R1 + R2 + "2024-01-03,1,0.5,2,1,3\n", 4, "high 0.5 is below low 2"),
        (H + R1 + "2024-01-02,1,2,0.5,1.5,-3\n", 3, "volume is negative: -3"),
        (H + R1 + R1, 3, "duplicate time 2024-01-01T00:00:00Z (same as line 2)"),
        (H + R2 + "\n" + R1, 4,
         "time 2024-01-01T00:00:00Z is before the previous line's 2024-01-02T00:00:00Z (times must increase)"),
        (H + R1 + "01/02/2024,1,2,0.5,1.5,3\n", 3,
         "cannot read the time '01/02/2024' (expected an ISO 8601 date/datetime or epoch s/ms/µs)"),
        (H + R1 + "2024-01-02,1,2,0.5,,3\n", 3, "missing value for 'close'"),
        (H + R1 + "2024-01-02,1,2,0.5,1.5,3,9\n", 3, "expected 6 fields, found 7"),
        (H + "2024-01-01,1,2,0.5,1.5,3,9\n" + R2, 2, "expected 6 fields, found 7"),
        (H + R1 + "2024-01-02,3,2,0.5,1.5,3\n", 3, "open 3 is outside the bar's range low 0.5 .. high 2"),
        (H + R1 + "2024-01-02,0,2,0.5,1.5,3\n", 3, "open must be > 0, got 0"),
        (H + "2024-01-01,1,inf,0.5,1.5,3\n", 2, "high is not a number: 'inf'"),
        ("1704067200000,1,2,0.5,1.5,3,1,1,1,1,1,0\n1704067260000,1,2,x,1.5,3,1,1,1,1,1,0\n", 2,
         "low is not a number: 'x'"),
        ("1704067200000,1,2,0.5\n", 1, "no header and 4 columns: expected time, open, high, low, close, volume"),
        # several problems: the first bad LINE wins, then the first problem on it
        (H + R1 + "2024-01-02,1,2,0.5,1.5,-1\n2024-01-01,x,2,0.5,1.5,3\n", 3, "volume is negative: -1"),
        (H + R1 + R2 + "2024-01-03,1,2,0.5,1.5,3\n" + "2024-01-04,1,2,0.5,1.5,3\n" + "2024-01-05,1,2,0.5,1.5,-7\n", 6,
         "volume is negative: -7"),
        (H + R1 + "2024-01-08,1,2,0.5,1.5,3\n", 0,
         "cannot infer the bar interval: median spacing 7d is not one of 1m, 5m, 15m, 1h, 1d"),
        (H + R1, 0, "need at least 2 bars to infer the bar interval; give the interval"),
    ],
)
def test_bad_files_name_the_first_bad_line_and_the_problem(tmp_path, text, line, problem):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataImportError) as err:
        read_ohlcv_csv(path)
    assert (err.value.line, err.value.problem) == (line, problem)
    assert err.value.path == str(path)
    assert str(err.value) == (f"{path}: line {line}: {problem}" if line else f"{path}: {problem}")


def test_semicolon_file_with_bad_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("Date;Open;High;Low;Close;Volume\n2024-01-01;1,5;2;1;1,75;3\n2024-01-02;1,5;2;1;1,75;-2,5\n")
    with pytest.raises(DataImportError) as err:
        read_ohlcv_csv(path)
    assert (err.value.line, err.value.problem) == (3, "volume is negative: -2.5")


def test_missing_file_is_a_data_import_error(tmp_path):
    with pytest.raises(DataImportError) as err:
        read_ohlcv_csv(tmp_path / "nope.csv")
    assert err.value.line == 0 and "cannot read the file" in err.value.problem


def test_given_interval_skips_inference(tmp_path):
    path = tmp_path / "W.csv"
    path.write_text(H + R1 + "2024-01-08,1,2,0.5,1.5,3\n")
    imp = read_ohlcv_csv(path, symbol="W", interval=Interval.D1)
    assert imp.interval is Interval.D1 and len(imp.bars) == 2


@pytest.mark.parametrize(
    "spacing_ms, expected",
    [(60_000, Interval.M1), (63_000, Interval.M1), (300_000, Interval.M5), (900_000, Interval.M15),
     (3_600_000, Interval.H1), (86_400_000, Interval.D1), (82_000_000, Interval.D1)],
)
def test_interval_inference_from_median_spacing(spacing_ms, expected):
    times = np.arange(10, dtype=np.int64) * spacing_ms
    assert infer_interval(times) is expected


def test_interval_inference_uses_the_median_not_the_mean():
    # daily stock bars: Mon..Fri then a 3-day weekend gap, twice
    days = [0, 1, 2, 3, 4, 7, 8, 9, 10, 11]
    assert infer_interval(np.array(days, dtype=np.int64) * 86_400_000) is Interval.D1


@pytest.mark.parametrize("spacing_ms", [30 * 60_000, 2 * 60_000, 4 * 3_600_000, 7 * 86_400_000, 1000])
def test_interval_inference_rejects_spacings_between_intervals(spacing_ms):
    with pytest.raises(DataImportError) as err:
        infer_interval(np.arange(5, dtype=np.int64) * spacing_ms, "f.csv")
    assert err.value.line == 0 and err.value.problem.startswith("cannot infer the bar interval: median spacing ")


def test_frame_for_backtests():
    frame = read_ohlcv_frame(DATA / "BTCUSDT-1m-2025-01.csv")
    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert all(dt == np.float64 for dt in frame.dtypes)
    assert isinstance(frame.index, pd.DatetimeIndex) and str(frame.index.tz) == "UTC"
    assert frame.index[0] == pd.Timestamp("2025-01-01T00:00:00Z")
    assert frame["close"].tolist() == [93610.93, 93650.0, 93601.1]
    assert frame.attrs == {"symbol": "BTC/USDT", "interval": Interval.M1}


def test_frame_validates_like_the_bar_reader(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(H + R1 + "2024-01-02,1,2,0.5,1.5,-3\n")
    with pytest.raises(DataImportError) as err:
        read_ohlcv_frame(path)
    assert err.value.line == 3


@pytest.mark.parametrize(
    "name, symbol",
    [("BTCUSDT-1m-2024-01.csv", "BTC/USDT"), ("ETHBTC-1h-2024-02.csv", "ETH/BTC"), ("AAPL.csv", "AAPL"),
     ("005930_1d.csv", "005930"), ("solusdt.csv", "SOL/USDT"), ("KRW-BTC daily.csv", "KRW-BTC DAILY")],
)
def test_symbol_from_file_name(tmp_path, name, symbol):
    path = tmp_path / name
    path.write_text(H + R1 + R2)
    assert read_ohlcv_csv(path).symbol == symbol
