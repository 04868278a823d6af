"""``python -m trader_app.packaging``: build the bundle, archive it, smoke-run the frozen app.

    python -m trader_app.packaging                     # build + archive + frozen smoke test (CI: add --smoke)
    python -m trader_app.packaging --startup-bench     # ... then time frozen vs venv start-up (median of 5)
    python -m trader_app.packaging --skip-build --startup-bench   # reuse dist/TraderApp

Exit codes: 0 all passed; 1 the frozen smoke test, ``bench fanout`` or ``bench report`` failed; 2 the build failed;
3 the archive is larger than ``--max-archive-mb``; 4 the start-up bench could not run. Figures are printed as ``name: value`` lines.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .build import (
    archive_name,
    bundle_problems,
    executable_path,
    frozen_fanout_check,
    frozen_report_check,
    make_archive,
    median,
    platform_tag,
    project_root,
    read_version,
    run_pyinstaller,
    smoke_test,
    startup_bench,
    tree_size,
    venv_command,
)

MB = 1024 * 1024


def build_parser() -> argparse.ArgumentParser:
    """The command-line options (see the module docstring)."""
    p = argparse.ArgumentParser(prog="python -m trader_app.packaging",
                                description="Build the PyInstaller bundle from build.spec, archive it and "
                                            "smoke-run the frozen app offscreen.")
    p.add_argument("--skip-build", action="store_true", help="use the existing dist/TraderApp")
    p.add_argument("--clean", action="store_true", help="pass --clean to PyInstaller (no cached analysis)")
    p.add_argument("--no-archive", action="store_true", help="do not write the .tar.gz/.zip")
    smoke = p.add_mutually_exclusive_group()
    smoke.add_argument("--smoke", dest="smoke", action="store_true", default=True,
                       help="run the frozen smoke test (the default)")
    smoke.add_argument("--no-smoke", dest="smoke", action="store_false", help="skip the frozen smoke test")
    p.add_argument("--screenshot", type=Path, default=None, metavar="PATH",
                   help="where the frozen smoke test saves its PNG (default build/frozen-smoke.png)")
    p.add_argument("--startup-bench", action="store_true",
                   help="time process start to window shown for the frozen app and the venv trader-app")
    p.add_argument("--runs", type=int, default=5, help="start-ups per bench (median reported; default 5)")
    p.add_argument("--max-archive-mb", type=float, default=150.0,
                   help="fail (exit 3) if the archive is larger (MiB; default 150)")
    p.add_argument("--dist", type=Path, default=None, help="dist directory (default <root>/dist)")
    p.add_argument("--work", type=Path, default=None, help="PyInstaller work dir (default <root>/build/pyinstaller)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the steps the options ask for; prints figures and returns the exit code."""
    args = build_parser().parse_args(argv)
    root = project_root()
    dist = (args.dist or root / "dist").resolve()
    work = (args.work or root / "build" / "pyinstaller").resolve()
    version = read_version(root / "pyproject.toml")
    tag = platform_tag()
    exe = executable_path(dist)
    print(f"version: {version}  platform: {tag}")

    if not args.skip_build:
        try:
            seconds = run_pyinstaller(root, dist, work, clean=args.clean)
        except RuntimeError as exc:
            print(f"build: FAILED: {exc}", file=sys.stderr)
            return 2
        print(f"build time: {seconds:.1f} s")
    if not exe.is_file():
        print(f"build: FAILED: no frozen executable at {exe}", file=sys.stderr)
        return 2
    print(f"dist size: {tree_size(exe.parent) / MB:.1f} MiB ({exe.parent})")
    problems = bundle_problems(exe, root, version)
    if problems:
        for problem in problems:
            print(f"bundle: FAILED: {problem}", file=sys.stderr)
        return 2
    print("bundle contents: every app module, keyring backend, uvicorn/alembic/sqlite module and resource present")

    archive_mb = None
    if not args.no_archive:
        t0 = time.perf_counter()
        archive = make_archive(exe.parent, dist / archive_name(version, tag))
        archive_mb = archive.stat().st_size / MB
        print(f"archive size: {archive_mb:.1f} MiB ({archive}, written in {time.perf_counter() - t0:.1f} s)")

    code = 0
    if args.smoke:
        shot = (args.screenshot or root / "build" / "frozen-smoke.png").resolve()
        require_health = (root / "trader_app" / "webhook" / "server.py").is_file()
        result = smoke_test(exe, shot, require_health=require_health)
        for line in result.output.splitlines():
            print(f"  | {line}")
        if result.ok:
            print(f"frozen smoke test: passed in {result.seconds:.1f} s (screenshot {shot})")
        else:
            print(f"frozen smoke test: FAILED ({'; '.join(result.problems)})", file=sys.stderr)
            code = 1
        for name, check in (("bench fanout (3 accounts, WebSocket order entry)", frozen_fanout_check),
                            ("bench report (weekly report of 2 accounts, matplotlib picture)", frozen_report_check)):
            seconds, output, problems = check(exe)
            for line in output.splitlines():
                print(f"  | {line}")
            if problems:
                print(f"frozen {name}: FAILED ({'; '.join(problems)})", file=sys.stderr)
                code = 1
            else:
                print(f"frozen {name}: passed in {seconds:.1f} s")

    if args.startup_bench:
        try:
            times = startup_bench({"frozen": [str(exe), "--webhook-port", "0"],
                                   "venv": [*venv_command(), "--webhook-port", "0"]}, runs=args.runs)
            frozen, venv = times["frozen"], times["venv"]
        except (RuntimeError, ValueError, OSError) as exc:
            print(f"startup bench: FAILED: {exc}", file=sys.stderr)
            return code or 4
        f_med, v_med = median(frozen), median(venv)
        print("startup frozen (s): " + " ".join(f"{s:.2f}" for s in frozen) + f"  median {f_med:.2f}")
        print("startup venv   (s): " + " ".join(f"{s:.2f}" for s in venv) + f"  median {v_med:.2f}")
        print(f"startup ratio frozen/venv: {f_med / v_med:.2f} (target <= 1.2)")
        if archive_mb is not None:
            print(f"archive size: {archive_mb:.1f} MiB (target < {args.max_archive_mb:.0f})")

    if archive_mb is not None and archive_mb > args.max_archive_mb:
        print(f"archive: FAILED: {archive_mb:.1f} MiB > {args.max_archive_mb:.0f} MiB", file=sys.stderr)
        code = code or 3
    return code


if __name__ == "__main__":
    sys.exit(main())
