"""The package list in pyproject.toml must name every package folder (resources/ is mapped in by hand)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "trader_app").rglob("__init__.py")
    } | {"trader_app.resources"}
    assert on_disk == listed


def test_resources_are_importable_as_package_data():
    from importlib.resources import files

    assert (files("trader_app.resources") / "theme.qss").is_file()


def _imports(path: Path) -> set[str]:
    """The modules a source file imports (absolute names; relative ones resolved against its package)."""
    import ast

    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                out.add(".".join(base + ([node.module] if node.module else [])))
            else:
                out.add(node.module or "")
    return out


def test_the_layers_import_only_downwards_and_nothing_loads_modules_by_name():
    """Issue 10 "an honest structure": the trading packages never import the window, the composition root or
    the dev tools; the backtester has no Qt; nothing imports modules by name at run time."""
    lower = ("core", "store", "brokers", "market", "trading", "execution", "webhook", "strategies", "backtest",
             "analytics", "notify")
    for name in lower:
        for path in (ROOT / "trader_app" / name).rglob("*.py"):
            imported = _imports(path)
            bad = {m for m in imported if m.startswith(("trader_app.ui", "trader_app.app", "trader_app.devtools"))}
            if name != "webhook":  # the listener's CLI builds the services (serve): it may import app
                assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
            else:
                assert not {m for m in bad if not m.startswith("trader_app.app")}, path
            if name in ("backtest", "core", "trading", "execution", "brokers", "store"):
                assert not {m for m in imported if m.startswith(("PySide6", "pyqtgraph"))}, path
    for path in (ROOT / "trader_app").rglob("*.py"):
        if "packaging" in path.parts:
            continue
        assert "import_module(" not in path.read_text(), f"{path.relative_to(ROOT)} loads a module by name"
    ui_imports = set().union(*(_imports(p) for p in (ROOT / "trader_app" / "ui").rglob("*.py")))
    assert not {m for m in ui_imports if m.startswith(("trader_app.app", "trader_app.devtools"))}


def test_nothing_reads_the_steering_folder_beside_the_repository():
    """The repository stands alone (a plain clone passes its tests): reference material the tests use lives in
    ``tests/reference/``; no source, test or script reaches for ``../shared``."""
    root = Path(__file__).resolve().parents[1]
    needles = ("../shared", '/ "shared"', "/ 'shared'", "parents[3]")
    offenders = []
    for path in [*root.glob("trader_app/**/*.py"), *root.glob("tests/**/*.py"), root / ".ci" / "run",
                 root / "build.spec"]:
        if path == Path(__file__).resolve():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{path.relative_to(root)}: {n}" for n in needles if n in text]
    assert offenders == []
    assert (root / "tests" / "reference" / "test_vectors.json").is_file()
    assert (root / "tests" / "reference" / "samples" / "SOURCES.md").is_file()


def test_only_the_venue_package_and_the_registry_name_a_new_venue():
    """Issues 21 and 22: a venue plugs in through ``brokers/venues.py``; nothing else in the product names it (the
    venues built on the live layer are the check; a venue package may name another it follows)."""
    root = Path(__file__).resolve().parents[1] / "trader_app"
    texts = {str(p.relative_to(root)): p.read_text(encoding="utf-8").lower() for p in root.rglob("*.py")}
    for venue in ("bybit", "upbit", "bithumb"):
        naming = sorted(p for p, text in texts.items() if venue in text)
        outside = [p for p in naming if not p.startswith("brokers/") or p.startswith(("brokers/live/", "brokers/base"))]
        assert outside == [], f"{venue} is named outside its package and the registry: {outside}"
        assert "brokers/venues.py" in naming
