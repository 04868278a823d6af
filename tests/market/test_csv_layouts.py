"""Issue 13 "A pandas-exported CSV is refused": the common exports are read, and the import says which layout
it recognised."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from trader_app.core.enums import Interval
from trader_app.market.csv_import import read_ohlcv_csv

CASES = {
    "pandas export": (",Open,High,Low,Close,Volume\n"
                      "2024-01-02,100,110,95,105,1000\n2024-01-03,105,112,101,110,1500\n2024-01-04,110,111,99,100,900\n"),
    "MetaTrader": ("<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
                   "2024.01.02\t00:00:00\t100\t110\t95\t105\t1000\t0\t2\n"
                   "2024.01.02\t01:00:00\t105\t112\t101\t110\t1500\t0\t2\n"
                   "2024.01.02\t02:00:00\t110\t111\t99\t100\t900\t0\t2\n"),
    "TradingView": ("time,open,high,low,close,Volume,RSI\n"
                    "1704153600,100,110,95,105,1000,55\n1704157200,105,112,101,110,1500,60\n"
                    "1704160800,110,111,99,100,900,45\n"),
    "Yahoo Finance": ("Date,Open,High,Low,Close,Adj Close,Volume\n"
                      "2024-01-02,100,110,95,105,104,1000\n2024-01-03,105,112,101,110,109,1500\n"
                      "2024-01-04,110,111,99,100,99,900\n"),
}


@pytest.mark.parametrize("layout", list(CASES))
def test_common_exports_are_read_and_named(tmp_path, layout):
    path = tmp_path / "X.csv"
    path.write_text(CASES[layout])
    imp = read_ohlcv_csv(path)
    assert imp.layout == layout
    assert [(b.open, b.high, b.low, b.close) for b in imp.bars] == [
        (D(100), D(110), D(95), D(105)), (D(105), D(112), D(101), D(110)), (D(110), D(111), D(99), D(100))]
    assert [b.volume for b in imp.bars] == [D(1000), D(1500), D(900)]  # MetaTrader: no real volume, ticks
    assert imp.interval in (Interval.D1, Interval.H1)


def test_a_tradingview_export_without_volume_and_metatrader_real_volume(tmp_path):
    tv = tmp_path / "TV.csv"
    tv.write_text("time,open,high,low,close\n2024-01-02T00:00:00Z,1,2,0.5,1.5\n2024-01-02T00:01:00Z,1.5,2,1,1.2\n")
    imp = read_ohlcv_csv(tv)
    assert imp.layout == "TradingView" and [b.volume for b in imp.bars] == [D(0), D(0)]
    mt = tmp_path / "MT.csv"
    mt.write_text("<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
                  "2024.01.02\t10:00\t100\t110\t95\t105\t1000\t77\t2\n2024.01.02\t10:05\t105\t112\t101\t110\t1500\t88\t2\n")
    imp = read_ohlcv_csv(mt)
    assert [b.volume for b in imp.bars] == [D(77), D(88)] and imp.interval is Interval.M5
