"""Small key/value settings that belong with the data (JSON values)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..types import JSONText
from .base import Base


class KeyValueRow(Base):
    """``key`` -> JSON value (never a secret)."""

    __tablename__ = "kv"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONText)
