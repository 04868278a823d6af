"""The ``trader-app`` command (also ``python -m trader_app``).

``trader-app``                              the terminal window (demo market)
``trader-app --replay FILE.csv [--speed X]`` the window, replaying a CSV's bars as the paper market
``trader-app --smoke-test [--screenshot PATH] [--seconds N]``  start, trade a little, screenshot, verify
``trader-app --version``
Common options: ``--data-dir DIR`` (else ``TRADER_APP_HOME``, else the platform's user data dir),
``--webhook-port N`` (the listener's port; 0 = any free port).

Sub-commands come from the packages that provide them: ``register(subparsers)`` of ``webhook/cli.py``
(``serve``), ``backtest/cli.py`` (``backtest``), ``store/cli.py`` (``backup``, ``restore``) and
``reports/cli.py`` (``report``), and under ``trader-app bench <name>``
``register_bench(bench_subparsers)`` of ``devtools/bench_ui.py`` (``ui``), ``devtools/bench_fanout.py``
(``fanout``), ``devtools/bench_backtest.py`` (``backtest``), ``devtools/bench_chart.py`` (``chart``), ``devtools/bench_crash.py`` (``crash``), ``devtools/bench_report.py`` (``report``) and ``devtools/bench_reconcile.py`` (``reconcile``). They are imported only when a sub-command or
help is asked for (they pull in pandas, the backtester, the fake venue), so the window and ``--version``
start faster. Each sub-parser sets ``func=run`` where ``run(args) -> int`` is the exit code.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .brokers.venues import market_choices



def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, got {value}")
    return value


def build_parser(with_commands: bool = True) -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered (none with ``with_commands=False``)."""
    parser = argparse.ArgumentParser(
        prog="trader-app",
        description="Trader App: a desktop trading terminal for many accounts (paper trading built in).",
    )
    parser.add_argument("--version", action="version", version=f"trader-app {__version__}")
    parser.add_argument("--data-dir", metavar="DIR", help="data directory (default: $TRADER_APP_HOME or the user data dir)")
    markets = market_choices()
    parser.add_argument("--market", choices=tuple(markets), default=None, metavar="MARKET",
                        help=f"where prices come from: {', '.join(markets)} (demo: synthetic, offline; the others: "
                             "the venue's live prices, no key); paper accounts trade on them. Default: the last "
                             "choice (View > Market)")
    parser.add_argument("--replay", metavar="FILE.csv", help="replay an OHLCV CSV as the paper market")
    parser.add_argument("--speed", type=_positive_float, default=None, metavar="X",
                        help="replay speed in bars per second (default 10)")
    parser.add_argument("--webhook-port", type=_port, default=None, metavar="N",
                        help="webhook listener port (default from settings, 8780; 0 = any free port)")
    parser.add_argument("--smoke-test", action="store_true",
                        help="start the window, place paper orders, screenshot, exit 0 if everything worked")
    parser.add_argument("--screenshot", metavar="PATH", type=Path, help="with --smoke-test: save a PNG of the window")
    parser.add_argument("--seconds", type=_non_negative_float, default=5.0, metavar="N",
                        help="with --smoke-test: seconds to let the market run after the orders (default 5)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output on stderr (-vv: debug)")
    if not with_commands:
        return parser
    from .backtest import cli as backtest_cli
    from .devtools import (bench_backtest, bench_chart, bench_crash, bench_fanout, bench_fuzz, bench_reconcile,
                           bench_report, bench_ui, bench_venue)
    from .reports import cli as report_cli
    from .store import cli as store_cli
    from .webhook import cli as serve_cli

    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (serve_cli, backtest_cli, store_cli, report_cli):
        module.register(subparsers)
    bench = subparsers.add_parser("bench", help="benchmarks (print figures)")
    bench_sub = bench.add_subparsers(dest="bench", metavar="NAME", required=True)
    for module in (bench_ui, bench_fanout, bench_backtest, bench_crash, bench_venue, bench_chart, bench_fuzz,
                   bench_report, bench_reconcile):
        module.register_bench(bench_sub)
    return parser


def _configure_logging(verbose: int) -> None:
    level = logging.WARNING if verbose <= 0 else (logging.INFO if verbose == 1 else logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:  # the app raises trader_app's level for the Log panel;
        handler.setLevel(level)                   # stderr keeps the level asked for here


def _wants_commands(argv: Sequence[str]) -> bool:
    """Whether ``argv`` names a sub-command or asks for help: only then are the sub-command modules imported
    (they pull in pandas, the backtester, the fake venue...), so the window and ``--version`` start faster."""
    for token in argv:
        if token in ("-h", "--help"):
            return True
        if token == "--":
            return False
        if not token.startswith("-"):
            return True  # a sub-command (or an option's value: then importing is merely unneeded work)
    return False


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the command; returns the exit code (also the process exit status)."""
    import multiprocessing

    # In the frozen bundle, worker processes of the optimiser/backtest pool re-run this executable:
    # freeze_support() turns such a start into the worker it should be (no-op outside a bundle).
    multiprocessing.freeze_support()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(with_commands=_wants_commands(argv))
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    if getattr(args, "func", None) is not None:
        return int(args.func(args) or 0)
    if args.screenshot is not None and not args.smoke_test:
        parser.error("--screenshot goes with --smoke-test")
    if args.speed is not None and not args.replay:
        parser.error("--speed goes with --replay")

    from .app.window import run_smoke_test, run_window
    from .config import Settings, open_log_file, resolve_data_dir
    from .core.errors import TraderError

    try:
        if args.smoke_test:
            if args.replay:
                parser.error("--smoke-test runs on the demo market; drop --replay")
            if args.market not in (None, "demo"):
                parser.error("--smoke-test runs on the demo market (offline); drop --market")
            data_dir = resolve_data_dir(args.data_dir) if args.data_dir else None
            return run_smoke_test(data_dir, seconds=args.seconds, screenshot=args.screenshot,
                                  webhook_port=args.webhook_port)
        if args.replay and not Path(args.replay).is_file():
            parser.error(f"--replay: no such file: {args.replay}")
        if args.replay and args.market:
            parser.error("--replay is the market: drop --market")
        data_dir = resolve_data_dir(args.data_dir)
        settings = Settings.load(data_dir, create=True)
        open_log_file(data_dir)
        if args.market:
            settings.market.source = args.market  # this run; View > Market saves a choice
        return run_window(data_dir, settings, replay=args.replay, speed=args.speed, webhook_port=args.webhook_port)
    except TraderError as exc:
        print(f"trader-app: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
