"""The command line: --version, argument checks, sub-command registration, and the smoke test end to end."""

import os
import subprocess
import sys

import pytest

from trader_app import __version__
from trader_app.__main__ import build_parser, main


def test_version_in_process(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"trader-app {__version__}"


def test_version_as_a_module():
    out = subprocess.run([sys.executable, "-m", "trader_app", "--version"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    assert out.stdout.strip() == f"trader-app {__version__}"


def test_bad_arguments_are_refused(capsys):
    for argv, message in (
        (["--speed", "0", "--replay", "x.csv"], "must be > 0"),
        (["--webhook-port", "70000"], "port must be 0..65535"),
        (["--screenshot", "x.png"], "--screenshot goes with --smoke-test"),
        (["--speed", "2"], "--speed goes with --replay"),
    ):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2
        assert message in capsys.readouterr().err


def test_bench_ui_is_registered():
    args = build_parser().parse_args(["bench", "ui", "--symbols", "50", "--rate", "1000", "--seconds", "2"])
    assert (args.symbols, args.rate, args.seconds) == (50, 1000.0, 2.0)
    from trader_app.devtools import bench_ui as bench

    assert args.func is bench.run


def test_percentile_nearest_rank():
    from trader_app.devtools.bench_ui import percentile

    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 99) == 3.0
    assert percentile([], 50) == 0.0


@pytest.mark.slow
def test_smoke_test_end_to_end(tmp_path):
    shot = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", TRADER_APP_HOME=str(tmp_path / "home"))
    out = subprocess.run(
        [sys.executable, "-m", "trader_app", "--smoke-test", "--screenshot", str(shot), "--seconds", "1"],
        capture_output=True, text=True, timeout=240, env=env,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "smoke test passed" in out.stdout
    assert "FAIL" not in out.stdout
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert not (tmp_path / "home" / "trader.db").exists()  # a temporary data dir, never the user's


def test_a_file_as_data_directory_is_named_as_such(tmp_path, capsys):
    """Issue 13: ``--data-dir /etc/passwd`` said "File exists"; it says what is wrong and changes nothing."""
    from trader_app.config import resolve_data_dir
    from trader_app.core.errors import ConfigError

    afile = tmp_path / "passwd"
    afile.write_text("root:x:0:0\n")
    with pytest.raises(ConfigError, match="is not a directory"):
        resolve_data_dir(afile)
    with pytest.raises(ConfigError, match="is a file, not a directory"):
        resolve_data_dir(afile / "sub")
    assert afile.read_text() == "root:x:0:0\n"
    assert main(["--data-dir", str(afile)]) == 2
    assert "is not a directory" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["serve", "--help"], ["bench", "fanout", "--help"], ["bench", "venue", "--help"],
                                  ["bench", "crash", "--help"], ["bench", "ui", "--help"], ["backtest", "--help"],
                                  ["--help"]])
def test_help_texts_are_for_traders(argv, capsys):
    """Issue 13: help is short and plain (no developer notes, no reStructuredText backticks)."""
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "``" not in out
    head = out.split("options:")[0]  # the usage and the description: options are listed after it
    assert len(head.splitlines()) <= 20, head
