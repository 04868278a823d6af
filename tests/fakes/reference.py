"""Where the venues' reference material is: ``../shared/reference`` beside the project (as CI lays it out)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"


def sample(name: str) -> Any:
    """An official example payload from ``samples/`` (e.g. ``binance_ws_kline``)."""
    return json.loads((REFERENCE / "samples" / f"{name}.json").read_text())


def vectors() -> list[dict[str, Any]]:
    """The signature test vectors."""
    return json.loads((REFERENCE / "test_vectors.json").read_text())
