"""The venues' reference material the tests use, kept in the repository under ``tests/reference/``.

Copied from the steering folder's ``shared/reference`` (sources in ``tests/reference/README.md`` and
``tests/reference/samples/SOURCES.md``), so the suite passes from a plain clone with nothing beside it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def sample(name: str) -> Any:
    """An official example payload from ``samples/`` (e.g. ``binance_ws_kline``)."""
    return json.loads((REFERENCE / "samples" / f"{name}.json").read_text())


def vectors() -> list[dict[str, Any]]:
    """The signature test vectors (each names its source)."""
    return json.loads((REFERENCE / "test_vectors.json").read_text())
