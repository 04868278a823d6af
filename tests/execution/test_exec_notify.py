"""Telegram notices (httpx MockTransport: no network): final signal outcomes and kill-switch changes."""

import asyncio
import json

import httpx

from trader_app.core.bus import EventBus
from trader_app.core.enums import SignalSource
from trader_app.core.events import KillSwitchEvent, SignalEvent
from trader_app.notify.telegram import TelegramNotifier, signal_text


def event(results, duplicate=False):
    return SignalEvent("sig-1", SignalSource.WEBHOOK, "trend", {}, 0, tuple(results), duplicate)


def test_signal_text_only_when_final():
    assert signal_text(event([{"status": "PENDING"}, {"status": "FILLED"}])) is None
    assert signal_text(event([], duplicate=True)) is None
    text = signal_text(event([{"status": "FILLED"}, {"status": "FILLED"},
                              {"status": "REJECTED", "error": "max_order_notional: too big"}]))
    assert text == ("Signal sig-1 (webhook, group trend): 2 FILLED, 1 REJECTED\n- max_order_notional: too big")


async def test_notifier_sends_through_the_bot_api_and_never_logs_the_token(caplog):
    sent = []
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 2:  # the kill-switch trip notice hits a network error
            raise httpx.ConnectError("boom at https://api.telegram.org/botSECRET-TOKEN/sendMessage")
        sent.append((request.url.path, json.loads(request.content)))
        return httpx.Response(200, json={"ok": True})

    bus = EventBus()
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    n = TelegramNotifier(bus, "SECRET-TOKEN", "42", client=client, min_interval_s=0)
    n.start()
    bus.publish(event([{"status": "PENDING"}]))
    bus.publish(event([{"status": "FILLED"}]))
    bus.publish(KillSwitchEvent("acc-1", True, "daily loss 10 USDT reached the limit 5 USDT"))
    bus.publish(KillSwitchEvent("acc-1", False, "reset"))
    await n.stop()
    assert sent == [("/botSECRET-TOKEN/sendMessage",
                     {"chat_id": "42", "text": "Signal sig-1 (webhook, group trend): 1 FILLED"})] + [
        ("/botSECRET-TOKEN/sendMessage", {"chat_id": "42", "text": "Kill switch reset on account acc-1: orders flow again."})]
    assert (n.sent, n.failed) == (2, 1)
    assert "SECRET-TOKEN" not in caplog.text
    await client.aclose()


async def test_queue_is_bounded():
    bus = EventBus()
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200)))
    n = TelegramNotifier(bus, "t", "1", client=client, min_interval_s=0, max_queue=2)
    for i in range(5):
        n.notify(f"m{i}")
    assert n.dropped == 3
    n.start()
    await asyncio.sleep(0.05)
    await n.stop()
    assert n.sent == 2
    await client.aclose()
