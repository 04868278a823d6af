"""Make the shared bar helpers of tests/backtest importable here (``from bt_helpers import ...``)."""

import sys
from pathlib import Path

_HELPERS = str(Path(__file__).resolve().parents[1] / "backtest")
if _HELPERS not in sys.path:
    sys.path.insert(0, _HELPERS)
