"""Backtests and parameter grids in worker processes (CPU-heavy work never runs on the app's loop).

- :class:`RunSpec` says what to run (strategy, parameters, data file or bars, settings); it pickles small:
  a worker loads a data file once and keeps it for the next runs.
- :func:`parse_grid` turns ``--optimize fast=5:20:5 slow=30,50`` into value lists typed by the
  strategy's declared parameters; :func:`grid_points` expands the cartesian product.
- :func:`optimize` runs every grid point in a ``ProcessPoolExecutor`` and ranks them by one metric;
  ``progress(done, total)`` is called in the parent as runs finish.
Beyond one machine's cores, sweeps belong on an existing distributed engine (Ray/Dask; DESIGN.md).
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from ..analytics import METRIC_KEYS, metrics_to_json
from ..core.errors import ConfigError
from ..strategies.base import BarData
from ..strategies.params import Param
from ..strategies.registry import create, strategy_class
from .data import load_csv
from .engine import BacktestConfig, run_backtest
from .result import BacktestResult, wiped_out

_NON_NUMERIC = {"start", "end"}
MAXIMIZABLE = tuple(k for k in METRIC_KEYS if k not in _NON_NUMERIC)


@dataclass(frozen=True)
class RunSpec:
    """One backtest: ``strategy`` name and ``params``; bars from ``data_path`` (CSV, with ``symbol``) or
    ``data`` (in memory); ``config`` the money settings."""

    strategy: str
    params: Mapping[str, Any] = field(default_factory=dict)
    data_path: str | None = None
    symbol: str | None = None
    data: BarData | None = None
    config: BacktestConfig = field(default_factory=BacktestConfig)

    def with_params(self, params: Mapping[str, Any]) -> "RunSpec":
        return replace(self, params={**self.params, **params})


_DATA_CACHE: dict[tuple[str, str | None], BarData] = {}
_PROGRESS_QUEUE: Any = None


def _bars(spec: RunSpec) -> BarData:
    if spec.data is not None:
        return spec.data
    if spec.data_path is None:
        raise ConfigError("no data: give a CSV file or bars")
    key = (spec.data_path, spec.symbol)
    if key not in _DATA_CACHE:
        _DATA_CACHE.clear()
        _DATA_CACHE[key] = load_csv(spec.data_path, spec.symbol)
    return _DATA_CACHE[key]


def run_spec(spec: RunSpec, progress: Callable[[float], None] | None = None) -> BacktestResult:
    """Run one spec in this process. Raises ``ConfigError``/``DataImportError`` for bad input."""
    strategy = create(spec.strategy, spec.params)
    return run_backtest(strategy, _bars(spec), spec.config, progress)


def _init_worker(queue: Any) -> None:
    global _PROGRESS_QUEUE
    _PROGRESS_QUEUE = queue


def run_spec_reporting(spec: RunSpec) -> BacktestResult:
    """Worker entry for a single run whose progress (fraction 0..1) goes to the queue given to the pool's
    initializer (see :func:`process_pool`)."""
    queue = _PROGRESS_QUEUE
    return run_spec(spec, (lambda f: queue.put(f)) if queue is not None else None)


def _summary_of(spec: RunSpec) -> dict[str, Any]:
    res = run_spec(spec)
    return {"params": dict(spec.params), "metrics": metrics_to_json(res.metrics),
            "liquidation": res.liquidation.as_json() if res.liquidation else None}


def process_pool(workers: int | None = None, progress_queue: Any = None) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes (default: the machine's cores) started with ``spawn`` (safe next to
    Qt and threads); ``progress_queue`` (a ``multiprocessing`` queue) receives single-run progress."""
    ctx = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1, mp_context=ctx,
                               initializer=_init_worker, initargs=(progress_queue,))


# ---- grids -------------------------------------------------------------------------------------------
def _values_for(param: Param, text: str) -> list[Any]:
    if ":" in text:
        parts = text.split(":")
        if len(parts) not in (2, 3):
            raise ConfigError(f"--optimize {param.name}: use start:stop[:step], got {text!r}")
        try:
            start, stop = float(parts[0]), float(parts[1])
            step = float(parts[2]) if len(parts) == 3 else 1.0
        except ValueError:
            raise ConfigError(f"--optimize {param.name}: numbers expected in {text!r}") from None
        if step <= 0 or stop < start:
            raise ConfigError(f"--optimize {param.name}: need start <= stop and step > 0, got {text!r}")
        count = int(math.floor((stop - start) / step + 1e-9)) + 1
        raw: list[Any] = [round(start + k * step, 12) for k in range(count)]
    else:
        raw = [v.strip() for v in text.split(",") if v.strip()]
    if not raw:
        raise ConfigError(f"--optimize {param.name}: no values in {text!r}")
    return [param.parse(v) for v in raw]


def parse_grid(strategy: str, items: Iterable[str]) -> dict[str, list[Any]]:
    """``["fast=5:20:5", "long_only=true,false"]`` -> ``{"fast": [5, 10, 15, 20], "long_only": [True, False]}``.

    ``start:stop[:step]`` includes ``stop`` when the steps land on it; comma lists are taken as given.
    Values are parsed by the strategy's declared ``Param`` (type, bounds). Raises ``ConfigError``.
    """
    decl = {p.name: p for p in strategy_class(strategy).params}
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--optimize expects name=start:stop:step or name=a,b,c, got {item!r}")
        if key not in decl:
            raise ConfigError(f"unknown parameter {key!r} for {strategy} (parameters: {', '.join(decl)})")
        grid[key] = _values_for(decl[key], text.strip())
    return grid


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """The cartesian product of ``grid`` as parameter dicts, in order (last key varies fastest)."""
    keys = list(grid)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]


@dataclass
class OptimizationResult:
    """Every run's ``{"params", "metrics"}`` (JSON values) ranked best first by ``maximize``; runs whose
    parameters the strategy refuses (e.g. fast >= slow) are listed in ``skipped`` with the reason."""

    maximize: str
    runs: list[dict[str, Any]]
    skipped: list[dict[str, Any]]

    @property
    def best(self) -> dict[str, Any] | None:
        return self.runs[0] if self.runs else None


def _score(run: Mapping[str, Any], key: str) -> tuple[int, float]:
    """Sort key, higher is better: every run that kept its account ranks above every wiped-out run
    (whatever its Sharpe on the way down), then by the metric; ``null``/``nan`` last within each tier."""
    v = run["metrics"].get(key)
    if isinstance(v, str):
        v = float(Decimal(v))
    value = v if isinstance(v, (int, float)) and not math.isnan(v) else -math.inf
    return (0 if wiped_out(run) else 1, value)


def optimize(
    spec: RunSpec,
    grid: Mapping[str, Sequence[Any]],
    maximize: str = "sharpe",
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    executor: ProcessPoolExecutor | None = None,
) -> OptimizationResult:
    """Run ``spec`` for every grid point in a process pool; rank by the metric ``maximize`` (one of
    :data:`MAXIMIZABLE`; ``null`` values rank last). Raises ``ConfigError`` for an unknown metric or an
    empty grid; a worker's ``ConfigError`` for one point skips that point."""
    if maximize not in MAXIMIZABLE:
        raise ConfigError(f"--maximize must be one of {', '.join(MAXIMIZABLE)}, got {maximize!r}")
    points = grid_points(grid)
    if not points:
        raise ConfigError("the optimisation grid is empty")
    cls = strategy_class(spec.strategy)
    valid: list[RunSpec] = []
    skipped: list[dict[str, Any]] = []
    for point in points:
        candidate = spec.with_params(point)
        try:
            cls(dict(candidate.params))
        except ConfigError as exc:
            skipped.append({"params": point, "reason": str(exc)})
            continue
        valid.append(candidate)
    total = len(valid)
    runs: list[dict[str, Any]] = []
    own = executor is None
    pool = executor or process_pool(min(workers or os.cpu_count() or 1, max(total, 1)))
    try:
        futures: set[Future] = {pool.submit(_summary_of, s) for s in valid}
        if progress:
            progress(0, total)
        while futures:
            done, futures = wait(futures, return_when=FIRST_COMPLETED)
            for fut in done:
                runs.append(fut.result())
            if progress:
                progress(len(runs), total)
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    runs.sort(key=lambda r: _score(r, maximize), reverse=True)
    return OptimizationResult(maximize, runs, skipped)
