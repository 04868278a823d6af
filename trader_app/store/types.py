"""Column types that keep the domain exact: Decimal as TEXT, JSON as TEXT.

Money and quantities are stored as the Decimal's own string (``str(Decimal)``), so a value comes back
with the same digits and exponent it went in with (``Decimal("0.00000001")`` -> ``"1E-8"`` -> the same
Decimal). Never a float. SQLite's ``CAST(x AS REAL)`` still reads these strings for ad-hoc queries.
"""

from __future__ import annotations

import json
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


class DecimalText(TypeDecorator[Decimal]):
    """A ``Decimal`` stored as its exact string. ``None`` stays NULL. Raises ``TypeError`` for a float
    (binary floats are never money) or any non-Decimal/int value."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise TypeError(f"money columns take Decimal, got {type(value).__name__}: {value!r}")

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, (tuple, set, frozenset)):
        return list(obj)
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


def dumps(value: Any) -> str:
    """Compact JSON; Decimal becomes its exact string, an Enum its value, tuples/sets lists."""
    return json.dumps(value, default=_json_default, separators=(",", ":"), ensure_ascii=False)


class JSONText(TypeDecorator[Any]):
    """Any JSON-able value stored as TEXT (see ``dumps``: Decimals come back as strings). ``None`` is stored
    as the JSON text ``null`` (these columns are never SQL NULL)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str:
        return dumps(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else json.loads(value)
