"""Telegram notices: a short message to one chat for every fill, when a signal has been executed (its outcome
per status), when an account's kill switch trips or is reset, and the daily report (its summary with the
equity picture, ``send_report``).

Uses the Bot API's ``sendMessage`` (https://core.telegram.org/bots/api#sendmessage):
``POST {base_url}/bot<token>/sendMessage`` with JSON ``{"chat_id", "text"}``, and ``sendPhoto``
(https://core.telegram.org/bots/api#sendphoto): multipart/form-data with ``chat_id``, ``caption`` (at most
1024 characters) and the PNG as ``photo``. The bot token is a secret: it
is read from the OS keyring (``notify:telegram_bot_token``) by ``from_keyring`` and never appears in logs or
errors (httpx puts the URL, which holds the token, into its exception messages, so those are not logged).

Fills are collected for ``fill_window_s`` (2 s) and sent as one message (up to 10 lines and "and N more").
Messages go through a queue drained by one task, at most one per ``min_interval_s`` (Telegram allows about
one message a second per chat); the queue is bounded (older notices are dropped when it is full) so a
flood of signals never grows memory. Bus handlers only enqueue: nothing here blocks the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

import httpx

from ..core.bus import EventBus
from ..core.events import FillEvent, KillSwitchEvent, SignalEvent
from ..core.money import fmt

log = logging.getLogger(__name__)

TOKEN_SECRET = "notify:telegram_bot_token"
MAX_FILL_LINES = 10  # fills listed in one collapsed notice
_PENDING = {"PENDING"}


def signal_text(event: SignalEvent) -> str | None:
    """The notice for a signal event, or None while any account is still PENDING (the final event follows)
    and for duplicates."""
    if event.duplicate:
        return None
    statuses = [r.get("status", "?") for r in event.results]
    if any(s in _PENDING for s in statuses):
        return None
    counts = ", ".join(f"{n} {s}" for s, n in Counter(statuses).most_common()) or "no linked accounts"
    errors = sorted({r["error"] for r in event.results if r.get("error")})
    text = f"Signal {event.signal_id} ({event.source.value}, group {event.group_name or '-'}): {counts}"
    if errors:
        text += "\n" + "\n".join(f"- {e}" for e in errors[:5])
    return text


def fill_text(event: FillEvent, account_name: str = "") -> str:
    """``Fill on Paper 1: BUY 0.1 BTC/USDT @ 65,000 (fee 6.5 USDT)``."""
    f = event.fill
    fee = f" (fee {fmt(f.commission)} {f.commission_asset})" if f.commission else ""
    return f"Fill on {account_name or f.account_id}: {f.side.value} {fmt(f.quantity)} {f.symbol} @ {fmt(f.price)}{fee}"


def kill_switch_text(event: KillSwitchEvent) -> str:
    """The notice of a kill switch tripped or reset."""
    if event.tripped:
        return f"Kill switch TRIPPED on account {event.account_id}: {event.reason}. New orders are blocked until reset."
    return f"Kill switch reset on account {event.account_id}: orders flow again."


class TelegramNotifier:
    """Sends notices for bus events to one Telegram chat (see the module docstring)."""

    def __init__(self, bus: EventBus, bot_token: str, chat_id: str, *, base_url: str = "https://api.telegram.org",
                 client: httpx.AsyncClient | None = None, min_interval_s: float = 1.0, max_queue: int = 100,
                 account_name: Any = None, fills: bool = True, fill_window_s: float = 2.0) -> None:
        if not bot_token or not chat_id:
            raise ValueError("a Telegram bot token and chat id are both required")
        self.bus = bus
        self._url = f"{base_url.rstrip('/')}/bot{bot_token}/sendMessage"
        self._photo_url = f"{base_url.rstrip('/')}/bot{bot_token}/sendPhoto"
        self.account_name = account_name  # account id -> name for the fill notices (None: the id)
        self.fills = fills
        self.fill_window_s = fill_window_s
        self._fills: list[str] = []
        self._fill_flush: asyncio.TimerHandle | None = None
        self.chat_id = chat_id
        self._client = client
        self._own_client = client is None
        self.min_interval_s = min_interval_s
        self._queue: asyncio.Queue[tuple[str, bytes | None]] = asyncio.Queue(maxsize=max_queue)
        self._task: asyncio.Task[None] | None = None
        self._unsub: list[Any] = []
        self.sent = 0
        self.failed = 0
        self.dropped = 0

    @classmethod
    def from_keyring(cls, bus: EventBus, chat_id: str, **kw: Any) -> "TelegramNotifier | None":
        """A notifier with the bot token from the keyring, or None when none is stored (blocking: keyring I/O)."""
        from ..secrets import get_secret

        token = get_secret(TOKEN_SECRET)
        return cls(bus, token, chat_id, **kw) if token and chat_id else None

    def start(self) -> None:
        """Subscribe to signal and kill-switch events and start the sender task."""
        if self._task is not None:
            return
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=10)
        self._unsub = [self.bus.subscribe(SignalEvent, self._on_signal),
                       self.bus.subscribe(KillSwitchEvent, lambda e: self.notify(kill_switch_text(e)))]
        if self.fills:
            self._unsub.append(self.bus.subscribe(FillEvent, self._on_fill))
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        """Unsubscribe, send what is queued (up to 5 s), stop."""
        for unsub in self._unsub:
            unsub()
        self._unsub = []
        if self._fill_flush is not None:
            self._fill_flush.cancel()
            self._flush_fills()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._queue.join(), timeout=5)
            except asyncio.TimeoutError:
                pass
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    def notify(self, text: str, photo: bytes | None = None) -> None:
        """Queue a message, or with ``photo`` (PNG bytes) a picture captioned ``text`` (dropped, and counted,
        when the queue is full)."""
        try:
            self._queue.put_nowait((text[:4000], photo))  # Telegram's limit is 4096 characters
        except asyncio.QueueFull:
            self.dropped += 1

    def send_report(self, summary: str, pngs: dict[str, bytes]) -> None:
        """Queue a report: its summary as a message, then each equity picture captioned with its currency."""
        self.notify(summary)
        for currency, png in pngs.items():
            self.notify(f"Equity ({currency})", png)

    def _on_fill(self, event: FillEvent) -> None:
        """Collect the fill; the fills of one ``fill_window_s`` go out as one message (a fan-out to 100
        accounts is one notice, not 100 queued at one a second)."""
        name = ""
        if self.account_name is not None:
            try:
                name = self.account_name(event.fill.account_id)
            except Exception:  # noqa: BLE001 - a name is a nicety
                name = ""
        self._fills.append(fill_text(event, name))
        if self._fill_flush is None:
            self._fill_flush = asyncio.get_running_loop().call_later(self.fill_window_s, self._flush_fills)

    def _flush_fills(self) -> None:
        lines, self._fills, self._fill_flush = self._fills, [], None
        if len(lines) == 1:
            self.notify(lines[0])
        elif lines:
            shown = lines[:MAX_FILL_LINES]
            more = f"\nand {len(lines) - len(shown)} more" if len(lines) > len(shown) else ""
            self.notify(f"{len(lines)} fills:\n" + "\n".join(shown) + more)

    def _on_signal(self, event: SignalEvent) -> None:
        text = signal_text(event)
        if text is not None:
            self.notify(text)

    async def _run(self) -> None:
        while True:
            text, photo = await self._queue.get()
            try:
                await (self.send(text) if photo is None else self.send_photo(text, photo))
            finally:
                self._queue.task_done()
            await asyncio.sleep(self.min_interval_s)

    async def send(self, text: str) -> bool:
        """Send one message now; True when Telegram accepted it. Never raises for network or API errors."""
        return await self._post(self._url, json={"chat_id": self.chat_id, "text": text})

    async def send_photo(self, caption: str, png: bytes) -> bool:
        """Send a PNG with a caption (cut to Telegram's 1024 characters) now; True when accepted."""
        return await self._post(self._photo_url, data={"chat_id": self.chat_id, "caption": caption[:1024]},
                                files={"photo": ("equity.png", png, "image/png")})

    async def _post(self, url: str, **kw: Any) -> bool:
        assert self._client is not None, "start() first"
        try:
            r = await self._client.post(url, **kw)
        except httpx.HTTPError as exc:
            self.failed += 1
            log.warning("telegram notice not sent: %s", type(exc).__name__)  # the message holds the token: not logged
            return False
        if r.status_code != 200:
            self.failed += 1
            log.warning("telegram notice refused: HTTP %s", r.status_code)
            return False
        self.sent += 1
        return True
