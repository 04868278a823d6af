"""Telegram notices as the trader configures them: the bot token only in the keyring, the chat id in
settings, notices sent to a fake Bot API on 127.0.0.1 (the real ``sendMessage`` wire format), kept across a
restart, refused input changing nothing; and the Strategies panel's "Notices" tab driving it."""

from __future__ import annotations

import asyncio
import json

import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from trader_app.app import build_services
from trader_app.core.enums import SignalSource
from trader_app.core.errors import ConfigError
from trader_app.core.events import KillSwitchEvent, SignalEvent
from trader_app.notify.telegram import TOKEN_SECRET
from trader_app.secrets import get_secret
from trader_app.webhook.server import WebhookServer

TOKEN = "123456:AAE-secret-token"


class FakeBotApi:
    """``POST /bot<token>/sendMessage`` ``{"chat_id", "text"}`` -> ``{"ok": true, "result": {...}}`` for the
    known token, 401 ``{"ok": false, "error_code": 401, "description": "Unauthorized"}`` otherwise
    (https://core.telegram.org/bots/api#making-requests)."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.app = Starlette(routes=[Route("/bot{token}/sendMessage", self.send, methods=["POST"])])

    async def send(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != TOKEN:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401)
        body = json.loads(await request.body())
        self.messages.append(body)
        return JSONResponse({"ok": True, "result": {"message_id": len(self.messages), "text": body["text"]}})


@pytest_asyncio.fixture
async def bot_api():
    api = FakeBotApi()
    server = WebhookServer(None, "127.0.0.1", 0, app=api.app)
    await server.start()
    api.url = server.url
    yield api
    await server.stop()


def _services(data_home, bot_api):
    services = build_services(data_home, demo=False, start_webhook=False)
    services.notices.base_url = bot_api.url
    return services


async def _until(predicate, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_configured_notices_reach_the_chat_keep_the_token_in_the_keyring_and_survive_a_restart(
        data_home, bot_api):
    services = _services(data_home, bot_api)
    await services.start()
    try:
        notices = services.notices
        assert notices.notifier is None and notices.status == "Telegram notices off"
        await notices.configure(enabled=True, chat_id="-1001234567890", bot_token=TOKEN)
        assert get_secret(TOKEN_SECRET) == TOKEN
        saved = (data_home / "settings.json").read_text()
        assert TOKEN not in saved and json.loads(saved)["notices"] == {
            "telegram_enabled": True, "telegram_chat_id": "-1001234567890", "telegram_commands": False,
            "desktop": {k: True for k in ("fills", "rejections", "strategy_failures", "kill_switch", "connections")}}
        assert await notices.send_test()
        services.bus.publish(SignalEvent("sig-1", SignalSource.WEBHOOK, "trend", {}, 0,
                                         ({"status": "FILLED"}, {"status": "REJECTED", "error": "too big"})))
        services.bus.publish(KillSwitchEvent("acc-1", True, "daily loss reached"))
        await _until(lambda: len(bot_api.messages) == 3)
        assert bot_api.messages == [
            {"chat_id": "-1001234567890", "text": "Trader App: test notice"},
            {"chat_id": "-1001234567890", "text": "Signal sig-1 (webhook, group trend): 1 FILLED, 1 REJECTED\n- too big"},
            {"chat_id": "-1001234567890",
             "text": "Kill switch TRIPPED on account acc-1: daily loss reached. New orders are blocked until reset."}]
        # the bot API stores a message before our sender has read its answer: wait for the count too
        await _until(lambda: notices.status.endswith("3 sent, 0 failed"))
        assert notices.status == "Telegram notices on (chat -1001234567890): 3 sent, 0 failed"
    finally:
        await services.stop()

    again = _services(data_home, bot_api)
    await again.start()
    try:
        assert again.notices.notifier is not None and again.notices.token_stored
        assert await again.notices.send_test() and len(bot_api.messages) == 4
    finally:
        await again.stop()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"enabled": True, "chat_id": "my chat"}, "chat id must be a number"),
    ({"enabled": True, "chat_id": ""}, "a chat id is needed"),
    ({"enabled": True, "chat_id": "42", "bot_token": "no-colon"}, "a bot token looks like"),
])
async def test_refused_settings_change_nothing(data_home, bot_api, kwargs, message):
    services = _services(data_home, bot_api)
    await services.start()
    try:
        await services.notices.configure(enabled=True, chat_id="42", bot_token=TOKEN)
        before = (data_home / "settings.json").read_text()
        with pytest.raises(ConfigError, match=message):
            await services.notices.configure(**kwargs)
        assert (data_home / "settings.json").read_text() == before and get_secret(TOKEN_SECRET) == TOKEN
        assert services.notices.notifier is not None
    finally:
        await services.stop()


async def test_forgetting_the_token_stops_the_notices_and_a_refused_token_is_counted(data_home, bot_api):
    services = _services(data_home, bot_api)
    await services.start()
    try:
        notices = services.notices
        await notices.configure(enabled=True, chat_id="42", bot_token="999:wrong")
        assert not await notices.send_test()  # the Bot API answers 401
        assert notices.status.endswith("0 sent, 1 failed") and bot_api.messages == []
        await notices.configure(enabled=True, chat_id="42", forget_token=True)
        assert get_secret(TOKEN_SECRET) is None and notices.notifier is None
        assert notices.status == "Telegram notices enabled but not sent: a bot token missing"
        assert not await notices.send_test()
    finally:
        await services.stop()


async def test_the_notices_tab_saves_tests_and_forgets(data_home, bot_api, qapp):
    from trader_app.ui.bridge import EventBridge
    from trader_app.ui.panels.strategies import StrategiesPanel

    qapp.setQuitOnLastWindowClosed(False)  # closing the panel (the only window) must not stop the loop
    services = _services(data_home, bot_api)
    await services.start()
    bridge = EventBridge(services.bus)
    bridge.start()
    panel = StrategiesPanel(services, bridge)
    try:
        panel.show()
        await panel.load()
        tab = panel.notices
        assert tab.status.text() == "Telegram notices off" and tab.token_edit.placeholderText().startswith("paste")
        tab.chat_edit.setText("not a chat")
        tab.enabled_box.setChecked(True)
        tab.token_edit.setText(TOKEN)
        tab.buttons["saveNotices"].click()
        await asyncio.gather(tab.last_task, return_exceptions=True)
        assert tab.status.text().startswith("chat id must be a number") and get_secret(TOKEN_SECRET) is None
        tab.chat_edit.setText("42")
        tab.buttons["saveNotices"].click()
        await tab.last_task
        assert tab.token_edit.text() == "" and "stored in the OS keyring" in tab.token_edit.placeholderText()
        assert tab.status.text() == "Telegram notices on (chat 42): 0 sent, 0 failed"
        tab.buttons["testNotice"].click()
        await tab.last_task
        assert tab.status.text() == "test notice sent" and bot_api.messages[-1]["text"] == "Trader App: test notice"
        tab.buttons["forgetToken"].click()
        await tab.last_task
        assert get_secret(TOKEN_SECRET) is None
        assert tab.status.text() == "Telegram notices enabled but not sent: a bot token missing"
    finally:
        panel.close()
        bridge.stop()
        await services.stop()
