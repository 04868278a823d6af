"""Telegram commands (issue 14, the "both ways" part): the trader asks the running app from their phone.

Long polling of the Bot API's ``getUpdates`` (https://core.telegram.org/bots/api#getupdates) with httpx:
``POST {base}/bot<token>/getUpdates`` ``{"offset", "timeout": 25, "allowed_updates": ["message"]}``; each
update's ``update_id`` + 1 becomes the next offset, so an update is handled once even across a reconnect.
Answers go out with ``sendMessage``. Only messages from the configured chat id(s) are answered; any other
chat is ignored and logged once. A network error waits with backoff (1 s doubling to 60 s) and polls again;
the token is never logged (httpx puts the URL, which holds it, into its error texts).

Commands (:data:`COMMANDS`):
- ``/status``: accounts and their connections, kill switches, the listener;
- ``/balance``: equity and cash per account and currency;
- ``/positions``: open positions with their unrealized PnL;
- ``/pnl``: today's PnL per account and currency;
- ``/report daily`` (or ``weekly``): makes the report of the last closed period for all accounts now and
  answers with its summary and equity picture(s); ``/report today``: the current UTC day so far;
- ``/stop``: trips every account's kill switch ("stopped from Telegram"): new orders are refused;
- ``/resume``: asks for ``/resume yes`` within 60 s, then resets every kill switch;
- ``/help``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import httpx

from ..core.money import COIN_PLACES, CURRENCY_PLACES, fmt

log = logging.getLogger(__name__)

COMMANDS = ("/status", "/balance", "/positions", "/pnl", "/report daily", "/stop", "/resume", "/help")
CONFIRM_S = 60.0
POLL_TIMEOUT_S = 25
STOP_REASON = "stopped from Telegram (/stop)"


def _money(value: Any, currency: str) -> str:
    """``100,000.00 USDT``: thousands separators, the currency's places (``CURRENCY_PLACES``, else 8)."""
    if value is None:
        return "-"
    places = CURRENCY_PLACES.get(currency.upper(), COIN_PLACES)
    return f"{Decimal(value):,.{places}f} {currency}"


class TelegramCommands:
    """Answers commands from ``chat_ids`` about ``services`` (``AppServices``: accounts, portfolio,
    risk_book, listener). ``start()``/``stop()``; ``handle(update)`` is the whole of one update (tests)."""

    def __init__(self, services: Any, bot_token: str, chat_ids: list[str], *, base_url: str = "https://api.telegram.org",
                 client: httpx.AsyncClient | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        if not bot_token or not chat_ids:
            raise ValueError("a Telegram bot token and at least one chat id are required")
        self.services = services
        self._base = f"{base_url.rstrip('/')}/bot{bot_token}"
        self.chat_ids = {str(c) for c in chat_ids}
        self._client = client
        self._own_client = client is None
        self.clock = clock
        self.offset = 0
        self._task: asyncio.Task[None] | None = None
        self._confirm_until: dict[str, float] = {}
        self._strangers: set[str] = set()
        self.answered = 0
        self.ignored = 0

    # ---- polling -------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start long polling (a task on the running loop)."""
        if self._task is None:
            if self._client is None:
                self._client = httpx.AsyncClient(timeout=POLL_TIMEOUT_S + 10)
            self._task = asyncio.ensure_future(self._poll())

    async def stop(self) -> None:
        """Stop polling and close the HTTP client."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _poll(self) -> None:
        backoff = 1.0
        while True:
            try:
                r = await self._client.post(f"{self._base}/getUpdates", json={  # type: ignore[union-attr]
                    "offset": self.offset, "timeout": POLL_TIMEOUT_S, "allowed_updates": ["message"]})
                body = r.json() if r.status_code == 200 else {}
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("telegram commands: polling failed (%s); trying again in %.0f s", type(exc).__name__, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            if not body.get("ok"):
                log.warning("telegram commands: getUpdates refused (HTTP %s)", r.status_code)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
                continue
            backoff = 1.0
            for update in body.get("result", []):
                self.offset = max(self.offset, int(update.get("update_id", 0)) + 1)
                try:
                    await self.handle(update)
                except Exception:  # noqa: BLE001 - one bad update must not stop the bot
                    log.exception("telegram commands: update %s failed", update.get("update_id"))

    # ---- one update ----------------------------------------------------------------------------------
    async def handle(self, update: dict[str, Any]) -> str | None:
        """Answer one update; returns the answer sent (None when ignored)."""
        message = update.get("message") or {}
        chat = str((message.get("chat") or {}).get("id", ""))
        text = str(message.get("text") or "").strip()
        if chat not in self.chat_ids:
            self.ignored += 1
            if chat not in self._strangers:
                self._strangers.add(chat)
                log.warning("telegram commands: ignoring chat %s (not a configured chat id)", chat or "?")
            return None
        if not text.startswith("/"):
            return None
        command, _, arg = text.partition(" ")
        command = command.split("@", 1)[0].lower()  # "/status@MyBot" in groups
        answer = await self.answer(chat, command, arg.strip().lower())
        await self._send(chat, answer)
        self.answered += 1
        return answer

    async def answer(self, chat: str, command: str, arg: str) -> str:
        """The text for ``command`` (see the module docstring)."""
        s = self.services
        accounts = s.accounts.list()
        if command == "/status":
            lines = []
            for a in accounts:
                state = s.risk_book.kill_switch(a.account_id)
                kill = f", KILL SWITCH: {state.reason}" if state else ""
                lines.append(f"{a.name} ({a.broker} {a.mode.value}): {s.accounts.session_state(a.account_id).value}{kill}")
            listener = s.webhook.url if getattr(s, "webhook", None) is not None else "off"
            return "\n".join(lines + [f"listener: {listener}"])
        if command == "/balance":
            lines = [f"{a.name}: " + "; ".join(
                f"equity {_money(x.equity, x.currency)}, cash {_money(x.cash, x.currency)}"
                for x in s.portfolio.summaries(a.account_id)) for a in accounts]
            return "\n".join(lines) or "no accounts"
        if command == "/positions":
            names = {a.account_id: a.name for a in accounts}
            rows = [f"{names.get(p.account_id, p.account_id)} {p.symbol} {fmt(p.quantity)} @ {fmt(p.avg_price)}"
                    f" (unrealized {fmt(p.unrealized_pnl, 2)})" for p in s.portfolio.positions() if p.quantity]
            return "\n".join(rows) or "no open positions"
        if command == "/pnl":
            lines = [f"{a.name}: " + "; ".join(f"today {_money(x.day_pnl, x.currency)}"
                                               for x in s.portfolio.summaries(a.account_id)) for a in accounts]
            return "\n".join(lines) or "no accounts"
        if command == "/report":
            return await self._report(chat, arg or "daily")
        if command == "/stop":
            s.risk_book.trip_all([a.account_id for a in accounts], STOP_REASON)
            return f"Stopped: kill switch tripped on {len(accounts)} account(s); new orders are refused. /resume to undo."
        if command == "/resume":
            now = self.clock()
            if arg == "yes" and self._confirm_until.get(chat, 0.0) >= now:
                self._confirm_until.pop(chat, None)
                for a in accounts:
                    if s.risk_book.kill_switch(a.account_id) is not None:
                        await s.risk_book.reset(a.account_id)
                return f"Resumed: kill switches reset on {len(accounts)} account(s); orders flow again."
            self._confirm_until[chat] = now + CONFIRM_S
            return f"Resume trading on every account? Send /resume yes within {CONFIRM_S:.0f} s."
        return "Commands: " + ", ".join(COMMANDS)

    async def _report(self, chat: str, period: str) -> str:
        reports = getattr(self.services, "reports", None)
        if period not in ("daily", "weekly", "today"):
            return "Usage: /report daily, /report weekly or /report today"
        if reports is None:
            return "Reports are not available in this app."
        day = datetime.now(timezone.utc).date() if period == "today" else None
        stored = await reports.make("daily" if period == "today" else period, day, announce=False)
        for currency, png in reports.last_pngs.items():
            await self._send_photo(chat, f"Equity ({currency}), {stored.metrics['label']}", png)
        return stored.metrics["summary"]

    async def _send_photo(self, chat: str, caption: str, png: bytes) -> None:
        try:
            r = await self._client.post(f"{self._base}/sendPhoto", data={"chat_id": chat, "caption": caption[:1024]},  # type: ignore[union-attr]
                                        files={"photo": ("equity.png", png, "image/png")})
            if r.status_code != 200:
                log.warning("telegram commands: picture refused (HTTP %s)", r.status_code)
        except httpx.HTTPError as exc:
            log.warning("telegram commands: picture not sent (%s)", type(exc).__name__)

    async def _send(self, chat: str, text: str) -> None:
        try:
            r = await self._client.post(f"{self._base}/sendMessage",  # type: ignore[union-attr]
                                        json={"chat_id": chat, "text": text[:4000]})
            if r.status_code != 200:
                log.warning("telegram commands: answer refused (HTTP %s)", r.status_code)
        except httpx.HTTPError as exc:
            log.warning("telegram commands: answer not sent (%s)", type(exc).__name__)
