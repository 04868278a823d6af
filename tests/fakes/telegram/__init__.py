"""A fake Telegram Bot API on 127.0.0.1: ``getUpdates`` (long polling over queued updates, honouring
``offset`` and ``timeout``), ``sendMessage`` and ``sendPhoto`` (multipart/form-data; recorded), for one bot token; any other token gets 401 as
Telegram answers it (``{"ok": false, "error_code": 401, "description": "Unauthorized"}``).
Source of the shapes: https://core.telegram.org/bots/api#getupdates, #sendmessage and #sendphoto."""

from __future__ import annotations

import asyncio
import itertools
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class FakeBotApi:
    """``FakeBotApi(token)``: ``app`` to serve; ``say(chat_id, text)`` queues a user's message; ``sent`` lists
    ``(chat_id, text)`` the bot sent."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.sent: list[tuple[str, str]] = []
        self.photos: list[tuple[str, str, bytes]] = []  # (chat_id, caption, PNG bytes)
        self._ids = itertools.count(1000)
        self._new = asyncio.Event()
        self.app = FastAPI()
        self.app.add_api_route("/bot{token}/getUpdates", self._get_updates, methods=["POST"])
        self.app.add_api_route("/bot{token}/sendMessage", self._send_message, methods=["POST"])
        self.app.add_api_route("/bot{token}/sendPhoto", self._send_photo, methods=["POST"])

    def say(self, chat_id: int | str, text: str) -> None:
        n = next(self._ids)
        self.updates.append({"update_id": n, "message": {"message_id": n, "chat": {"id": int(chat_id), "type": "private"},
                                                         "date": 0, "text": text}})
        self._new.set()

    def _auth(self, token: str) -> JSONResponse | None:
        if token != self.token:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401)
        return None

    async def _get_updates(self, token: str, request: Request) -> Any:
        if (refused := self._auth(token)) is not None:
            return refused
        body = await request.json()
        offset, timeout = int(body.get("offset", 0)), min(float(body.get("timeout", 0)), 1.0)
        pending = [u for u in self.updates if u["update_id"] >= offset]
        if not pending:
            self._new.clear()
            try:
                await asyncio.wait_for(self._new.wait(), timeout)
            except asyncio.TimeoutError:
                pass
            pending = [u for u in self.updates if u["update_id"] >= offset]
        return {"ok": True, "result": pending}

    async def _send_message(self, token: str, request: Request) -> Any:
        if (refused := self._auth(token)) is not None:
            return refused
        body = await request.json()
        self.sent.append((str(body["chat_id"]), str(body["text"])))
        return {"ok": True, "result": {"message_id": len(self.sent), "chat": {"id": body["chat_id"]}}}

    async def _send_photo(self, token: str, request: Request) -> Any:
        if (refused := self._auth(token)) is not None:
            return refused
        head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + await request.body())
        fields = {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
                  for part in message.iter_parts()}
        photo = fields.get("photo") or b""
        if not photo.startswith(b"\x89PNG"):
            return JSONResponse({"ok": False, "error_code": 400, "description": "Bad Request: no photo"}, status_code=400)
        self.photos.append((fields["chat_id"].decode(), (fields.get("caption") or b"").decode(), photo))
        return {"ok": True, "result": {"message_id": len(self.photos), "chat": {"id": fields["chat_id"].decode()}}}
