"""``BybitAccount``: one Bybit unified trading account, spot and USDT linear perpetuals together, behind the
broker contract, on the live account base (``brokers/live/account.py``).

- connect: both categories' public feeds (instruments, clock), the wallet (the key is checked), the key's
  permissions (``GET /v5/user/query-api``: a key that can withdraw is warned about), then the private stream.
- reads: ``GET /v5/account/wallet-balance?accountType=UNIFIED`` (per coin ``walletBalance``, ``locked``),
  ``GET /v5/position/list?category=linear&settleCoin=USDT`` (spot holdings are coins: their positions are derived
  from fills by the core, ``spot_positions_derived``), ``GET /v5/order/realtime`` (open orders, per category,
  paged with ``cursor``; one order by ``orderLinkId`` or ``orderId``, else ``/v5/order/history``),
  ``GET /v5/execution/list`` (fills from a time, per category, paged).
- orders over the account's trade API connection (``trade.py``: ``order.create``) where it is up, else REST
  ``POST /v5/order/create``, with ``orderLinkId`` (the answer is NEW; the state comes from the private stream), ``POST /v5/order/cancel`` (then the order is read back), ``POST /v5/position/set-leverage``.
A lost answer (timeout, 5xx) leaves the order UNKNOWN for the core to resolve; nothing is ever resent.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Any

from ...core.enums import Interval
from ...core.errors import AuthError, OrderNotFound, UnknownSymbol
from ...core.instrument import Instrument
from ...core.market_data import Bar, Quote
from ...core.orders import Fill, Order, OrderRequest
from ...core.portfolio import Balance, Position
from ..base import BrokerCapabilities, OrderUpdate
from ..live import LiveAccount
from ..live.network import VenueNetwork
from ..live.requests import NotSent
from .orders import category_of, fill_from, order_from, order_params, position_from
from .private import PrivateStream
from .public import BybitPublic, shared_public
from .rest import BybitRest
from .trade import TradeSession
from .urls import LINEAR, SPOT, Endpoints

log = logging.getLogger(__name__)
LEVERAGE_NOT_MODIFIED = 110043


class BybitAccount(LiveAccount):
    """One unified account (see the module docstring). ``api_key``/``secret`` come from the OS keyring."""

    capabilities = BrokerCapabilities(reduce_only=True, short_selling=True, quote_stream=True, order_stream=True,
                                      bar_history=True, client_order_ids=True, position_updates=True,
                                      spot_positions_derived=True, leverage=True, quote_amount=True)

    def __init__(self, account_id: str, endpoints: Endpoints, network: VenueNetwork, api_key: str, secret: str, *,
                 live: bool = True, order_entry: str = "ws") -> None:
        if not api_key or not secret:
            raise AuthError("a Bybit account needs an API key and secret")
        spot = shared_public(endpoints, network, SPOT)
        super().__init__(account_id, endpoints.venue, network, spot, endpoints.rest)
        self.endpoints = endpoints
        self.live = live
        self.linear = shared_public(endpoints, network, LINEAR)
        self.rest = BybitRest(endpoints, network, api_key, secret)
        self.withdrawals_enabled: bool | None = None
        self.leverage: dict[str, int] = {}
        self.order_entry = order_entry  # "ws": the trade API where it is up, REST otherwise; "rest": REST only
        self.sent_over = {"ws": 0, "rest": 0}
        self._trade: TradeSession | None = None

    # ---- lifecycle --------------------------------------------------------------------------------------------
    async def connect(self) -> None:
        if self._streaming:
            return
        await self.public.connect()
        await self.linear.connect()
        await self.rest.sync_clock()
        await self.balances()  # the key is checked here
        try:
            key = await self.rest.request("GET", "/v5/user/query-api")
            self.withdrawals_enabled = "Withdraw" in (key.get("permissions", {}).get("Wallet") or [])
        except AuthError:
            raise
        except Exception as exc:  # noqa: BLE001 - a warning's source, not a reason to refuse the account
            log.info("%s: key permissions not read (%s)", self.venue, exc)
        self._watch_bans()
        await self._open_private(PrivateStream(self.rest, self.endpoints.private, self.account_id, self._symbol_of,
                                            self._queue.put_nowait, self._on_state, gate=self.network.gate))
        if self.order_entry == "ws":
            self._trade = TradeSession(self.rest, self.endpoints.trade, self.account_id, gate=self.network.gate)
            try:
                await self._trade.start()
            except Exception as exc:  # noqa: BLE001 - orders go over REST until the trade API is up
                log.info("%s: the trade API is not up (%s); orders go over REST", self.venue, exc)

    async def close(self) -> None:
        if self._trade is not None:
            await self._trade.close()
            self._trade = None
        await self._close_private()
        self._stop()

    def ban_reason(self) -> str:
        return f"{self.venue} stopped this IP for 10 minutes (HTTP 403, access too frequent)"

    def warnings(self) -> list[str]:
        if self.withdrawals_enabled:
            return ["withdrawals are enabled on this API key: a trading key should not be able to withdraw "
                    "(Bybit: API management > Edit > Wallet)"]
        return []

    # ---- instruments: two categories -----------------------------------------------------------------------
    def _public_of(self, symbol: str) -> BybitPublic:
        return self.linear if ":" in symbol else self.public

    async def instruments(self) -> list[Instrument]:
        return await self.public.instruments() + await self.linear.instruments()

    def _inst(self, symbol: str) -> Instrument:
        inst = self._public_of(symbol).symbols.by_symbol.get(symbol)
        if inst is None:
            raise UnknownSymbol(symbol, self.venue)
        return inst

    def _symbol_of(self, category: str, wire: str) -> str | None:
        return (self.linear if category == LINEAR else self.public).symbols.symbol(wire)

    # ---- reads ------------------------------------------------------------------------------------------------
    async def balances(self) -> list[Balance]:
        result = await self.rest.request("GET", "/v5/account/wallet-balance", {"accountType": "UNIFIED"})
        out = []
        for account in result.get("list", []):
            for c in account.get("coin", []):
                out.append(Balance(self.account_id, c["coin"], Decimal(str(c.get("walletBalance") or "0")),
                                   Decimal(str(c.get("locked") or "0"))))
        return out

    async def positions(self) -> list[Position]:
        rows = await self._paged("/v5/position/list", {"category": LINEAR, "settleCoin": "USDT", "limit": 200})
        out = []
        for row in rows:
            symbol = self._symbol_of(LINEAR, row.get("symbol", ""))
            if symbol is not None and Decimal(str(row.get("size") or "0")) != 0:
                out.append(position_from(row, self.account_id, symbol))
                self.leverage[symbol] = int(Decimal(str(row.get("leverage") or "1")))
        return out

    async def _paged(self, path: str, params: dict[str, Any], pages: int = 20) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        cursor = ""
        for _ in range(pages):
            result = await self.rest.request("GET", path, {**params, "cursor": cursor or None})
            rows += result.get("list", [])
            cursor = result.get("nextPageCursor") or ""
            if not cursor:
                break
        return rows

    def _order(self, row: dict[str, Any], request: OrderRequest | None = None) -> Order | None:
        symbol = request.symbol if request is not None else self._symbol_of(str(row.get("category", "")),
                                                                              str(row.get("symbol", "")))
        if symbol is None:
            return None
        return self._remember(order_from(row, self.account_id, symbol, request, self.rest.clock.now_ms()))

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        wanted = [(category_of(self._inst(symbol)), self._inst(symbol).wire_symbol)] if symbol else \
            [(SPOT, None), (LINEAR, None)]
        out = []
        for category, wire in wanted:
            params = {"category": category, "symbol": wire, "openOnly": 0, "limit": 50}
            if category == LINEAR and wire is None:
                params["settleCoin"] = "USDT"
            for row in await self._paged("/v5/order/realtime", params):
                row.setdefault("category", category)
                order = self._order(row)
                if order is not None and order.status.is_open:
                    out.append(order)
        return out

    @staticmethod
    def _order_ref(inst: Instrument, client_order_id: str, venue_order_id: str) -> dict[str, Any]:
        """The v5 parameters naming one order: category, symbol and ``orderLinkId`` (ours) or ``orderId``."""
        params: dict[str, Any] = {"category": category_of(inst), "symbol": inst.wire_symbol}
        if client_order_id:
            params["orderLinkId"] = client_order_id
        else:
            params["orderId"] = venue_order_id
        return params

    async def query_order(self, client_order_id: str, *, venue_order_id: str = "", symbol: str = "") -> Order | None:
        symbol = symbol or self._cid_symbol.get(client_order_id, "")
        if not symbol:
            return None
        inst = self._inst(symbol)
        params = self._order_ref(inst, client_order_id, venue_order_id)
        for path in ("/v5/order/realtime", "/v5/order/history"):
            rows = (await self.rest.request("GET", path, params)).get("list", [])
            if rows:
                rows[0].setdefault("category", params["category"])
                return self._order(rows[0])
        return None  # "not found": the core asks again for a while (the venue's lag)

    async def fills_since(self, since_ms: int, symbols: Any = ()) -> list[Fill]:
        """Executions from ``since_ms`` of both categories (Bybit lists them per category, any symbol)."""
        out: list[Fill] = []
        for category in (SPOT, LINEAR):
            params = {"category": category, "startTime": since_ms, "limit": 100}
            for row in await self._paged("/v5/execution/list", params):
                if row.get("execType", "Trade") != "Trade":
                    continue
                symbol = self._symbol_of(category, row.get("symbol", ""))
                if symbol is not None:
                    out.append(fill_from(row, self.account_id, symbol))
        out.sort(key=lambda f: (f.ts_ms, f.trade_id))
        return out

    # ---- orders -----------------------------------------------------------------------------------------------
    async def place_order(self, request: OrderRequest) -> Order:
        inst = self._inst(request.symbol)
        params = order_params(request, inst)
        self._placing(request.symbol, request.client_order_id)
        answer = await self._send_order(params)
        order = self._order(answer, request)
        assert order is not None
        self._queue.put_nowait(OrderUpdate(order))
        return order

    async def _send_order(self, params: dict[str, Any]) -> Any:
        """A new order over the trade API when it is up, else REST (a request the trade API could not write goes
        over REST: nothing reached the venue)."""
        trade = self._trade
        if trade is not None and trade.ready:
            try:
                answer = await trade.call("order.create", params, placing=True)
                self.sent_over["ws"] += 1
                return answer
            except NotSent:
                pass
        answer = await self.rest.request("POST", "/v5/order/create", params, placing=True)
        self.sent_over["rest"] += 1
        return answer

    async def cancel_order(self, client_order_id: str, *, symbol: str = "", venue_order_id: str = "") -> Order:
        symbol = symbol or self._cid_symbol.get(client_order_id, "")
        if not symbol:
            raise OrderNotFound(f"{self.venue}: no known order {client_order_id}")
        inst = self._inst(symbol)
        params = self._order_ref(inst, client_order_id, venue_order_id)
        try:
            await self.rest.request("POST", "/v5/order/cancel", params)
        except OrderNotFound:
            known = await self.query_order(client_order_id, venue_order_id=venue_order_id, symbol=symbol)
            if known is None:
                raise
            return known  # already final: returned unchanged
        known = await self.query_order(client_order_id, venue_order_id=venue_order_id, symbol=symbol)
        if known is None:
            raise OrderNotFound(f"{self.venue}: order {client_order_id or venue_order_id} not found after cancel")
        return known

    async def set_leverage(self, symbol: str, leverage: int) -> int:
        """``POST /v5/position/set-leverage`` (buy and sell alike); returns the leverage now in force."""
        inst = self._inst(symbol)
        if category_of(inst) != LINEAR:
            return 1
        try:
            await self.rest.request("POST", "/v5/position/set-leverage",
                                    {"category": LINEAR, "symbol": inst.wire_symbol,
                                     "buyLeverage": str(leverage), "sellLeverage": str(leverage)})
        except Exception as exc:
            if str(LEVERAGE_NOT_MODIFIED) not in str(exc):
                raise
        self.leverage[symbol] = leverage
        return leverage

    # ---- market data: the symbol's category's feed -------------------------------------------------------
    async def bar_history(self, symbol: str, interval: Interval, start_ms: int, end_ms: int) -> list[Bar]:
        return await self._public_of(symbol).bar_history(symbol, interval, start_ms, end_ms)

    async def quotes(self, symbols: list[str]):  # type: ignore[override]
        """Quotes of both categories' symbols, merged (each feed keeps its own subscriptions)."""
        queue: asyncio.Queue[Quote | Bar | None] = asyncio.Queue()

        async def pump(feed: BybitPublic, mine: list[str]) -> None:
            async for item in feed.quotes(mine):
                queue.put_nowait(item)
            queue.put_nowait(None)

        feeds = [(self.public, [s for s in symbols if ":" not in s]), (self.linear, [s for s in symbols if ":" in s])]
        tasks = [asyncio.ensure_future(pump(f, mine)) for f, mine in feeds]
        ended = 0
        try:
            while ended < len(tasks):
                item = await queue.get()
                if item is None:
                    ended += 1
                    continue
                yield item
        finally:
            for t in tasks:
                t.cancel()

    async def subscribe(self, symbols: list[str]) -> None:
        await self.public.subscribe([s for s in symbols if ":" not in s])
        await self.linear.subscribe([s for s in symbols if ":" in s])

    async def unsubscribe(self, symbols: list[str]) -> None:
        await self.public.unsubscribe([s for s in symbols if ":" not in s])
        await self.linear.unsubscribe([s for s in symbols if ":" in s])

