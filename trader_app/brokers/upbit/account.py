"""``UpbitAccount``: one Upbit account (KRW, BTC and USDT spot markets) behind the broker contract, on the live
account base (``brokers/live/account.py``).

- connect: the shared public feed (markets), the balances (the key is checked: ``GET /v1/accounts``), then the
  private stream (``private.py``).
- reads: ``GET /v1/accounts`` (``balance``, ``locked``, ``avg_buy_price`` per currency: kept in ``avg_buy_price``),
  ``GET /v1/orders/open`` (``states[]`` wait and watch, paged by ``page``), ``GET /v1/order`` (one order by
  ``identifier`` or ``uuid``, with its ``trades``), ``GET /v1/orders/closed`` (done and cancelled orders in windows
  of at most 7 days). Upbit has no list of an account's trades: ``fills_since`` reads the trades of each order of
  the asked symbols that traded since then (closed in the window, or open), one ``GET /v1/order`` each.
- orders: ``POST /v1/orders`` with ``identifier`` = our client order id (``orders.py``): limit, market buy by the
  KRW (or BTC, USDT) amount, market sell by volume; ``DELETE /v1/order`` only accepts the cancel: the order is read
  back. Spot only: positions are derived from fills by the core.
A lost answer (timeout, 5xx) leaves the order UNKNOWN for the core to resolve; nothing is ever resent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ...core.enums import OrderType, TimeInForce
from ...core.errors import AuthError, InvalidOrder, OrderNotFound
from ...core.ids import now_ms
from ...core.orders import Fill, Order, OrderRequest
from ...core.portfolio import Balance, Position
from ..base import BrokerCapabilities, OrderUpdate
from ..live import LiveAccount
from ..live.network import VenueNetwork
from .orders import fills_from, order_from, order_params
from .private import PrivateStream
from .public import shared_public
from .rest import UpbitRest
from .urls import Endpoints

log = logging.getLogger(__name__)
WEEK_MS = 7 * 86_400_000


class UpbitAccount(LiveAccount):
    """One Upbit account (see the module docstring). ``access_key``/``secret_key`` come from the OS keyring."""

    capabilities = BrokerCapabilities(
        order_types=frozenset({OrderType.MARKET, OrderType.LIMIT}),
        time_in_force=frozenset({TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK}), reduce_only=False,
        short_selling=False, quote_stream=True, order_stream=True, bar_history=True, client_order_ids=True,
        position_updates=False, quote_amount=True, market_buy_by_quote=True)

    def __init__(self, account_id: str, endpoints: Endpoints, network: VenueNetwork, access_key: str,
                 secret_key: str) -> None:
        if not access_key or not secret_key:
            raise AuthError("an Upbit account needs an access key and a secret key")
        super().__init__(account_id, endpoints.venue, network, shared_public(endpoints, network), endpoints.rest)
        self.endpoints = endpoints
        self.rest = UpbitRest(endpoints, network, access_key, secret_key)
        self.avg_buy_price: dict[str, Decimal] = {}  # currency -> the venue's average buy price (its quote)

    # ---- lifecycle --------------------------------------------------------------------------------------------
    async def connect(self) -> None:
        if self._streaming:
            return
        await self.public.connect()
        await self.balances()  # the key is checked here
        self._watch_bans()
        await self._open_private(PrivateStream(self.rest, self.endpoints.private, self.account_id, self._symbol,
                                            self._queue.put_nowait, self._on_state, gate=self.network.gate))

    async def close(self) -> None:
        await self._close_private()
        self._stop()

    def ban_reason(self) -> str:
        return f"{self.venue} blocked this IP for going on after HTTP 429 (HTTP 418)"

    def warnings(self) -> list[str]:
        return []  # Upbit's API does not tell a key's permissions (GET /v1/api_keys lists keys and expiry only)

    def _symbol(self, market: str) -> str | None:
        return self.public.symbols.symbol(market)

    # ---- reads ------------------------------------------------------------------------------------------------
    async def balances(self) -> list[Balance]:
        rows = await self.rest.request("GET", "/v1/accounts")
        out = []
        for r in rows:
            balance, locked = Decimal(str(r.get("balance") or "0")), Decimal(str(r.get("locked") or "0"))
            out.append(Balance(self.account_id, str(r["currency"]), balance + locked, locked))
            avg = Decimal(str(r.get("avg_buy_price") or "0"))
            if avg > 0:
                self.avg_buy_price[str(r["currency"])] = avg
        return out

    async def positions(self) -> list[Position]:
        return []  # spot: positions are derived from fills by the core

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        out: list[Order] = []
        market = self._inst(symbol).wire_symbol if symbol else None
        for page in range(1, 51):
            rows = await self.rest.request("GET", "/v1/orders/open", {
                "market": market, "states": ["wait", "watch"], "page": page, "limit": 100})
            for r in rows:
                order = self._order(r)
                if order is not None and order.status.is_open:
                    out.append(order)
            if len(rows) < 100:
                break
        return out

    def _order(self, row: dict[str, Any], request: OrderRequest | None = None) -> Order | None:
        symbol = request.symbol if request is not None else self._symbol(str(row.get("market", "")))
        if symbol is None:
            return None
        return self._remember(order_from(row, self.account_id, symbol, request))

    async def _one(self, client_order_id: str, venue_order_id: str) -> dict[str, Any] | None:
        params = {"identifier": client_order_id} if client_order_id else {"uuid": venue_order_id}
        try:
            return await self.rest.request("GET", "/v1/order", params)
        except OrderNotFound:
            return None

    async def query_order(self, client_order_id: str, *, venue_order_id: str = "", symbol: str = "") -> Order | None:
        row = await self._one(client_order_id, venue_order_id)
        return self._order(row) if row is not None else None  # None: the core asks again (the venue's lag)

    async def fills_since(self, since_ms: int, symbols: Iterable[str] = ()) -> list[Fill]:
        """The trades since ``since_ms`` of the orders of ``symbols`` (and those traded in this session) that traded
        since then: closed in the window (7 days at a time) or still open."""
        wanted = sorted(set(symbols) | self._traded)
        traded: dict[str, dict[str, Any]] = {}
        for symbol in wanted:
            market = self._inst(symbol).wire_symbol
            start = since_ms
            end = now_ms()
            while start < end:
                stop = min(start + WEEK_MS, end)
                for r in await self.rest.request("GET", "/v1/orders/closed", {
                        "market": market, "states": ["done", "cancel"], "start_time": start, "end_time": stop,
                        "limit": 1000}):
                    if Decimal(str(r.get("executed_volume") or "0")) > 0:
                        traded[str(r["uuid"])] = r
                start = stop
        for order in await self.open_orders():
            if order.symbol in wanted and order.filled_qty > 0:
                traded[order.venue_order_id] = {"uuid": order.venue_order_id}
        out: list[Fill] = []
        for uid in traded:
            row = await self._one("", uid)
            if row is None:
                continue
            symbol = self._symbol(str(row.get("market", "")))
            if symbol is None:
                continue
            cid = str(row.get("identifier") or self._cid_of.get(uid, uid))
            out += [f for f in fills_from(row, self.account_id, symbol, cid, self._inst(symbol).quote)
                    if f.ts_ms >= since_ms]
        out.sort(key=lambda f: (f.ts_ms, f.trade_id))
        return out

    # ---- orders -----------------------------------------------------------------------------------------------
    async def place_order(self, request: OrderRequest) -> Order:
        inst = self._inst(request.symbol)
        params = order_params(request, inst)
        self._placing(request.symbol, request.client_order_id)
        answer = await self.rest.request("POST", "/v1/orders", params, placing=True)
        order = self._order(answer, request)
        assert order is not None
        self._queue.put_nowait(OrderUpdate(order))
        return order

    async def cancel_order(self, client_order_id: str, *, symbol: str = "", venue_order_id: str = "") -> Order:
        params = {"identifier": client_order_id} if client_order_id else {"uuid": venue_order_id}
        try:
            await self.rest.request("DELETE", "/v1/order", params)
        except (OrderNotFound, InvalidOrder):  # gone, or no longer cancellable (done, cancelled already)
            known = await self.query_order(client_order_id, venue_order_id=venue_order_id)
            if known is None or not known.status.is_final:
                raise
            return known  # already final: returned unchanged
        known = await self.query_order(client_order_id, venue_order_id=venue_order_id)
        if known is None:
            raise OrderNotFound(f"{self.venue}: order {client_order_id or venue_order_id} not found after cancel")
        return known
