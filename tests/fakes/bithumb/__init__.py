"""A fake Bithumb (the JWT API) for the tests. Bithumb's interface follows Upbit's (``bithumb.md`` §4, §7, §8), so
the fake is the fake Upbit's matching engine and streams with Bithumb's differences on the wire:

- the JWT must carry ``timestamp`` (ms) within a minute of the venue's clock (else 401 ``expired_jwt``);
- the market list without details (``isDetails``), candles' ``to`` in KST without an offset;
- ``POST /v2/orders`` (``order_type``, ``client_order_id``) answers ``{order_id, client_order_id, market, side,
  order_type, created_at}``; ``DELETE /v2/order`` (``order_id`` or ``client_order_id``) only accepts the cancel:
  ``{order_id, client_order_id, created_at}``; ``GET /v1/order`` (``uuid`` or ``client_order_id``) answers the v1
  object with ``client_order_id``; ``GET /v2/orders/pending`` (one ``state``) and ``/v2/orders/history``
  (``states[]``, a window of at most 7 days) answer ``{"data": [...], "has_next", "next_key"}`` with v2 names
  (``order_id``, ``order_type``), ``limit`` rows a page;
- the private stream at ``/websocket/v2/private`` with the v2 names of ``myOrder`` (``order_id``,
  ``client_order_id``, ``side`` buy/sell, ``trade_id``, ``trade_price``, ``trade_quantity``, ``order_quantity``,
  ``remaining_quantity``, ``executed_quantity``, ``executed_amount``).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from ..upbit.server import FakeUpbitServer
from ..upbit.streams import Streams
from ..upbit.venue import FakeUpbit, UpbitError

KST = timezone(timedelta(hours=9))
V2_NAMES = {"uuid": "order_id", "ord_type": "order_type", "identifier": "client_order_id"}


def _v2(row: dict[str, Any]) -> dict[str, Any]:
    return {V2_NAMES.get(k, k): v for k, v in row.items() if k != "trades"}


class FakeBithumb(FakeUpbit):
    page_size: int | None = None  # rows per page of the /v2 lists at most (a test's small pages)

    def _check_claims(self, claims: dict[str, Any]) -> None:
        ts = claims.get("timestamp")
        if not isinstance(ts, int) or abs(ts - self.server_ms()) > 60_000:
            raise UpbitError(401, "expired_jwt", "the JWT's timestamp is missing or too far from the server's time")

    def private_routes(self) -> list[tuple[str, str, Any]]:
        return [("/v1/accounts", "GET", self._accounts), ("/v2/orders", "POST", self._create_v2),
                ("/v1/order", "GET", self._get_v1), ("/v2/order", "DELETE", self._cancel_v2),
                ("/v2/orders/pending", "GET", self._pending), ("/v2/orders/history", "GET", self._history)]

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

    async def _create_v2(self, acc: Any, p: dict[str, Any]) -> dict[str, Any]:
        body = {("ord_type" if k == "order_type" else "identifier" if k == "client_order_id" else k): v
                for k, v in p.items()}
        row = await self._create(acc, body)
        return {"order_id": row["uuid"], "client_order_id": row["identifier"], "market": row["market"],
                "side": row["side"], "order_type": row["ord_type"], "created_at": row["created_at"]}

    @staticmethod
    def _ids(p: dict[str, Any], venue_key: str) -> dict[str, Any]:
        return {"uuid": p.get(venue_key), "identifier": p.get("client_order_id")}

    def _get_v1(self, acc: Any, p: dict[str, Any]) -> dict[str, Any]:
        row = self._get(acc, self._ids(p, "uuid"))
        row["client_order_id"] = row.pop("identifier")
        return row

    def _cancel_v2(self, acc: Any, p: dict[str, Any]) -> dict[str, Any]:
        row = self._cancel(acc, self._ids(p, "order_id"))
        return {"order_id": row["uuid"], "client_order_id": row["identifier"], "created_at": row["created_at"]}

    @staticmethod
    def _page(rows: list[dict[str, Any]], p: dict[str, Any]) -> dict[str, Any]:
        start, limit = int(p.get("next_key") or 0), int(p.get("limit", 100))
        limit = min(limit, FakeBithumb.page_size or limit)
        more = start + limit < len(rows)
        return {"data": [_v2(r) for r in rows[start:start + limit]], "has_next": more,
                "next_key": str(start + limit) if more else None}

    def _pending(self, acc: Any, p: dict[str, Any]) -> dict[str, Any]:
        rows = self._open(acc, {"market": p.get("market"), "states": [p.get("state", "wait")], "limit": 10_000})
        return self._page(rows, p)

    def _history(self, acc: Any, p: dict[str, Any]) -> dict[str, Any]:
        rows = self._closed(acc, {**p, "limit": 10_000})
        return self._page(rows, p)


class BithumbStreams(Streams):
    private_path = "/websocket/v2/private"

    def _outgoing(self, message: dict[str, Any]) -> dict[str, Any]:
        if message.get("type") != "myOrder":
            return message
        trade = message.get("state") == "trade"
        e = {k: v for k, v in message.items() if k not in ("uuid", "identifier", "ask_bid", "trade_uuid", "price",
                                                            "volume", "remaining_volume", "executed_volume",
                                                            "executed_funds", "trades_count", "avg_price")}
        e.update(order_id=message["uuid"], client_order_id=message.get("identifier"),
                 side="buy" if message.get("ask_bid") == "BID" else "sell",
                 remaining_quantity=message.get("remaining_volume"), executed_quantity=message.get("executed_volume"),
                 executed_amount=message.get("executed_funds"))
        if trade:
            e.update(trade_id=message.get("trade_uuid"), trade_price=message.get("price"),
                     trade_quantity=message.get("volume"))
        else:
            e.update(order_price=message.get("price"), order_quantity=message.get("volume"))
        return e


class FakeBithumbServer(FakeUpbitServer):
    def __init__(self, venue: FakeBithumb | None = None, tick_s: float = 0.05) -> None:
        venue = venue or FakeBithumb()
        super().__init__(venue, tick_s)
        self.streams = BithumbStreams(venue, tick_s)


__all__ = ["FakeBithumb", "FakeBithumbServer"]
