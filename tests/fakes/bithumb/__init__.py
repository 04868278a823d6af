"""A fake Bithumb's public side for the tests: Bithumb's quotation interface follows Upbit's (``bithumb.md`` §4, §7),
so the fake is the fake Upbit's with Bithumb's differences: the market list without details (``isDetails``),
candles' ``to`` in KST without an offset (``2024-06-13 10:26:00``). The private side (JWT with a timestamp,
``/v2`` orders, ``websocket/v2/private``) comes with the account adapter."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from ..upbit.server import FakeUpbitServer
from ..upbit.venue import FakeUpbit

KST = timezone(timedelta(hours=9))


class FakeBithumb(FakeUpbit):
    def _markets(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        rows = super()._markets(params)
        if params.get("isDetails", "false") != "true":
            rows = [{k: v for k, v in r.items() if k != "market_event"} for r in rows]
        return rows

    def _candles(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        to = params.get("to")
        if to:  # KST, no offset: what Bithumb takes
            moment = datetime.strptime(to, "%Y-%m-%d %H:%M:%S").replace(tzinfo=KST)
            params = {**params, "to": moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
        return super()._candles(params)


class FakeBithumbServer(FakeUpbitServer):
    def __init__(self, venue: FakeBithumb | None = None, tick_s: float = 0.05) -> None:
        super().__init__(venue or FakeBithumb(), tick_s)


__all__ = ["FakeBithumb", "FakeBithumbServer"]
