"""The app with Telegram notices and commands on, talking to the fake Bot API on 127.0.0.1 (imported by name
by the Telegram tests: tests/notify is on sys.path while they run)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fakes.telegram import FakeBotApi
from trader_app.app import build_services
from trader_app.notify.telegram import TOKEN_SECRET
from trader_app.secrets import set_secret
from trader_app.webhook.server import WebhookServer

TOKEN = "123456:fake-bot-token-for-tests"
CHAT, STRANGER = "1001", "666"


@contextlib.asynccontextmanager
async def telegram_app(data_dir: Any) -> AsyncIterator[tuple[FakeBotApi, Any]]:
    """``(fake Bot API, started services)`` with notices and commands on for ``CHAT`` (no demo market, no
    listener); both stopped on exit."""
    fake = FakeBotApi(TOKEN)
    server = WebhookServer(None, "127.0.0.1", 0, app=fake.app)
    await server.start()
    set_secret(TOKEN_SECRET, TOKEN)
    services = build_services(data_dir, demo=False, start_webhook=False)
    n = services.settings.notices
    n.telegram_enabled, n.telegram_chat_id, n.telegram_commands = True, CHAT, True
    services.notices.base_url = server.url
    await services.start()
    try:
        yield fake, services
    finally:
        await services.stop()
        await server.stop()
