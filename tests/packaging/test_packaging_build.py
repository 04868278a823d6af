"""Pure parts of the packaging pipeline: version, names, archives, the start-up marker, ELF NEEDED
parsing and the GTK-only pruning. The PyInstaller build itself runs in CI (``python -m trader_app.packaging``),
never inside pytest."""

from __future__ import annotations

import ast
import os
import struct
import sys
import tarfile
import tomllib
import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from trader_app.packaging.binaries import elf_needed, prune_only_needed_by
from trader_app.packaging.build import (
    archive_name,
    executable_path,
    frozen_fanout_check,
    frozen_report_check,
    make_archive,
    parse_shown_time,
    platform_tag,
    project_root,
    read_version,
    tree_size,
)

ROOT = Path(__file__).resolve().parents[2]


def test_project_root_is_the_checkout():
    assert project_root() == ROOT
    assert (ROOT / "build.spec").is_file()


def test_read_version_matches_pyproject(tmp_path):
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert read_version(ROOT / "pyproject.toml") == expected
    f = tmp_path / "pyproject.toml"
    f.write_text('[project]\nname = "x"\nversion = " 2.10.3 "\n')
    assert read_version(f) == "2.10.3"
    f.write_text('[project]\nname = "x"\n')
    with pytest.raises(ValueError, match="no \\[project\\] version"):
        read_version(f)
    f.write_text('[project]\nversion = 3\n')
    with pytest.raises(ValueError):
        read_version(f)


def test_platform_tag_normalises():
    assert platform_tag("Linux", "x86_64") == "linux-x86_64"
    assert platform_tag("Linux", "aarch64") == "linux-arm64"
    assert platform_tag("Windows", "AMD64") == "windows-x86_64"
    assert platform_tag("Darwin", "arm64") == "macos-arm64"
    assert platform_tag("FreeBSD", "riscv64") == "freebsd-riscv64"


def test_archive_name():
    assert archive_name("0.1.0", "linux-x86_64", windows=False) == "TraderApp-0.1.0-linux-x86_64.tar.gz"
    assert archive_name("1.2.3", "windows-x86_64", windows=True) == "TraderApp-1.2.3-windows-x86_64.zip"
    for bad in ("", "1/2", "..\\x"):
        with pytest.raises(ValueError):
            archive_name(bad, "linux-x86_64", windows=False)
    with pytest.raises(ValueError):
        archive_name("1.0", "", windows=False)


def test_executable_path():
    assert executable_path("/d", windows=False) == Path("/d/TraderApp/trader-app")
    assert executable_path("/d", windows=True) == Path("/d/TraderApp/trader-app.exe")


def _app_tree(tmp_path: Path) -> Path:
    app = tmp_path / "TraderApp"
    (app / "_internal" / "sub").mkdir(parents=True)
    (app / "trader-app").write_bytes(b"\x7fELF" + b"\0" * 96)
    (app / "trader-app").chmod(0o755)
    (app / "_internal" / "sub" / "data.txt").write_text("hello")
    if sys.platform != "win32":
        os.symlink("sub/data.txt", app / "_internal" / "link.txt")
    return app


def test_tree_size_counts_files_not_symlinks(tmp_path):
    app = _app_tree(tmp_path)
    assert tree_size(app) == 100 + 5


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks and modes")
def test_tar_archive_round_trip(tmp_path):
    app = _app_tree(tmp_path)
    out = make_archive(app, tmp_path / "out" / "TraderApp-0.1.0-linux-x86_64.tar.gz")
    assert out.is_file() and not out.with_name(out.name + ".part").exists()
    with tarfile.open(out) as tf:
        members = {m.name: m for m in tf.getmembers()}
        assert sorted(members) == ["TraderApp", "TraderApp/_internal", "TraderApp/_internal/link.txt",
                                   "TraderApp/_internal/sub", "TraderApp/_internal/sub/data.txt",
                                   "TraderApp/trader-app"]
        assert members["TraderApp/_internal/link.txt"].issym()
        assert members["TraderApp/_internal/link.txt"].linkname == "sub/data.txt"
        assert members["TraderApp/trader-app"].mode & 0o777 == 0o755
        assert tf.extractfile("TraderApp/_internal/sub/data.txt").read() == b"hello"


def test_zip_archive_round_trip(tmp_path):
    app = _app_tree(tmp_path)
    out = make_archive(app, tmp_path / "TraderApp-0.1.0-windows-x86_64.zip")
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert "TraderApp/trader-app" in names
        assert zf.read("TraderApp/_internal/sub/data.txt") == b"hello"
        assert zf.getinfo("TraderApp/_internal/sub/data.txt").compress_type == zipfile.ZIP_DEFLATED
    with pytest.raises(FileNotFoundError):
        make_archive(tmp_path / "missing", tmp_path / "x.tar.gz")


def test_parse_shown_time_reads_qt_showhide_line():
    line = ("qt.widgets.showhide 2026-03-04T05:06:07.089 Setting visibility of MainWindow(0x55d8, "
            'name="MainWindow") with attributes [WA_WState_Hidden,WA_Resized] to true\n')
    assert parse_shown_time(line) == datetime(2026, 3, 4, 5, 6, 7, 89000)
    assert parse_shown_time(line.replace("to true", "to false")) is None
    assert parse_shown_time(line.replace("to true", "to true via QWidget")) == datetime(2026, 3, 4, 5, 6, 7, 89000)
    child = "qt.widgets.showhide 2026-03-04T05:06:07.089 Setting visibility of QScrollBar(0x1) with [] to true"
    assert parse_shown_time(child) is None
    assert parse_shown_time("2026-03-04 05:06:07,089 INFO trader_app: MainWindow to true") is None


# --- ELF NEEDED ------------------------------------------------------------------------------------


def make_elf64(needed: list[str]) -> bytes:
    """A minimal little-endian ELF64 file: null section, .dynstr, .dynamic with DT_NEEDED entries."""
    strtab = b"\0"
    offsets = []
    for name in needed:
        offsets.append(len(strtab))
        strtab += name.encode() + b"\0"
    dynamic = b"".join(struct.pack("<qQ", 1, off) for off in offsets) + struct.pack("<qQ", 0, 0)
    str_off = 64
    dyn_off = str_off + len(strtab)
    sh_off = dyn_off + len(dynamic)
    header = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    header += struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, 0, sh_off, 0, 64, 0, 0, 64, 3, 0)
    null = b"\0" * 64
    sh_str = struct.pack("<IIQQQQIIQQ", 0, 3, 0, 0, str_off, len(strtab), 0, 0, 1, 0)
    sh_dyn = struct.pack("<IIQQQQIIQQ", 0, 6, 0, 0, dyn_off, len(dynamic), 1, 0, 8, 16)
    return header + strtab + dynamic + null + sh_str + sh_dyn


def test_elf_needed_reads_dt_needed(tmp_path):
    f = tmp_path / "libx.so"
    f.write_bytes(make_elf64(["libQt6Core.so.6", "libc.so.6"]))
    assert elf_needed(f) == ["libQt6Core.so.6", "libc.so.6"]
    f.write_bytes(b"not an elf at all")
    assert elf_needed(f) == []
    f.write_bytes(make_elf64(["a"])[:80])
    with pytest.raises(ValueError, match="outside the file"):
        elf_needed(f)


def test_prune_keeps_libraries_other_binaries_still_need():
    needed = {
        "src/libqgtk3.so": ["libgtk-3.so.0", "libQt6Gui.so.6", "libglib-2.0.so.0"],
        "src/libgtk-3.so.0": ["libcairo.so.2", "libpango-1.0.so.0", "libglib-2.0.so.0"],
        "src/libcairo.so.2": ["libpng16.so.16", "libpixman-1.so.0"],
        "src/libpango-1.0.so.0": ["libglib-2.0.so.0"],
        "src/libQt6Gui.so.6": ["libQt6Core.so.6", "libpng16.so.16"],
        "src/libQt6Core.so.6": ["libglib-2.0.so.0"],
        "src/libqxcb.so": ["libQt6Gui.so.6"],
    }
    entries = [
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", "src/libqgtk3.so", "BINARY"),
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "src/libqxcb.so", "BINARY"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "src/libQt6Gui.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6Core.so.6", "src/libQt6Core.so.6", "BINARY"),
        ("libgtk-3.so.0", "src/libgtk-3.so.0", "BINARY"),
        ("libcairo.so.2", "src/libcairo.so.2", "BINARY"),
        ("libpango-1.0.so.0", "src/libpango-1.0.so.0", "BINARY"),
        ("libpixman-1.so.0", "src/libpixman-1.so.0", "BINARY"),
        ("libpng16.so.16", "src/libpng16.so.16", "BINARY"),
        ("libglib-2.0.so.0", "src/libglib-2.0.so.0", "BINARY"),
        ("talib/_ta_lib.so", "src/_ta_lib.so", "EXTENSION"),
    ]
    gone = prune_only_needed_by(entries, lambda dest: dest.endswith("libqgtk3.so"),
                                needed_of=lambda src: needed.get(src, []))
    assert gone == {"PySide6/Qt/plugins/platformthemes/libqgtk3.so", "libgtk-3.so.0", "libcairo.so.2",
                    "libpango-1.0.so.0", "libpixman-1.so.0"}
    # nothing selected -> nothing removed
    assert prune_only_needed_by(entries, lambda dest: False, needed_of=lambda src: needed.get(src, [])) == set()


# --- build.spec --------------------------------------------------------------------------------------


def test_build_spec_settings():
    source = (ROOT / "build.spec").read_text(encoding="utf-8")
    tree = ast.parse(source)  # valid Python
    assigned = {t.id: node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                for t in node.targets if isinstance(t, ast.Name)}
    assert ast.literal_eval(assigned["APP_NAME"]) == "TraderApp"
    assert ast.literal_eval(assigned["EXE_NAME"]) == "trader-app"
    assert ast.unparse(assigned["ENTRY"]) == "ROOT / 'trader_app' / '__main__.py'"
    excludes = ast.literal_eval(assigned["excludes"])
    for name in ("pyqtgraph.opengl", "tkinter", "IPython", "polars"):
        assert name in excludes
    assert "matplotlib" not in excludes and "PIL" not in excludes  # the reports draw their pictures with them
    assert 'copy_metadata("keyring")' in source
    assert 'collect_submodules("uvicorn"' in source
    assert '"sqlalchemy.dialects.sqlite"' in source
    assert "exclude_binaries=True" in source  # one-folder


def test_app_modules_lists_every_module_but_packaging(tmp_path):
    from trader_app.packaging.build import app_modules

    for rel in ("trader_app/__init__.py", "trader_app/__main__.py", "trader_app/ui/__init__.py",
                "trader_app/ui/main_window.py", "trader_app/packaging/__init__.py",
                "trader_app/packaging/build.py", "trader_app/ui/__pycache__/x.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    assert app_modules(tmp_path) == ["trader_app", "trader_app.__main__", "trader_app.ui",
                                     "trader_app.ui.main_window"]
    real = app_modules(ROOT)
    assert "trader_app.__main__" in real and "trader_app.app" in real
    assert not any(m.startswith("trader_app.packaging") for m in real)


@pytest.mark.parametrize(("check", "command", "script", "passed"), [
    (frozen_fanout_check, "bench fanout", "echo 'orders acknowledged (NEW or filled): 9/9'", True),
    (frozen_fanout_check, "bench fanout", "echo 'orders acknowledged (NEW or filled): 8/9'; exit 1", False),
    (frozen_fanout_check, "bench fanout", "echo 'Traceback (most recent call last):'; exit 1", False),
    (frozen_report_check, "bench report",
     "echo 'numbers 91.4 ms (219 fills/s, 10 trades), picture 585.7 ms, page 0.4 ms, whole make 129.4 ms'", True),
    (frozen_report_check, "bench report", "echo 'ModuleNotFoundError: No module named matplotlib'; exit 1", False),
    (frozen_report_check, "bench report", "exit 0", False),
])
def test_frozen_checks_read_the_bench_output(tmp_path, check, command, script, passed):
    exe = tmp_path / "trader-app"
    exe.write_text(f"#!/bin/sh\n[ \"$1 $2\" = '{command}' ] || exit 9\n{script}\n")
    exe.chmod(0o755)
    seconds, output, problems = check(exe, timeout_s=30)
    assert (problems == []) is passed and seconds >= 0
