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
