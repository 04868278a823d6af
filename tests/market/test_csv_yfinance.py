"""CSVs as current yfinance writes them (a 3-line Price/Ticker/Date header), and a pair named in the file name
(``RANDOM_USDT.csv``) read as a crypto pair traded in fractions, not a stock in whole shares (issue 20)."""

from __future__ import annotations

from decimal import Decimal as D

from trader_app.core.enums import Interval, MarketType
from trader_app.market.csv_import import read_ohlcv_csv
from trader_app.market.service import MarketService

# yf.download("AAPL", start="2024-01-02", end="2024-01-05").to_csv() with yfinance 0.2.5x (values as written)
YFINANCE = """Price,Close,High,Low,Open,Volume
Ticker,AAPL,AAPL,AAPL,AAPL,AAPL
Date,,,,,
2024-01-02,184.29,186.74,182.92,185.64,82488700
2024-01-03,182.91,184.25,181.75,182.95,58414500
2024-01-04,180.59,181.43,179.47,180.93,71983600
"""


def test_a_yfinance_download_with_its_three_header_lines_is_read(tmp_path):
    path = tmp_path / "AAPL.csv"
    path.write_text(YFINANCE)
    result = read_ohlcv_csv(path)
    assert (result.symbol, result.interval, len(result.bars)) == ("AAPL", Interval.D1, 3)
    assert result.layout == "yfinance download (Price/Ticker/Date header)"
    first = result.bars[0]
    assert (first.open, first.high, first.low, first.close, first.volume) == (
        D("185.64"), D("186.74"), D("182.92"), D("184.29"), D("82488700"))
    assert first.open_time_ms == 1704153600000  # 2024-01-02 00:00 UTC


def test_a_pair_in_the_file_name_is_a_crypto_pair(tmp_path):
    path = tmp_path / "RANDOM_USDT.csv"
    path.write_text("Date,Open,High,Low,Close,Volume\n2024-01-01,1.5,1.6,1.4,1.55,10\n2024-01-02,1.55,1.7,1.5,1.6,12\n")
    result = read_ohlcv_csv(path)
    assert result.symbol == "RANDOM/USDT"
    inst = MarketService.instrument_for_bars(result.symbol, result.bars)
    assert (inst.market_type, inst.quote, inst.lot_size) == (MarketType.SPOT, "USDT", D("0.00001"))
