"""Build, archive, smoke-run and time the PyInstaller bundle (``python -m trader_app.packaging``).

Steps (each a function, so CI, tests and people can use them alone):

1. ``run_pyinstaller``: ``python -m PyInstaller build.spec`` -> ``dist/TraderApp/`` (work files in
   ``build/pyinstaller/``).
2. ``make_archive``: ``dist/TraderApp-<version>-<platform>.tar.gz`` (``.zip`` on Windows) holding the
   folder ``TraderApp/``; ``<version>`` from pyproject.toml, ``<platform>`` from ``platform_tag``.
3. ``smoke_test``: the frozen ``trader-app --smoke-test --screenshot PATH`` offscreen, in a temporary
   ``TRADER_APP_HOME``; passes only on exit 0, a written PNG and, when the webhook listener is part of the
   source tree, the ``GET /health`` check line.
4. ``startup_bench``: process start to main window shown (median of N) for a command, read from Qt's own
   ``qt.widgets.showhide`` debug message (``QT_MESSAGE_PATTERN`` stamps it with the wall-clock time), so
   the same measurement works for the frozen app and for the venv ``trader-app`` without instrumenting
   either.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import tomllib
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

__all__ = [
    "APP_NAME",
    "EXE_NAME",
    "project_root",
    "read_version",
    "platform_tag",
    "archive_name",
    "executable_path",
    "tree_size",
    "run_pyinstaller",
    "make_archive",
    "SmokeResult",
    "smoke_test",
    "parse_shown_time",
    "measure_startup",
    "startup_bench",
    "app_modules",
    "bundle_problems",
    "median",
    "venv_command",
]

APP_NAME = "TraderApp"
EXE_NAME = "trader-app"
HEALTH_LINE = "GET /health answers 200"

# Qt logs "Setting visibility of MainWindow(0x...) with attributes [...] to true[ via QWidget]" when the
# top-level window is shown (QWidget::setVisible, category qt.widgets.showhide, Qt 6).
SHOWN_RULES = "*.debug=false;qt.widgets.showhide.debug=true"
SHOWN_PATTERN = "%{if-category}%{category} %{endif}%{time yyyy-MM-ddTHH:mm:ss.zzz} %{message}"
_SHOWN_RE = re.compile(
    r"^qt\.widgets\.showhide (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}) "
    r"Setting visibility of (\w*MainWindow)\(.* to true(?: via \w+)?\s*$"
)


def project_root() -> Path:
    """The source tree holding pyproject.toml and build.spec (this file is trader_app/packaging/build.py)."""
    return Path(__file__).resolve().parents[2]


def read_version(pyproject: Path | str) -> str:
    """``[project] version`` of a pyproject.toml. Raises ``ValueError`` if missing or not a string,
    ``OSError`` if the file cannot be read, ``tomllib.TOMLDecodeError`` if it is not TOML."""
    data = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))
    version = data.get("project", {}).get("version")
    if not isinstance(version, str) or not version.strip():
        raise ValueError(f"{pyproject}: no [project] version")
    return version.strip()


_MACHINES = {"amd64": "x86_64", "x64": "x86_64", "x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64",
             "i386": "x86", "i686": "x86", "x86": "x86"}


def platform_tag(system: str | None = None, machine: str | None = None) -> str:
    """``<os>-<arch>`` for archive names: os is ``linux``/``windows``/``macos`` (else the lower-cased
    ``platform.system()``), arch ``x86_64``/``arm64``/``x86`` (else the lower-cased machine name).
    Example: ``platform_tag("Windows", "AMD64") == "windows-x86_64"``."""
    system = (system if system is not None else platform.system()).lower()
    machine = (machine if machine is not None else platform.machine()).lower()
    os_name = {"linux": "linux", "windows": "windows", "darwin": "macos"}.get(system, system or "unknown")
    return f"{os_name}-{_MACHINES.get(machine, machine or 'unknown')}"


def archive_name(version: str, tag: str, windows: bool | None = None) -> str:
    """``TraderApp-<version>-<tag>.tar.gz``, or ``.zip`` when ``windows`` (default: this OS is Windows).
    Raises ``ValueError`` for an empty version/tag or one containing a path separator."""
    for label, value in (("version", version), ("platform tag", tag)):
        if not value or "/" in value or "\\" in value:
            raise ValueError(f"bad {label} for an archive name: {value!r}")
    windows = sys.platform == "win32" if windows is None else windows
    return f"{APP_NAME}-{version}-{tag}.{'zip' if windows else 'tar.gz'}"


def executable_path(dist_dir: Path | str, windows: bool | None = None) -> Path:
    """The frozen executable inside ``dist_dir``: ``TraderApp/trader-app`` (``.exe`` on Windows)."""
    windows = sys.platform == "win32" if windows is None else windows
    return Path(dist_dir) / APP_NAME / (EXE_NAME + (".exe" if windows else ""))


def tree_size(path: Path | str) -> int:
    """Bytes of every regular file under ``path`` (symlinks are not followed nor counted)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            p = os.path.join(root, name)
            if not os.path.islink(p):
                total += os.path.getsize(p)
    return total


def run_pyinstaller(root: Path, dist_dir: Path, work_dir: Path, clean: bool = False) -> float:
    """Run PyInstaller on ``root/build.spec`` with this interpreter. Returns the wall time in seconds.
    Raises ``RuntimeError`` if PyInstaller is not installed (``pip install -e ".[build]"``) or fails."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise RuntimeError('PyInstaller is not installed: pip install -e ".[build]"') from None
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist_dir), "--workpath", str(work_dir)]
    if clean:
        cmd.append("--clean")
    cmd.append(str(root / "build.spec"))
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=root)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise RuntimeError(f"PyInstaller failed with exit code {done.returncode}")
    return seconds


def make_archive(app_dir: Path | str, out_path: Path | str) -> Path:
    """Pack the folder ``app_dir`` (as its own name at the archive root) into ``out_path``: a zip for
    ``*.zip`` (deflated), else a gzip tar that keeps symlinks and modes. Replaces an existing file.
    Raises ``FileNotFoundError`` if ``app_dir`` is not a directory."""
    app_dir, out_path = Path(app_dir), Path(out_path)
    if not app_dir.is_dir():
        raise FileNotFoundError(f"no such directory: {app_dir}")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".part")
    if out_path.name.endswith(".zip"):
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for path in sorted(app_dir.rglob("*")):
                arcname = str(Path(app_dir.name) / path.relative_to(app_dir))
                if path.is_file():
                    zf.write(path, arcname)
                elif path.is_dir():
                    zf.write(path, arcname + "/")
    else:
        with tarfile.open(tmp, "w:gz", compresslevel=6) as tf:
            tf.add(app_dir, arcname=app_dir.name, recursive=True)
    tmp.replace(out_path)
    return out_path


# Modules the frozen app must contain although nothing imports them by name at build time (keyring
# backends per OS, uvicorn's protocol/loop/lifespan picks, the SQLite dialect, alembic's SQLite DDL) ...
REQUIRED_MODULES = (
    "keyring.backends.SecretService", "keyring.backends.kwallet", "keyring.backends.Windows",
    "keyring.backends.macOS", "secretstorage", "jeepney",
    "uvicorn.protocols.http.h11_impl", "uvicorn.protocols.http.auto", "uvicorn.loops.asyncio",
    "uvicorn.loops.auto", "uvicorn.lifespan.on", "sqlalchemy.dialects.sqlite.pysqlite", "alembic.ddl.sqlite",
    "talib", "talib.abstract", "fastapi", "qasync", "pyqtgraph",
    "matplotlib.backends.backend_agg",  # the reports' equity picture
)
# ... and ones it must not (build.spec's excludes).
FORBIDDEN_MODULES = ("tkinter", "IPython", "polars", "pyqtgraph.opengl", "pytest", "trader_app.packaging")
# Files read at run time, relative to the bundle's contents directory.
REQUIRED_FILES = ("trader_app/resources/__init__.py", "trader_app/resources/theme.qss",
                  "trader_app/resources/icons/trader-app.png", "trader_app/store/migrations/env.py")


def app_modules(root: Path | str) -> list[str]:
    """Every module of the ``trader_app`` package in the source tree ``root`` (dotted names, sorted),
    except the build tooling ``trader_app.packaging`` and the store's alembic scripts (``store/migrations``:
    data files alembic loads from disk, checked by ``REQUIRED_FILES``): all of them must be in the bundle."""
    pkg = Path(root) / "trader_app"
    out = []
    for path in pkg.rglob("*.py"):
        rel = path.relative_to(pkg.parent).with_suffix("")
        parts = list(rel.parts)
        if "__pycache__" in parts:
            continue
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if name == "trader_app.packaging" or name.startswith(("trader_app.packaging.", "trader_app.store.migrations.")):
            continue
        out.append(name)
    return sorted(out)


def bundle_problems(exe: Path | str, root: Path | str, version: str) -> list[str]:
    """What is missing from (or wrongly in) the frozen app next to ``exe``: app and ``REQUIRED_MODULES``
    absent from its PYZ archive, ``FORBIDDEN_MODULES`` present, ``REQUIRED_FILES`` or the
    ``trader_app-<version>.dist-info`` absent. Empty list = complete. Needs PyInstaller (archive reader)."""
    from PyInstaller.archive.readers import CArchiveReader

    exe = Path(exe)
    problems: list[str] = []
    try:
        names = set(CArchiveReader(str(exe)).open_embedded_archive("PYZ.pyz").toc)
    except Exception as exc:  # noqa: BLE001 - any failure to read is itself the finding
        return [f"cannot read the PYZ archive of {exe}: {exc}"]
    missing = [m for m in (*app_modules(root), *REQUIRED_MODULES) if m not in names]
    if missing:
        problems.append("modules missing: " + ", ".join(missing))
    present = [m for m in FORBIDDEN_MODULES if m in names or any(n.startswith(m + ".") for n in names)]
    if present:
        problems.append("excluded modules present: " + ", ".join(present))
    contents = exe.parent / "_internal" if (exe.parent / "_internal").is_dir() else exe.parent
    for rel in REQUIRED_FILES:
        if not (contents / rel).is_file():
            problems.append(f"file missing: {rel}")
    metadata = contents / f"trader_app-{version}.dist-info" / "METADATA"
    if not metadata.is_file() or f"Version: {version}\n" not in metadata.read_text(encoding="utf-8"):
        problems.append(f"version metadata missing or wrong: {metadata}")
    return problems


@dataclass
class SmokeResult:
    """Outcome of one frozen smoke run: exit ``returncode``, wall ``seconds``, combined ``output`` lines,
    the ``screenshot`` path and ``problems`` (empty when it passed)."""

    returncode: int
    seconds: float
    output: str
    screenshot: Path
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _offscreen_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["TRADER_APP_HOME"] = str(home)
    return env


def smoke_test(exe: Path | str, screenshot: Path | str, *, require_health: bool, timeout_s: float = 180.0,
               extra_args: tuple[str, ...] = ()) -> SmokeResult:
    """Run ``exe --smoke-test --screenshot <screenshot>`` offscreen with a throw-away ``TRADER_APP_HOME``.

    Passes when the exit code is 0, the screenshot is a non-empty PNG and (``require_health``) the output
    has the ``ok   GET /health answers 200`` line. Never raises for a failing app: see ``problems``.
    """
    exe, screenshot = Path(exe), Path(screenshot)
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    if screenshot.exists():
        screenshot.unlink()
    with tempfile.TemporaryDirectory(prefix="trader-app-frozen-") as home:
        t0 = time.perf_counter()
        try:
            done = subprocess.run([str(exe), "--smoke-test", "--screenshot", str(screenshot), *extra_args],
                                  env=_offscreen_env(Path(home)), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, errors="replace", timeout=timeout_s)
            code, output = done.returncode, done.stdout
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout or ""
            code, output = -1, (out.decode(errors="replace") if isinstance(out, bytes) else out)
        except OSError as exc:
            code, output = -1, f"cannot start {exe}: {exc}"
        seconds = time.perf_counter() - t0
    result = SmokeResult(code, seconds, output, screenshot)
    if code != 0:
        result.problems.append(f"exit code {code}" + (" (timed out)" if code == -1 else ""))
    if not screenshot.is_file() or not screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n":
        result.problems.append(f"no PNG screenshot at {screenshot}")
    if require_health and not re.search(r"^ok\s+" + re.escape(HEALTH_LINE), output, re.M):
        result.problems.append(f"no '{HEALTH_LINE}' check in the output")
    return result


FANOUT_ARGS = ("bench", "fanout", "--accounts", "3", "--signals", "2", "--sequential-signals", "1",
               "--latency-ms", "1")
_FANOUT_OK = re.compile(r"^orders acknowledged \(NEW or filled\): (\d+)/(\d+)$", re.M)


def _frozen_run(exe: Path | str, args: tuple[str, ...], timeout_s: float) -> tuple[int, float, str]:
    """``(exit code, seconds, output)`` of the frozen ``exe`` with ``args`` in a throw-away home (-1 when it
    timed out or could not start)."""
    with tempfile.TemporaryDirectory(prefix="trader-app-frozen-") as home:
        t0 = time.perf_counter()
        try:
            done = subprocess.run([str(exe), *args], env=_offscreen_env(Path(home)), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, errors="replace", timeout=timeout_s)
            code, output = done.returncode, done.stdout
        except subprocess.TimeoutExpired:
            code, output = -1, "timed out"
        except OSError as exc:
            code, output = -1, f"cannot start {exe}: {exc}"
        return code, time.perf_counter() - t0, output


def frozen_fanout_check(exe: Path | str, *, timeout_s: float = 180.0) -> tuple[float, str, list[str]]:
    """Run a tiny ``trader-app bench fanout`` with the frozen ``exe``: the fake venue in a spawned process,
    its WebSocket order entry (picows, aiofastnet: compiled modules the analysis cannot follow), the executor
    and the journal, all from the bundle. Returns ``(seconds, output, problems)``; passes (no problems) when
    it exits 0 with every order acknowledged. Never raises for a failing app."""
    code, seconds, output = _frozen_run(exe, FANOUT_ARGS, timeout_s)
    problems = [] if code == 0 else [f"exit code {code}"]
    m = _FANOUT_OK.search(output)
    if m is None or m.group(1) != m.group(2) or m.group(1) == "0":
        problems.append("not every order was acknowledged")
    return seconds, output, problems


REPORT_ARGS = ("bench", "report", "--accounts", "2", "--fills", "10", "--signals", "3", "--repeats", "1")
_REPORT_OK = re.compile(r"^numbers [\d.]+ ms .* picture [\d.]+ ms, page [\d.]+ ms", re.M)


def frozen_report_check(exe: Path | str, *, timeout_s: float = 180.0) -> tuple[float, str, list[str]]:
    """Run a tiny ``trader-app bench report`` with the frozen ``exe``: a weekly report built, drawn with
    matplotlib (Agg), rendered and stored, all from the bundle. Returns ``(seconds, output, problems)``; passes
    when it exits 0 and prints its figures. Never raises for a failing app."""
    code, seconds, output = _frozen_run(exe, REPORT_ARGS, timeout_s)
    problems = [] if code == 0 else [f"exit code {code}"]
    if _REPORT_OK.search(output) is None:
        problems.append("no report figures printed")
    return seconds, output, problems


def parse_shown_time(line: str) -> datetime | None:
    """The local wall-clock time of Qt's "main window shown" debug line (see ``SHOWN_PATTERN``), else None."""
    m = _SHOWN_RE.match(line.rstrip("\r\n"))
    return datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f") if m else None


def measure_startup(cmd: list[str], home: Path, timeout_s: float = 120.0) -> float:
    """Seconds from just before starting ``cmd`` to Qt showing its main window; the process is then
    asked to stop (SIGTERM / terminate) and reaped. Raises ``RuntimeError`` if no window is shown
    within ``timeout_s`` or the process exits first. Needs the program's stderr: the windowed (console off)
    Windows/macOS builds have none, so the frozen side of the bench runs on Linux only."""
    env = _offscreen_env(home)
    env["QT_LOGGING_RULES"] = SHOWN_RULES
    env["QT_MESSAGE_PATTERN"] = SHOWN_PATTERN
    started = datetime.now()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            errors="replace")
    shown: list[datetime] = []
    tail: list[str] = []

    def reader() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if not shown:
                when = parse_shown_time(line)
                if when is not None:
                    shown.append(when)
                elif not line.startswith("qt.widgets.showhide"):
                    tail.append(line)
                    del tail[:-20]

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    try:
        while not shown and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        if not shown:
            why = f"exited with {proc.returncode}" if proc.poll() is not None else f"no window in {timeout_s:.0f} s"
            raise RuntimeError(f"{' '.join(cmd)}: {why}\n{''.join(tail)}")
        return (shown[0] - started).total_seconds()
    finally:
        if proc.poll() is None:
            if sys.platform == "win32":
                proc.terminate()
            else:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        thread.join(timeout=5)


def startup_bench(commands: dict[str, list[str]], runs: int = 5, warmup: int = 1) -> dict[str, list[float]]:
    """Start-up times (seconds, process start to main window shown) per named command: ``warmup``
    unmeasured starts each, then ``runs`` rounds in which every command starts once, in turn, so that
    load from other processes on the machine falls on all of them alike. Each command has its own
    throw-away data directory, shared by its starts (the warm-up creates the database, as on a first
    launch; measured starts open an existing one). Raises ``ValueError`` for ``runs < 1``."""
    if runs < 1:
        raise ValueError(f"runs must be >= 1, got {runs}")
    times: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory(prefix="trader-app-bench-") as tmp:
        homes = {name: Path(tmp) / f"home{i}" for i, name in enumerate(commands)}
        for home in homes.values():
            home.mkdir()
        for name, cmd in commands.items():
            for _ in range(warmup):
                measure_startup(cmd, homes[name])
        for _ in range(runs):
            for name, cmd in commands.items():
                times[name].append(measure_startup(cmd, homes[name]))
    return times


def median(values: list[float]) -> float:
    """The median of ``values`` (``statistics.median``)."""
    return statistics.median(values)


def venv_command() -> list[str]:
    """The venv's ``trader-app`` console script next to this interpreter (else ``python -m trader_app``)."""
    script = Path(sys.executable).with_name(EXE_NAME + (".exe" if sys.platform == "win32" else ""))
    if script.is_file():
        return [str(script)]
    found = shutil.which(EXE_NAME)
    return [found] if found else [sys.executable, "-m", "trader_app"]
