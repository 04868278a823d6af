"""``TicketAccount``: the account adapter of the KRW exchanges that share one REST and stream design (the family of
``ticket_feed.py``), on the live account base (``account.py``). A venue subclasses it with its REST client
(``rest``: ``request(method, path, params, placing=)`` signed with a JWT per request, ``stream_token()``), its
names (``keys``, the paths, the query and cancel keys), its order lists (``_open_rows``, ``_closed_rows``: the
venues page them differently) and its private stream's field names (``translate``).

- connect: the shared public feed (markets), the balances (the key is checked), then the private stream.
- reads: ``GET /v1/accounts`` (``balance``, ``locked``, ``avg_buy_price`` per currency: kept in ``avg_buy_price``),
  open orders, one order by our client order id or the venue's (with its ``trades``); these venues keep no list
  of an account's trades: ``fills_since`` reads the trades of each order of the asked symbols that traded since
  then (closed in the window, 7 days at a time, or open), one single-order call each.
- orders: the new-order call with our client order id (``ticket_orders.order_params``): limit, market buy by the
  amount to spend, market sell by volume; a cancel is only accepted by the venue: the order is read back. Spot
  only: positions are derived from fills by the core.
A lost answer (timeout, 5xx) leaves the order UNKNOWN for the core to resolve; nothing is ever resent.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ...core.enums import OrderType, TimeInForce
from ...core.errors import InvalidOrder, OrderNotFound
from ...core.ids import now_ms
from ...core.orders import Fill, Order, OrderRequest
from ...core.portfolio import Balance, Position
from ..base import BrokerCapabilities, OrderUpdate
from .account import LiveAccount
from .profile import VenueProfile
from .ticket_orders import Keys, fills_from, order_from, order_params
from .ticket_private import TicketPrivateStream, Translate

WEEK_MS = 7 * 86_400_000


class TicketAccount(LiveAccount):
    """One account of a KRW exchange of this family (see the module docstring)."""

    capabilities = BrokerCapabilities(
        order_types=frozenset({OrderType.MARKET, OrderType.LIMIT}),
        time_in_force=frozenset({TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK}), reduce_only=False,
        short_selling=False, quote_stream=True, order_stream=True, bar_history=True, client_order_ids=True,
        position_updates=False, quote_amount=True, market_buy_by_quote=True)
    profile: VenueProfile
    keys: Keys
    order_path = "/v1/orders"
    cancel_path = "/v1/order"
    query_path = "/v1/order"
    query_keys = ("identifier", "uuid")  # (ours, the venue's) in the single-order query
    cancel_keys = ("identifier", "uuid")  # (ours, the venue's) in the cancel
    translate: Translate
    rest: Any
    private_url: str

    def __init__(self, account_id: str, venue: str, network: Any, public: Any, budget_url: str) -> None:
        super().__init__(account_id, venue, network, public, budget_url)
        self.avg_buy_price: dict[str, Decimal] = {}  # currency -> the venue's average buy price (its quote)

    # ---- lifecycle --------------------------------------------------------------------------------------------
    async def connect(self) -> None:
        if self._streaming:
            return
        await self.public.connect()
        await self.balances()  # the key is checked here
        self._watch_bans()
        await self._open_private(TicketPrivateStream(
            self.venue, self.rest.stream_token, self.private_url, self.account_id, self._symbol, type(self).translate,
            self.keys.client_id, self._queue.put_nowait, self._on_state, gate=self.network.gate))

    async def close(self) -> None:
        await self._close_private()
        self._stop()

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

    @abstractmethod
    async def _open_rows(self, market: str | None) -> list[dict[str, Any]]:
        """Every open order (resting and reserved) of ``market`` (all when None), as the venue lists them."""

    @abstractmethod
    async def _closed_rows(self, market: str, start_ms: int, end_ms: int) -> list[dict[str, Any]]:
        """The done and cancelled orders of ``market`` created in ``[start_ms, end_ms]`` (at most 7 days)."""

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        out: list[Order] = []
        for r in await self._open_rows(self._inst(symbol).wire_symbol if symbol else None):
            order = self._order(r)
            if order is not None and order.status.is_open:
                out.append(order)
        return out

    def _order(self, row: dict[str, Any], request: OrderRequest | None = None) -> Order | None:
        symbol = request.symbol if request is not None else self._symbol(str(row.get("market", "")))
        if symbol is None:
            return None
        return self._remember(order_from(row, self.account_id, symbol, request, client_id=self.keys.client_id))

    async def _one(self, client_order_id: str, venue_order_id: str) -> dict[str, Any] | None:
        ours, theirs = self.query_keys
        params = {ours: client_order_id} if client_order_id else {theirs: venue_order_id}
        try:
            return await self.rest.request("GET", self.query_path, params)
        except OrderNotFound:
            return None

    async def query_order(self, client_order_id: str, *, venue_order_id: str = "", symbol: str = "") -> Order | None:
        row = await self._one(client_order_id, venue_order_id)
        return self._order(row) if row is not None else None  # None: the core asks again (the venue's lag)

    async def fills_since(self, since_ms: int, symbols: Iterable[str] = ()) -> list[Fill]:
        """The trades since ``since_ms`` of the orders of ``symbols`` (and those traded in this session) that traded
        since then: closed in the window (7 days at a time) or still open."""
        wanted = sorted(set(symbols) | self._traded)
        traded: set[str] = set()
        for symbol in wanted:
            market = self._inst(symbol).wire_symbol
            start, end = since_ms, now_ms()
            while start < end:
                stop = min(start + WEEK_MS, end)
                for r in await self._closed_rows(market, start, stop):
                    if Decimal(str(r.get("executed_volume") or "0")) > 0:
                        traded.add(str(r.get("uuid") or r.get("order_id")))
                start = stop
        for order in await self.open_orders():
            if order.symbol in wanted and order.filled_qty > 0:
                traded.add(order.venue_order_id)
        out: list[Fill] = []
        for uid in sorted(traded):
            row = await self._one("", uid)
            symbol = self._symbol(str(row.get("market", ""))) if row is not None else None
            if row is None or symbol is None:
                continue
            cid = str(row.get(self.keys.client_id) or self._cid_of.get(uid, uid))
            out += [f for f in fills_from(row, self.account_id, symbol, cid, self._inst(symbol).quote)
                    if f.ts_ms >= since_ms]
        out.sort(key=lambda f: (f.ts_ms, f.trade_id))
        return out

    # ---- orders -----------------------------------------------------------------------------------------------
    async def place_order(self, request: OrderRequest) -> Order:
        inst = self._inst(request.symbol)
        params = order_params(request, inst, self.keys, self.profile.client_ids)
        self._placing(request.symbol, request.client_order_id)
        answer = await self.rest.request("POST", self.order_path, params, placing=True)
        order = self._order(answer, request)
        assert order is not None
        self._queue.put_nowait(OrderUpdate(order))
        return order

    async def cancel_order(self, client_order_id: str, *, symbol: str = "", venue_order_id: str = "") -> Order:
        ours, theirs = self.cancel_keys
        params = {ours: client_order_id} if client_order_id else {theirs: venue_order_id}
        try:
            await self.rest.request("DELETE", self.cancel_path, params)
        except (OrderNotFound, InvalidOrder):  # gone, or no longer cancellable (done, cancelled already)
            known = await self.query_order(client_order_id, venue_order_id=venue_order_id)
            if known is None or not known.status.is_final:
                raise
            return known  # already final: returned unchanged
        known = await self.query_order(client_order_id, venue_order_id=venue_order_id)
        if known is None:
            raise OrderNotFound(f"{self.venue}: order {client_order_id or venue_order_id} not found after cancel")
        return known
