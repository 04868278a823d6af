"""``trader-app bench backtest --bars 1000000 --strategy sma_cross``: backtest speed and peak memory.

Generates ``--bars`` one-minute bars of a seeded geometric random walk (BTC/USDT-like, lot 0.00001),
runs the strategy through the real engine (indicators, per-bar loop, fills, trades, metrics; cash
100,000, commission 1 bp so that every signal of the run still fills), and prints
bars per second and the process's peak resident memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss``,
which includes the interpreter and libraries). Target (issue 4): 1,000,000 bars in < 10 s and < 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from decimal import Decimal
from typing import Any, TextIO

import numpy as np

from ..core.errors import TraderError
from ..strategies.base import BarData
from ..strategies.params import parse_param_args
from ..strategies.registry import available, create
from ..backtest.engine import BacktestConfig, run_backtest

MINUTE_MS = 60_000


def synthetic_bars(n: int, seed: int = 1, symbol: str = "BTC/USDT", start_ms: int = 1_704_067_200_000,
                   price: float = 40_000.0, vol_per_bar: float = 0.001) -> BarData:
    """``n`` one-minute bars from a seeded geometric random walk: open = previous close, high/low spread
    around the body, volume uniform in [1, 10)."""
    rng = np.random.default_rng(seed)
    close = price * np.exp(np.cumsum(rng.normal(0.0, vol_per_bar, n)))
    open_ = np.empty(n)
    open_[0] = price
    open_[1:] = close[:-1]
    wick = np.abs(rng.normal(0.0, vol_per_bar / 2, (2, n)))
    high = np.maximum(open_, close) * (1 + wick[0])
    low = np.minimum(open_, close) * (1 - wick[1])
    volume = rng.uniform(1.0, 10.0, n)
    times = start_ms + np.arange(n, dtype=np.int64) * MINUTE_MS
    return BarData(symbol, times, open_, high, low, close, volume)


def _peak_rss_mib() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux


def bench(bars: int, strategy: str, params: dict[str, Any], seed: int = 1) -> dict[str, Any]:
    """Run the benchmark; returns the figures (``bars_per_s``, ``seconds``, ``peak_rss_mib``, ...)."""
    data = synthetic_bars(bars, seed)
    strat = create(strategy, params)
    config = BacktestConfig(cash=Decimal(100_000), commission=Decimal("0.0001"), lot_size=Decimal("0.00001"),
                            is_crypto=True)
    t0 = time.perf_counter()
    result = run_backtest(strat, data, config)
    seconds = time.perf_counter() - t0
    return {
        "strategy": strategy,
        "params": strat.p.as_dict(),
        "bars": bars,
        "seconds": round(seconds, 3),
        "bars_per_s": round(bars / seconds),
        "peak_rss_mib": round(_peak_rss_mib(), 1),
        "trades": len(result.trades),
        "fills": len(result.fills),
        "final_equity": str(result.final_equity),
    }


def register_bench(bench_subparsers: Any) -> None:
    """Add ``bench backtest``."""
    p = bench_subparsers.add_parser("backtest", help="backtest speed (bars/s) and peak memory")
    p.add_argument("--bars", type=int, default=1_000_000, help="number of 1-minute bars (default 1,000,000)")
    p.add_argument("--strategy", default="sma_cross", help=f"one of: {', '.join(available())}")
    p.add_argument("--param", action="append", default=[], metavar="K=V")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``bench backtest``; 0 ok, 2 bad input."""
    out = out or sys.stdout
    try:
        if args.bars < 2:
            raise TraderError("--bars must be >= 2")
        figures = bench(args.bars, args.strategy, parse_param_args(args.param), args.seed)
    except TraderError as exc:
        sys.stderr.write(f"trader-app bench backtest: error: {exc}\n")
        return 2
    if args.json:
        out.write(json.dumps(figures) + "\n")
    else:
        out.write(
            f"backtest {figures['strategy']} {figures['params']}: {figures['bars']:,} bars in "
            f"{figures['seconds']:.2f} s = {figures['bars_per_s']:,} bars/s; peak memory (max RSS) "
            f"{figures['peak_rss_mib']:.0f} MiB; {figures['trades']:,} trades, final equity {figures['final_equity']}\n"
        )
    return 0
