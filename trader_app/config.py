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
from pydantic import BaseModel, Field, ValidationError, field_validator

from .core.errors import ConfigError

APP_NAME = "TraderApp"
ENV_HOME = "TRADER_APP_HOME"


def resolve_data_dir(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """The data directory (created if missing). Raises ``ConfigError`` naming the problem if it is a file, lies
    under a file, or cannot be created."""
    if cli_value:
        path = Path(cli_value)
    elif os.environ.get(ENV_HOME):
        path = Path(os.environ[ENV_HOME])
    else:
        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path = path.expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise ConfigError(f"data directory {path} is not a directory (it is a file): choose a folder with --data-dir "
                          f"or ${ENV_HOME}")
    for parent in path.parents:
        if parent.exists() and not parent.is_dir():
            raise ConfigError(f"cannot create data directory {path}: {parent} is a file, not a directory")
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
    """Where prices come from: ``source`` "demo" (synthetic, offline) or a live market of the venue registry
    (``brokers/venues.py``: its public streams, no key needed; paper accounts then trade on those prices).
    ``urls``: ``{market: {"rest": url, "stream": url}}`` overriding a live market's public bases ("" or absent =
    the venue's own); ``binance_rest_url`` / ``binance_stream_url`` are the older spelling of Binance's (e.g.
    https://data-api.binance.vision, wss://data-stream.binance.vision), still read. ``live_symbols``: the
    watchlist of a new data directory on a live market."""

    source: str = "demo"
    urls: dict[str, dict[str, str]] = Field(default_factory=dict)
    binance_rest_url: str = ""
    binance_stream_url: str = ""
    live_symbols: list[str] = Field(default_factory=lambda: ["BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT"])

    @field_validator("source")
    @classmethod
    def _known_market(cls, value: str) -> str:
        from .brokers.venues import market_choices

        if value not in market_choices():
            raise ValueError(f"unknown market {value!r}: one of {', '.join(market_choices())}")
        return value

    def urls_of(self, market: str) -> tuple[str, str]:
        """``(rest, stream)`` base URLs of a live market ("" = the venue's own)."""
        own = self.urls.get(market, {})
        legacy = (self.binance_rest_url, self.binance_stream_url) if market == "binance" else ("", "")
        return own.get("rest", "") or legacy[0], own.get("stream", "") or legacy[1]


class WebhookSettings(BaseModel):
    """The listener. ``idempotency_window_s``: an alert identical to one received this many seconds ago (same
    group, orders and accounts) is a resend, answered with the first one's outcome and not executed again,
    across restarts too; an alert carrying its own ``signal_id``/``id`` is matched on it for a day."""

    host: str = "127.0.0.1"
    port: int = Field(default=8780, ge=0, le=65535)
    enabled: bool = True
    idempotency_window_s: float = Field(default=30.0, ge=0, le=86_400)
    # exposure (issue 12; webhook/exposure.py): anything but loopback needs TLS
    tls_cert_file: str = ""
    tls_key_file: str = ""
    tls_self_signed: bool = False  # generate a self-signed pair in <data dir>/tls/
    client_ca_file: str = ""  # verify client certificates against this CA (TLS handshake)
    verify_tradingview_cert: bool = False  # and require the subject CN "TradingView Webhooks"
    allowlist: list[str] = Field(default_factory=list)  # source addresses/networks; "tradingview" = its 4
    trusted_proxies: list[str] = Field(default_factory=list)  # peers whose X-Forwarded-For is believed
    expose_api: bool = False  # the admin REST API answers other machines too
    rate_limit_per_s: float = Field(default=10.0, gt=0, le=10_000)  # per source address
    rate_limit_burst: int = Field(default=20, ge=1, le=100_000)


class NoticeSettings(BaseModel):
    """Telegram notices (the bot token is a secret: OS keyring only, ``notify:telegram_bot_token``)."""

    telegram_enabled: bool = False
    telegram_chat_id: str = ""
    telegram_commands: bool = False  # answer /status, /balance, /positions, /pnl, /stop, /resume from that chat
    # desktop (tray) notices per kind: fills, rejections, strategy_failures, kill_switch, connections
    desktop: dict[str, bool] = Field(default_factory=lambda: {k: True for k in (
        "fills", "rejections", "strategy_failures", "kill_switch", "connections")})


class ReportSettings(BaseModel):
    """Daily and weekly reports (``reports/``). The narrative model's API key is a secret: OS keyring only
    (``reports:narrative_api_key``)."""

    schedule: bool = True  # make the daily and weekly reports when their period closes (and catch up once)
    telegram_daily: bool = True  # send the daily report (summary and equity picture) with the Telegram notices
    narrative_enabled: bool = False  # weekly reports get a written summary from an OpenAI-compatible model
    narrative_base_url: str = "https://api.openai.com/v1"
    narrative_model: str = "gpt-4o-mini"
    keep_days: int = Field(default=400, ge=7, le=100_000)  # reports older than this are deleted


LOG_DIR = "logs"
LOG_FILE = "trader-app.log"


def open_log_file(data_dir: Path, level: int = 20, *, max_bytes: int = 5_000_000, backups: int = 3) -> Path:
    """Log ``trader_app`` records of ``level`` (INFO) and above to ``<data_dir>/logs/trader-app.log``, rotated at
    ``max_bytes`` with ``backups`` old files kept (``logging.handlers.RotatingFileHandler``); stderr keeps its
    own, quieter level. Returns the file's path. Raises ``ConfigError`` if the folder cannot be created."""
    import logging
    from logging.handlers import RotatingFileHandler

    folder = data_dir / LOG_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the log folder {folder}: {exc.strerror}") from None
    path = folder / LOG_FILE
    logger = logging.getLogger("trader_app")
    for handler in logger.handlers:
        if isinstance(handler, RotatingFileHandler) and Path(handler.baseFilename) == path:
            return path
    handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
    return path


class Settings(BaseModel):
    """Non-secret settings, saved as JSON in ``settings.json`` in the data directory."""

    paper: PaperSettings = Field(default_factory=PaperSettings)
    demo: DemoSettings = Field(default_factory=DemoSettings)
    market: MarketSettings = Field(default_factory=MarketSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    notices: NoticeSettings = Field(default_factory=NoticeSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)

    @classmethod
    def load(cls, data_dir: Path, *, create: bool = False) -> "Settings":
        """Read ``settings.json``; a missing file gives the defaults (written there with ``create``, so the
        trader finds every key to edit). Raises ``ConfigError`` on a malformed file."""
        path = data_dir / "settings.json"
        if not path.exists():
            settings = cls()
            if create:
                try:
                    settings.save(data_dir)
                except OSError as exc:
                    raise ConfigError(f"cannot write {path}: {exc.strerror}") from None
            return settings
        try:
            return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (ValueError, ValidationError) as exc:
            raise ConfigError(f"{path}: {exc}") from None

    def save(self, data_dir: Path) -> None:
        path = data_dir / "settings.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(path)
