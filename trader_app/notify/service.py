"""``NoticeService``: the app's Telegram notices as the trader configures them (Strategies panel, "Notices").

Settings (``settings.json``, ``notices``): ``telegram_enabled`` and ``telegram_chat_id`` (not secret). The bot
token is a secret: it goes to the OS keyring (``notify:telegram_bot_token``) and nowhere else; the service
only ever says whether one is stored. When enabled with a chat id and a stored token, a ``TelegramNotifier``
sends a notice for every fill, every executed signal (its outcome per status), every kill-switch trip or
reset, and the daily report (``on_report``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..config import Settings
from ..core.bus import EventBus
from ..core.errors import ConfigError
from ..core.offloop import run_blocking
from .telegram import TOKEN_SECRET, TelegramNotifier
from .telegram_bot import TelegramCommands

log = logging.getLogger(__name__)

TELEGRAM_API = "https://api.telegram.org"


class NoticeService:
    """Starts, reconfigures and stops the Telegram notifier.

    ``bus``: the app's ``EventBus``; ``settings``/``data_dir``: where ``notices`` are read and saved;
    ``base_url``: the Bot API base (a local fake in tests). ``notifier``: the running ``TelegramNotifier`` or
    None. Keyring failures raise ``SecretStoreError`` (with a plain message, never the token).
    """

    def __init__(self, bus: EventBus, settings: Settings, data_dir: Path, *, base_url: str = TELEGRAM_API) -> None:
        self.bus = bus
        self.settings = settings
        self.data_dir = Path(data_dir)
        self.base_url = base_url
        self.notifier: TelegramNotifier | None = None
        self.commands: TelegramCommands | None = None
        self.services: Any = None  # the AppServices the commands report on (set by build_services)
        self.token_stored = False

    @property
    def status(self) -> str:
        """One line for the UI: whether notices are sent, and if not, what is missing."""
        n = self.settings.notices
        if self.notifier is not None:
            return f"Telegram notices on (chat {n.telegram_chat_id}): {self.notifier.sent} sent, " \
                   f"{self.notifier.failed} failed"
        if not n.telegram_enabled:
            return "Telegram notices off"
        missing = [what for what, ok in (("a chat id", bool(n.telegram_chat_id)),
                                         ("a bot token", self.token_stored)) if not ok]
        return f"Telegram notices enabled but not sent: {' and '.join(missing) or 'not started'} missing"

    async def start(self) -> None:
        """Start the notifier when enabled, with a chat id and a stored token (else do nothing). A keyring
        that cannot be read is logged and leaves notices off: the app starts anyway."""
        await self.stop()
        n = self.settings.notices
        try:
            token = await run_blocking(_read_token)
        except Exception as exc:  # noqa: BLE001 - SecretStoreError: no keyring on this machine
            if n.telegram_enabled:
                log.warning("Telegram notices off: %s", exc)
            self.token_stored = False
            return
        self.token_stored = bool(token)
        if not (n.telegram_enabled and n.telegram_chat_id and token):
            return
        self.notifier = TelegramNotifier(self.bus, token, n.telegram_chat_id, base_url=self.base_url,
                                         account_name=self._account_name)
        self.notifier.start()
        if n.telegram_commands and self.services is not None:
            self.commands = TelegramCommands(self.services, token, [n.telegram_chat_id], base_url=self.base_url)
            self.commands.start()

    def _account_name(self, account_id: str) -> str:
        accounts = getattr(self.services, "accounts", None)
        account = accounts.get(account_id) if accounts is not None else None
        return account.name if account is not None else account_id

    async def on_report(self, stored: Any, report: dict[str, Any], pngs: dict[str, bytes]) -> None:
        """A report listener (``ReportService.listeners``): the daily report of all accounts goes to the chat
        (summary, then the equity picture per currency) when notices run and ``reports.telegram_daily``."""
        if self.notifier is None or not self.settings.reports.telegram_daily:
            return
        if stored.period == "daily" and stored.scope == "all":
            self.notifier.send_report(report["summary"], pngs)

    async def stop(self) -> None:
        """Stop the notifier (sends what is queued first, up to 5 s). Idempotent."""
        notifier, self.notifier = self.notifier, None
        if notifier is not None:
            await notifier.stop()
        commands, self.commands = self.commands, None
        if commands is not None:
            await commands.stop()

    async def configure(self, *, enabled: bool, chat_id: str, bot_token: str | None = None,
                        forget_token: bool = False, commands: bool | None = None) -> None:
        """Save the settings (and ``bot_token`` to the keyring when given; ``forget_token`` deletes it;
        ``commands``: answer the chat's commands, ``notify/telegram_bot.py``; None keeps the setting) and
        restart the notifier with them. Raises ``ConfigError`` for a chat id that is not a Telegram chat id
        (an integer, or ``@channelname``) and ``SecretStoreError`` when the keyring cannot store the token;
        nothing is changed then."""
        chat_id = chat_id.strip()
        if chat_id and not _valid_chat_id(chat_id):
            raise ConfigError(f"chat id must be a number (e.g. 123456789 or -1001234567890) or @channelname, "
                              f"not {chat_id!r}")
        if enabled and not chat_id:
            raise ConfigError("a chat id is needed to turn Telegram notices on")
        token = (bot_token or "").strip()
        if token and ":" not in token:
            raise ConfigError("a bot token looks like 123456789:AA... (from @BotFather)")
        if token:
            await run_blocking(_store_token, token)
        elif forget_token:
            await run_blocking(_forget_token)
        self.settings.notices.telegram_enabled = enabled
        self.settings.notices.telegram_chat_id = chat_id
        if commands is not None:
            self.settings.notices.telegram_commands = commands
        await run_blocking(self.settings.save, self.data_dir)
        await self.start()

    async def send_test(self) -> bool:
        """Send "Trader App: test notice" now through the running notifier; False when notices are off or
        Telegram refused it (the reason is logged, never the token)."""
        if self.notifier is None:
            return False
        return await self.notifier.send("Trader App: test notice")


def _valid_chat_id(chat_id: str) -> bool:
    body = chat_id[1:] if chat_id.startswith("-") else chat_id
    return body.isdigit() or (chat_id.startswith("@") and len(chat_id) > 5 and chat_id[1:].replace("_", "").isalnum())


def _read_token() -> str | None:
    from ..secrets import get_secret

    return get_secret(TOKEN_SECRET)


def _store_token(token: str) -> None:
    from ..secrets import set_secret

    set_secret(TOKEN_SECRET, token)


def _forget_token() -> None:
    from ..secrets import delete_secret

    delete_secret(TOKEN_SECRET)

