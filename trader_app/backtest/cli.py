"""``trader-app backtest``: run a strategy over a CSV of bars, print metrics, write the equity curve, the
trades and an HTML report, or optimise parameters over a grid in a process pool.

    trader-app backtest --strategy NAME --data FILE.csv [--symbol S] [--cash 10000] [--commission 0.002]
        [--slippage 0] [--lot-size X] [--param k=v ...] [--json] [--equity-out FILE.csv]
        [--trades-out FILE.csv] [--report FILE.html] [--optimize k=1:10:1 ... --maximize sharpe] [--workers N]
    trader-app backtest --list            strategies and their parameters

``--json`` prints one object ``{"strategy", "symbol", "params", "metrics"}`` (plus ``"optimization"``
with ``--optimize``); ``metrics`` has exactly ``analytics.METRIC_KEYS``; money as decimal strings,
undefined numbers as null. Exit codes: 0 done, 2 bad input (message on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from typing import Any, TextIO

from ..analytics import METRIC_KEYS, metrics_to_json
from ..core.errors import DataImportError, TraderError
from ..core.money import to_decimal
from ..strategies.params import parse_param_args
from ..strategies.registry import STRATEGIES, available, create
from .data import instrument_rules, load_csv
from .engine import BacktestConfig, run_backtest
from .parallel import MAXIMIZABLE, RunSpec, optimize, parse_grid
from .report import ranking_header, ranking_rows, write_report
from .result import wiped_out


def _decimal_arg(name: str):
    def parse(text: str) -> Decimal:
        try:
            return to_decimal(text, name)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def register(subparsers: Any) -> None:
    """Add the ``backtest`` sub-command (``set_defaults(func=run)``)."""
    p = subparsers.add_parser(
        "backtest",
        help="run a strategy over historical bars (metrics, equity, trades, report, optimisation)",
        description="Backtest a strategy on an OHLCV CSV: orders decided at a bar's close fill at the next "
        "bar's open, commission on every fill, the last trade closed at the final close.",
    )
    add_arguments(p)
    p.set_defaults(func=run)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``backtest`` options (also used by tests with a local parser)."""
    p.add_argument("--strategy", metavar="NAME", help=f"one of: {', '.join(available())}")
    p.add_argument("--data", metavar="FILE.csv", help="OHLCV CSV (Date/Datetime/Timestamp,Open,High,Low,Close,Volume or Binance klines)")
    p.add_argument("--symbol", metavar="S", help="symbol (default: from the file name); sets lot size and crypto/stock")
    p.add_argument("--cash", type=_decimal_arg("cash"), default=Decimal(10000), help="initial cash (default 10000)")
    p.add_argument("--commission", type=_decimal_arg("commission"), default=Decimal("0.002"),
                   help="commission as a fraction of notional per fill (default 0.002)")
    p.add_argument("--slippage", type=_decimal_arg("slippage"), default=Decimal(0),
                   help="slippage as a fraction of price on market and stop fills (default 0)")
    p.add_argument("--lot-size", type=_decimal_arg("lot size"), default=None,
                   help="quantity step (default: the instrument's; 1 for stocks, 0.00001 for unknown crypto pairs)")
    p.add_argument("--param", action="append", default=[], metavar="K=V", help="strategy parameter (repeatable)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--equity-out", metavar="FILE.csv", help="write timestamp,equity per bar")
    p.add_argument("--trades-out", metavar="FILE.csv", help="write the trades")
    p.add_argument("--report", metavar="FILE.html", help="write an HTML report (equity and drawdown chart, metrics, trades)")
    p.add_argument("--optimize", action="append", default=[], metavar="K=START:STOP[:STEP]|K=A,B",
                   help="grid of a parameter (repeatable); runs in a process pool")
    p.add_argument("--maximize", default="sharpe", metavar="METRIC", help=f"metric to maximise (default sharpe): {', '.join(MAXIMIZABLE)}")
    p.add_argument("--workers", type=int, default=None, metavar="N", help="worker processes for --optimize (default: cores)")
    p.add_argument("--top", type=int, default=10, metavar="N",
                   help="with --optimize: how many ranked runs to print (default 10; the report lists all)")
    p.add_argument("--list", action="store_true", help="list the strategies and their parameters")


class TerminalProgress:
    """A one-line progress bar on ``stream`` (stderr): ``label [#####-----] done/total``."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width

    def __call__(self, done: int, total: int) -> None:
        filled = int(self.width * done / total) if total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _list(out: TextIO) -> None:
    for name in available():
        cls = STRATEGIES[name]
        out.write(f"{name}: {cls.description}\n")
        for p in cls.params:
            bounds = ""
            if p.min is not None or p.max is not None:
                bounds = f" [{'' if p.min is None else f'{p.min:g}'}..{'' if p.max is None else f'{p.max:g}'}]"
            choices = f" {{{', '.join(p.choices)}}}" if p.choices else ""
            out.write(f"    {p.name} ({p.type.__name__}, default {p.default!r}){bounds}{choices}: {p.help}\n")


MONEY_KEYS = ("final_equity", "commissions")


def _print_metrics(result_json: dict[str, Any], out: TextIO) -> None:
    out.write(f"{result_json['strategy']} on {result_json['symbol']}  params: "
              f"{', '.join(f'{k}={v}' for k, v in result_json['params'].items())}\n")
    m = result_json["metrics"]
    for key in METRIC_KEYS:
        v = m[key]
        if v is None:
            text = "-"
        elif isinstance(v, float):
            text = f"{v:,.4f}"
        elif key in MONEY_KEYS:  # cash at cents for the reader; --json keeps the exact decimal string
            text = f"{Decimal(v):,.2f}"
        else:
            text = str(v)
        out.write(f"  {key:<28} {text}\n")
    if result_json.get("liquidation"):
        liq = result_json["liquidation"]
        out.write(f"WIPED OUT at bar {liq['bar']} ({liq['time']}): the short of {liq['quantity']} was liquidated "
                  f"at {liq['price']} where equity reached zero; no orders after")
        out.write(f" ({liq['deficit']} lost in a gap written off)\n" if Decimal(liq["deficit"]) else "\n")


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run the command; returns the exit code (0 ok, 2 bad input with the reason on stderr)."""
    out = out or sys.stdout
    if args.list:
        _list(out)
        return 0
    try:
        if not args.strategy or not args.data:
            raise TraderError("--strategy and --data are required (see --list for strategies)")
        params = parse_param_args(args.param)
        create(args.strategy, params)  # validates names and values before any work
        data = load_csv(args.data, args.symbol)
        rules = instrument_rules(data.symbol, args.lot_size)
        config = BacktestConfig(cash=args.cash, commission=args.commission, slippage=args.slippage,
                                lot_size=rules.lot_size, min_qty=rules.min_qty, is_crypto=rules.is_crypto)
        optimization = None
        if args.optimize:
            grid = parse_grid(args.strategy, args.optimize)
            spec = RunSpec(args.strategy, params, data_path=str(args.data), symbol=data.symbol, config=config)
            opt = optimize(spec, grid, args.maximize, args.workers, TerminalProgress("optimising"))
            if opt.best is None:
                raise TraderError("no parameter combination of the grid is valid: "
                                  + "; ".join(s["reason"] for s in opt.skipped[:3]))
            params = {**params, **opt.best["params"]}
            optimization = {"maximize": opt.maximize, "grid": grid, "runs": opt.runs, "skipped": opt.skipped}
        result = run_backtest(create(args.strategy, params), data, config)
    except (TraderError, DataImportError, OSError) as exc:
        sys.stderr.write(f"trader-app backtest: error: {exc}\n")
        return 2
    payload = result.to_json()
    if optimization is not None:
        payload["optimization"] = optimization
    if args.json:
        out.write(json.dumps(payload, default=str) + "\n")
    else:
        _print_metrics(payload, out)
        if optimization is not None:
            _print_ranking(optimization, args.top, out)
            best = ", ".join(f"{k}={v}" for k, v in params.items())
            if wiped_out(optimization["runs"][0]):
                out.write(f"every run of the grid was wiped out; the least bad by {args.maximize}: {best}\n")
            else:
                out.write(f"best of {len(optimization['runs'])} runs by {args.maximize}: {best}\n")
    try:
        if args.equity_out:
            result.write_equity_csv(args.equity_out)
        if args.trades_out:
            result.write_trades_csv(args.trades_out)
        if args.report:
            write_report(result, args.report, optimization)
    except OSError as exc:
        sys.stderr.write(f"trader-app backtest: error: cannot write output: {exc}\n")
        return 2
    return 0


def _print_ranking(optimization: dict[str, Any], top: int, out: Any) -> None:
    """The best ``top`` runs of the grid as an aligned table."""
    header = ranking_header(optimization)
    rows = ranking_rows(optimization, max(1, top))
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    out.write(f"top {len(rows)} of {len(optimization['runs'])} runs by {optimization['maximize']}:\n")
    for row in [header] + rows:
        out.write("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))) + "\n")


__all__ = ["register", "run", "add_arguments", "TerminalProgress", "metrics_to_json"]
