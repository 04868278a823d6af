"""``trader-app backtest`` and ``trader-app bench backtest``: JSON keys, files, errors, optimisation."""

import argparse
import xml.etree.ElementTree as ET
import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from trader_app.analytics import METRIC_KEYS
from trader_app.devtools import bench_backtest as bench_mod
from trader_app.backtest import cli
from trader_app.backtest.data import instrument_rules, load_csv
from trader_app.backtest.engine import BacktestConfig, run_backtest
from trader_app.backtest.parallel import grid_points, parse_grid
from trader_app.core.errors import ConfigError
from trader_app.strategies import SmaCross

CLOSES = [10, 10, 10, 11, 12, 11, 9, 8, 9, 11, 12, 13, 12, 11, 10, 9, 10, 12, 13, 14]


def write_csv(path, closes=CLOSES):
    day = date(2024, 1, 1)
    prev = closes[0]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Date", "Open", "High", "Low", "Close", "Volume"])
        for k, c in enumerate(closes):
            w.writerow([(day + timedelta(days=k)).isoformat(), prev, max(prev, c), min(prev, c), c, 100])
            prev = c
    return path


def parse(argv):
    p = argparse.ArgumentParser()
    cli.add_arguments(p)
    return p.parse_args(argv)


def run_cli(argv):
    out = io.StringIO()
    code = cli.run(parse(argv), out)
    return code, out.getvalue()


def test_json_has_exactly_the_metric_keys_and_matches_a_direct_run(tmp_path):
    path = write_csv(tmp_path / "AAPL.csv")
    code, out = run_cli(["--strategy", "sma_cross", "--data", str(path), "--param", "fast=2", "--param", "slow=3",
                         "--cash", "1000", "--commission", "0", "--json"])
    assert code == 0
    payload = json.loads(out)
    assert list(payload["metrics"]) == list(METRIC_KEYS)
    assert payload["symbol"] == "AAPL" and payload["params"] == {"fast": 2, "slow": 3, "long_only": False}
    direct = run_backtest(SmaCross(fast=2, slow=3), load_csv(path), BacktestConfig(cash=Decimal(1000), commission=Decimal(0)))
    assert payload["metrics"]["final_equity"] == str(direct.final_equity)
    assert payload["metrics"]["trades"] == len(direct.trades)
    assert payload["metrics"]["bars"] == 20 and payload["metrics"]["start"] == "2024-01-01T00:00:00Z"
    assert payload["metrics"]["max_drawdown_pct"] <= 0


def test_output_files_and_report(tmp_path):
    path = write_csv(tmp_path / "AAPL.csv")
    eq, tr, rep = tmp_path / "eq.csv", tmp_path / "tr.csv", tmp_path / "r.html"
    code, out = run_cli(["--strategy", "sma_cross", "--data", str(path), "--param", "fast=2", "--param", "slow=3",
                         "--equity-out", str(eq), "--trades-out", str(tr), "--report", str(rep)])
    assert code == 0 and "total_return_pct" in out
    rows = list(csv.reader(eq.open()))
    assert rows[0] == ["timestamp", "equity"] and len(rows) == 21
    assert rows[1] == ["2024-01-01T00:00:00Z", "10000"]
    trades = list(csv.DictReader(tr.open()))
    assert trades and trades[0]["side"] == "LONG" and trades[0]["entry_time"] == "2024-01-05T00:00:00Z"
    html = rep.read_text()
    assert "<h2>Metrics</h2>" in html and "sharpe" in html and html.count("<tr>") >= len(METRIC_KEYS) + len(trades)
    svg = html.split("<svg ")[1].split("</svg>")[0]
    ET.fromstring("<svg " + svg + "</svg>")  # well-formed SVG
    assert "<polyline points=" in svg and "Drawdown %" in svg


def test_bad_input_exits_2_and_names_the_problem(tmp_path, capsys):
    path = write_csv(tmp_path / "AAPL.csv")
    assert run_cli(["--strategy", "nope", "--data", str(path)])[0] == 2
    assert "unknown strategy 'nope'" in capsys.readouterr().err
    assert run_cli(["--strategy", "sma_cross", "--data", str(path), "--param", "fast=abc"])[0] == 2
    assert "parameter fast must be int" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Open,High,Low,Close,Volume\n2024-01-01,1,1,1,1,1\n2024-01-02,x,1,1,1,1\n")
    assert run_cli(["--strategy", "sma_cross", "--data", str(bad)])[0] == 2
    assert "line 3" in capsys.readouterr().err
    assert run_cli(["--strategy", "sma_cross"])[0] == 2
    assert run_cli(["--strategy", "sma_cross", "--data", str(tmp_path / "missing.csv")])[0] == 2
    assert run_cli(["--strategy", "sma_cross", "--data", str(path), "--cash", "0"])[0] == 2
    assert "cash must be > 0" in capsys.readouterr().err


def test_list_strategies():
    code, out = run_cli(["--list"])
    assert code == 0 and "sma_cross:" in out and "z_threshold (float, default 2.0)" in out


def test_grid_parsing():
    assert parse_grid("sma_cross", ["fast=2:10:4", "long_only=true,false"]) == {"fast": [2, 6, 10], "long_only": [True, False]}
    assert parse_grid("mean_reversion", ["z_threshold=1:2:0.5"]) == {"z_threshold": [1.0, 1.5, 2.0]}
    assert grid_points({"a": [1, 2], "b": [3, 4]}) == [{"a": 1, "b": 3}, {"a": 1, "b": 4}, {"a": 2, "b": 3}, {"a": 2, "b": 4}]
    for bad in (["fast=5:2"], ["fast=1:5:0"], ["speed=1:2"], ["fast"], ["fast=a:b"], ["fast=1.5:3"]):
        with pytest.raises(ConfigError):
            parse_grid("sma_cross", bad)


def test_optimize_in_a_process_pool(tmp_path, capsys):
    path = write_csv(tmp_path / "AAPL.csv")
    code, out = run_cli(["--strategy", "sma_cross", "--data", str(path), "--optimize", "fast=2:4:1",
                         "--optimize", "slow=3,5", "--maximize", "final_equity", "--workers", "2", "--json",
                         "--commission", "0"])
    assert code == 0
    payload = json.loads(out)
    opt = payload["optimization"]
    # fast 2..4 x slow {3, 5}: (3,3), (4,3) are refused (fast >= slow): 4 runs, 2 skipped
    assert len(opt["runs"]) == 4 and len(opt["skipped"]) == 2
    equities = [Decimal(r["metrics"]["final_equity"]) for r in opt["runs"]]
    assert equities == sorted(equities, reverse=True)
    best = opt["runs"][0]["params"]
    assert payload["params"]["fast"] == best["fast"] and payload["params"]["slow"] == best["slow"]
    assert payload["metrics"]["final_equity"] == opt["runs"][0]["metrics"]["final_equity"]
    # each run equals a direct run with the same parameters
    for r in opt["runs"]:
        direct = run_backtest(SmaCross(**r["params"]), load_csv(path), BacktestConfig(commission=Decimal(0)))
        assert r["metrics"]["final_equity"] == str(direct.final_equity)
    err = capsys.readouterr().err
    assert "optimising [" in err and "4/4" in err
    assert run_cli(["--strategy", "sma_cross", "--data", str(path), "--optimize", "fast=2:3", "--maximize", "luck"])[0] == 2


def test_registered_in_the_app_cli(tmp_path, capsys):
    from trader_app.__main__ import main

    path = write_csv(tmp_path / "AAPL.csv")
    assert main(["backtest", "--strategy", "sma_cross", "--data", str(path), "--param", "fast=2", "--param", "slow=3", "--json"]) == 0
    assert list(json.loads(capsys.readouterr().out)["metrics"]) == list(METRIC_KEYS)


def test_bench_prints_figures():
    out = io.StringIO()
    args = argparse.Namespace(bars=5000, strategy="sma_cross", param=[], seed=1, json=True)
    assert bench_mod.run(args, out) == 0
    figures = json.loads(out.getvalue())
    assert figures["bars"] == 5000 and figures["bars_per_s"] > 0 and figures["peak_rss_mib"] > 0
    args.json = False
    out = io.StringIO()
    assert bench_mod.run(args, out) == 0 and "bars/s" in out.getvalue() and "MiB" in out.getvalue()
    args.strategy = "nope"
    assert bench_mod.run(args, io.StringIO()) == 2


def test_instrument_rules():
    assert instrument_rules("AAPL").lot_size == Decimal(1) and not instrument_rules("AAPL").is_crypto
    btc = instrument_rules("BTC/USDT")
    assert btc.lot_size == Decimal("0.00001") and btc.is_crypto
    assert instrument_rules("XYZ/USDT").lot_size == Decimal("0.00001")
    assert instrument_rules("MSFT").lot_size == Decimal(1)
    assert instrument_rules("BTC/USDT", Decimal("0.1")).lot_size == Decimal("0.1")


def test_optimisation_prints_the_ranked_table_and_puts_the_grid_in_the_report(tmp_path):
    """Issue 13: the CLI printed only the best run."""
    path = write_csv(tmp_path / "AAPL.csv")
    report = tmp_path / "r.html"
    code, out = run_cli(["--strategy", "sma_cross", "--data", str(path), "--optimize", "fast=2:4:1",
                         "--optimize", "slow=3,5", "--maximize", "final_equity", "--workers", "1",
                         "--commission", "0", "--top", "3", "--report", str(report)])
    assert code == 0
    lines = out.splitlines()
    i = lines.index("top 3 of 4 runs by final_equity:")
    header, rows = lines[i + 1].split(), lines[i + 2:i + 5]
    assert header[:3] == ["#", "parameters", "final_equity"]
    assert [r.split()[0] for r in rows] == ["1", "2", "3"]
    values = [Decimal(r.split()[3].replace(",", "")) for r in rows]  # "fast=2, slow=5" splits in two
    assert values == sorted(values, reverse=True)
    html_text = report.read_text()
    assert "Optimisation: 4 runs ranked by final_equity" in html_text and "Grid: fast = 2, 3, 4; slow = 3, 5" in html_text
    assert "(2 skipped)" in html_text and html_text.count("<tr><td>") >= 4
