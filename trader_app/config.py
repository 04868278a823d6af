"""Where the app keeps its data and its (non-secret) settings.

Data directory, first match wins: ``--data-dir DIR``, the ``TRADER_APP_HOME`` environment variable,
then ``platformdirs.user_data_dir("TraderApp")`` (Linux: ``~/.local/share/TraderApp``).
It holds ``trader.db`` (SQLite, WAL), ``settings.json`` and ``logs/``. Secrets never go here: see
``trader_app.secrets``.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import platformdirs
from pydantic import BaseModel, Field, ValidationError

from .core.errors import ConfigError

APP_NAME = "TraderApp"
ENV_HOME = "TRADER_APP_HOME"


def resolve_data_dir(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """The data directory (created if missing). Raises ``ConfigError`` if it cannot be created."""
    if cli_value:
        path = Path(cli_value)
    elif os.environ.get(ENV_HOME):
        path = Path(os.environ[ENV_HOME])
    else:
        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path = path.expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create data directory {path}: {exc.strerror}") from None
    return path


class PaperSettings(BaseModel):
    """Defaults for new paper accounts. ``commission_rate`` and ``slippage_rate`` are fractions (0.001 = 0.1 %)."""

    commission_rate: Decimal = Decimal("0.001")
    slippage_rate: Decimal = Decimal("0")
    initial_cash: dict[str, Decimal] = Field(default_factory=lambda: {"USDT": Decimal("100000"), "KRW": Decimal("100000000"), "USD": Decimal("100000")})


class DemoSettings(BaseModel):
    """The demo market: ``tick_rate`` quotes per second across all symbols."""

    tick_rate: float = 20.0
    symbols: list[str] = Field(default_factory=lambda: ["BTC/USDT", "ETH/USDT", "SOL/USDT", "005930", "AAPL"])
    seed: int | None = None


class MarketSettings(BaseModel):
    """Where prices come from: ``source`` "demo" (synthetic, offline) or "binance" (Binance spot's public
    streams, no key needed; paper accounts then trade on those prices). ``binance_rest_url`` /
    ``binance_stream_url`` override Binance's public bases ("" = the official ones; e.g.
    https://data-api.binance.vision, wss://data-stream.binance.vision). ``live_symbols``: the watchlist of a new
    data directory on a live market."""

    source: str = Field(default="demo", pattern="^(demo|binance)$")
    binance_rest_url: str = ""
    binance_stream_url: str = ""
    live_symbols: list[str] = Field(default_factory=lambda: ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT"])


class WebhookSettings(BaseModel):
    """The listener. ``idempotency_window_s``: an alert identical to one received this many seconds ago (same
    group, orders and accounts) is a resend, answered with the first one's outcome and not executed again,
    across restarts too; an alert carrying its own ``signal_id``/``id`` is matched on it for a day."""

    host: str = "127.0.0.1"
    port: int = Field(default=8780, ge=0, le=65535)
    enabled: bool = True
    idempotency_window_s: float = Field(default=30.0, ge=0, le=86_400)


class NoticeSettings(BaseModel):
    """Telegram notices (the bot token is a secret: OS keyring only, ``notify:telegram_bot_token``)."""

    telegram_enabled: bool = False
    telegram_chat_id: str = ""


class Settings(BaseModel):
    """Non-secret settings, saved as JSON in ``settings.json`` in the data directory."""

    paper: PaperSettings = Field(default_factory=PaperSettings)
    demo: DemoSettings = Field(default_factory=DemoSettings)
    market: MarketSettings = Field(default_factory=MarketSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    notices: NoticeSettings = Field(default_factory=NoticeSettings)

    @classmethod
    def load(cls, data_dir: Path) -> "Settings":
        """Read ``settings.json``; missing file -> defaults. Raises ``ConfigError`` on a malformed file."""
        path = data_dir / "settings.json"
        if not path.exists():
            return cls()
        try:
            return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, ValidationError) as exc:
            raise ConfigError(f"{path}: {exc}") from None

    def save(self, data_dir: Path) -> None:
        path = data_dir / "settings.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(path)
