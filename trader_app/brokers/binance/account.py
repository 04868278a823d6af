"""``BinanceAccount``: what a Binance spot account (``spot.py``) and a USD-M futures account (``futures.py``)
share behind the broker contract (``brokers/base.py``).

- connect: the server clock, the market's instruments and limits (shared by every account through
  ``shared_public``), the account itself (``_check_account``), the key's restrictions
  (``GET /sapi/v1/account/apiRestrictions``: ``withdrawals_enabled``, shown as a warning; live only), then the
  account's user-data connection (``_user_data``).
- orders: ``POST {prefix}/order`` with ``newClientOrderId`` (weight 1; the account's ORDERS budget),
  ``GET {prefix}/order`` by ``origClientOrderId`` (-2013 "does not exist" answers None: right after placement
  that is the venue's lag, resolved by the core's reconciliation), ``DELETE {prefix}/order``,
  ``GET {prefix}/openOrders``, the account's trades (per symbol: the symbols this adapter has seen orders of).
Answers to an order that never come back (timeout, dropped connection, 5xx, -1006/-1007) leave it UNKNOWN for
the core to resolve; nothing is ever resent.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Iterable
from typing import Any

from ...core.enums import SessionState
from ...core.errors import AuthError, OrderNotFound
from ...core.orders import Fill, Order, OrderRequest
from ...core.portfolio import Balance, Position
from ..base import FillUpdate, OrderUpdate
from ..live import LiveAccount
from ..live.network import VenueNetwork
from .orders import fill_from_trade, fills_of_full_answer, order_from, order_params
from .public import shared_public
from .rest import BinanceRest
from .urls import Endpoints

log = logging.getLogger(__name__)


class BinanceAccount(LiveAccount):
    """One account (see the module docstring) on the live account base (``brokers/live/account.py``: update
    queue, connection state, bans, id maps, cancel-each, market data). ``api_key``/``secret``: from the OS
    keyring, handed in by the account service; ``live``: False on the testnet (which has no key-restrictions
    endpoint). Subclasses give ``capabilities``, ``_check_account``, ``_user_data``, ``balances``, ``positions``
    and the trade-history path."""

    trades_path = "myTrades"
    trades_weight = 20
    restrictions_path = "/sapi/v1/account/apiRestrictions"  # "" where the market's host has none
    def __init__(self, account_id: str, endpoints: Endpoints, network: VenueNetwork, api_key: str, secret: str, *,
                 live: bool = True) -> None:
        if not api_key or not secret:
            raise AuthError("a Binance account needs an API key and secret")
        super().__init__(account_id, endpoints.venue, network, shared_public(endpoints, network), endpoints.rest)
        self.endpoints = endpoints
        self.live = live
        self.rest = BinanceRest(endpoints, network, api_key, secret)
        self.withdrawals_enabled: bool | None = None
        self._user: Any = None

    # ---- lifecycle --------------------------------------------------------------------------------------------
    async def connect(self) -> None:
        if self._user is not None and self._state is SessionState.CONNECTED:
            return
        await self.public.connect()
        await self.rest.sync_clock()
        self.rest.orders.set_limits([lim for lim in self.public.limits if lim.kind == "ORDERS"])
        await self._check_account()
        if self.live and self.restrictions_path:
            try:
                restrictions = await self.rest.request("GET", self.restrictions_path, weight=1)
                self.withdrawals_enabled = bool(restrictions.get("enableWithdrawals"))
            except AuthError:
                raise
            except Exception as exc:  # noqa: BLE001 - a warning's source, not a reason to refuse the account
                log.info("%s: key restrictions not read (%s)", self.venue, exc)
        self._watch_bans()
        self._user = self._user_data()
        try:
            await self._user.start()
        except BaseException:
            user, self._user = self._user, None
            await user.close()
            raise

    async def close(self) -> None:
        if self._user is not None:
            await self._user.close()
            self._user = None
        self._stop()

    def ban_reason(self) -> str:
        return f"{self.venue} banned this IP (HTTP 418)"

    def _stream_state(self) -> SessionState:
        return self._user.stream.state if self._user is not None else SessionState.DOWN

    def warnings(self) -> list[str]:
        """``withdrawals enabled`` when the key's restrictions allow them (a trading key should not)."""
        if self.withdrawals_enabled:
            return ["withdrawals are enabled on this API key: a trading key should not be able to withdraw "
                    "(Binance: API Management > Edit restrictions)"]
        return []

    # ---- reads ------------------------------------------------------------------------------------------------
    @abstractmethod
    async def _check_account(self) -> None:
        """Read the account once at connect; raise AuthError/ConfigError when it cannot trade here."""

    @abstractmethod
    def _user_data(self) -> Any:
        """The account's user-data connection (``start``, ``close``, ``error``)."""

    @abstractmethod
    async def balances(self) -> list[Balance]: ...

    @abstractmethod
    async def positions(self) -> list[Position]: ...

    def _order(self, d: dict[str, Any], request: OrderRequest | None = None) -> Order:
        symbol = self.public.symbols.symbol(d["symbol"]) or d["symbol"]
        return self._remember(order_from(d, self.account_id, symbol, request))

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        params = {"symbol": self._inst(symbol).wire_symbol} if symbol else None
        rows = await self.rest.request("GET", "openOrders", params, weight=6 if symbol else 80)
        return [self._order(d) for d in rows]

    async def query_order(self, client_order_id: str, *, venue_order_id: str = "", symbol: str = "") -> Order | None:
        symbol = symbol or self._cid_symbol.get(client_order_id, "")
        if not symbol:
            return None  # nothing to ask Binance with: it files orders by symbol
        params = {"symbol": self._inst(symbol).wire_symbol}
        if venue_order_id:
            params["orderId"] = venue_order_id
        else:
            params["origClientOrderId"] = client_order_id
        try:
            return self._order(await self.rest.request("GET", "order", params, weight=4, symbol=symbol))
        except OrderNotFound:
            return None

    async def fills_since(self, since_ms: int, symbols: Iterable[str] = ()) -> list[Fill]:
        """The account's trades from ``since_ms`` on (``GET myTrades``/``userTrades`` per symbol, weight
        ``trades_weight`` each), oldest first, for ``symbols`` (the core passes those of its open and recent
        orders: a fresh adapter after a restart has traded nothing yet) and every symbol traded in this session.
        Symbols this venue does not list are skipped."""
        out: list[Fill] = []
        wanted = {s for s in symbols if s in self.public.symbols.by_symbol} | self._traded
        for symbol in sorted(wanted):
            rows = await self.rest.request("GET", self.trades_path, {"symbol": self._inst(symbol).wire_symbol,
                                                                    "startTime": since_ms, "limit": 1000},
                                           weight=self.trades_weight)
            for t in rows:
                cid = self._cid_of.get(str(t["orderId"]))
                if cid is None:
                    known = await self.query_order("", venue_order_id=str(t["orderId"]), symbol=symbol)
                    cid = known.client_order_id if known is not None else ""
                out.append(fill_from_trade(t, self.account_id, symbol, cid))
        out.sort(key=lambda f: (f.ts_ms, f.trade_id))
        return out

    # ---- orders -----------------------------------------------------------------------------------------------
    async def place_order(self, request: OrderRequest) -> Order:
        inst = self._inst(request.symbol)
        params = order_params(request, inst, self.endpoints.market)
        self._placing(request.symbol, request.client_order_id)
        body = await self._send_order(params, request.symbol)
        order = self._order(body, request)
        for fill in fills_of_full_answer(body, self.account_id, request.symbol):
            self._queue.put_nowait(FillUpdate(fill))
        self._queue.put_nowait(OrderUpdate(order))
        return order

    async def _send_order(self, params: dict[str, str], symbol: str) -> Any:
        """Send a new order (REST here; spot may use its WebSocket API session). Returns the venue's answer."""
        return await self.rest.request("POST", "order", params, weight=1, placing=True, symbol=symbol)

    async def _send_cancel(self, params: dict[str, str]) -> Any:
        return await self.rest.request("DELETE", "order", params, weight=1)

    async def cancel_order(self, client_order_id: str, *, symbol: str = "", venue_order_id: str = "") -> Order:
        """``DELETE order`` by ``origClientOrderId``, or by ``orderId`` when only the venue's id is known."""
        symbol = symbol or self._cid_symbol.get(client_order_id, "")
        if not symbol:
            raise OrderNotFound(f"{self.venue}: no known order {client_order_id}")
        params = {"symbol": self._inst(symbol).wire_symbol}
        if client_order_id:
            params["origClientOrderId"] = client_order_id
        else:
            params["orderId"] = venue_order_id
        body = await self._send_cancel(params)
        return self._order(dict(body, clientOrderId=body.get("origClientOrderId", client_order_id)))
