"""A fake OpenAI-compatible server on 127.0.0.1: ``POST /v1/chat/completions`` records each request body and
answers a fixed summary in the Chat Completions shape
(https://platform.openai.com/docs/api-reference/chat/object); a wrong ``Authorization: Bearer`` key gets
401 with OpenAI's error object."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

ANSWER = "The week lost 1.00 % after a 500 deposit; three trades closed, two won."


class FakeOpenAI:
    """``FakeOpenAI(key)``: ``app`` to serve; ``requests`` the JSON bodies received."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.requests: list[dict[str, Any]] = []
        self.app = FastAPI()
        self.app.add_api_route("/v1/chat/completions", self._complete, methods=["POST"])

    async def _complete(self, request: Request) -> Any:
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return JSONResponse({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                           "param": None, "code": "invalid_api_key"}}, status_code=401)
        body = await request.json()
        self.requests.append(body)
        return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1764892800, "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}
