"""``BinanceSpot``: one Binance spot account (``/api/v3``; the shared parts in ``account.py``).

- ``GET /api/v3/account`` (weight 20; ``omitZeroBalances``): ``canTrade`` and the balances (total = free +
  locked); https://developers.binance.com/docs/binance-spot-api-docs/rest-api/account-endpoints.
- New orders ask ``newOrderRespType=FULL``: the answer carries the fills. ``GET /api/v3/myTrades`` (20).
- User data over the WebSocket API, one connection per account (``userdata.py``); with ``order_entry`` "ws"
  (the default) new orders and cancels go over that same connection (``order.place``, ``order.cancel``: no
  HTTP request per order), REST when it is not up (nothing was sent then); "rest" always uses REST.
- Spot reports no positions: the core derives them from the fills (``position_updates`` False), less the fee
  taken in the bought coin.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...core.enums import OrderType, Side, TimeInForce
from ...core.errors import AuthError, OrderNotFound
from ...core.orders import Order
from ...core.portfolio import Balance, Position
from ..base import BrokerCapabilities
from ..live.requests import NotSent
from .account import BinanceAccount
from .userdata import SpotUserData


ORDER_ENTRY = ("ws", "rest")


class BinanceSpot(BinanceAccount):
    """A spot account (see the module docstring). ``order_entry``: "ws" or "rest"."""

    def __init__(self, *args: Any, order_entry: str = "ws", **kw: Any) -> None:
        super().__init__(*args, **kw)
        if order_entry not in ORDER_ENTRY:
            raise ValueError(f"order_entry must be one of {ORDER_ENTRY}, got {order_entry!r}")
        self.order_entry = order_entry
        self.sent_over: dict[str, int] = {"ws": 0, "rest": 0}  # orders and cancels answered, per transport

    capabilities = BrokerCapabilities(
        order_types=frozenset({OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_MARKET, OrderType.STOP_LIMIT}),
        time_in_force=frozenset(TimeInForce), reduce_only=False, short_selling=False, quote_stream=True,
        order_stream=True, bar_history=True, client_order_ids=True, position_updates=False, quote_amount=True)

    async def _check_account(self) -> None:
        account = await self.rest.request("GET", "account", {"omitZeroBalances": "true"}, weight=20)
        if not account.get("canTrade", True):
            raise AuthError(f"{self.venue}: this account cannot trade (canTrade false)")

    def _user_data(self) -> SpotUserData:
        return SpotUserData(self.rest, self.endpoints.ws_api, self.account_id, self.public.symbols.symbol,
                            self._queue.put_nowait, self._on_state, gate=self.network.gate)

    async def _send_order(self, params: dict[str, str], symbol: str) -> Any:
        if self.order_entry == "ws" and self._user is not None:
            try:
                body = await self._user.call("order.place", params, weight=1, placing=True, symbol=symbol)
                self.sent_over["ws"] += 1
                return body
            except NotSent:
                pass  # nothing reached the venue: REST is safe
        body = await super()._send_order(params, symbol)
        self.sent_over["rest"] += 1
        return body

    async def _send_cancel(self, params: dict[str, str]) -> Any:
        if self.order_entry == "ws" and self._user is not None:
            try:
                body = await self._user.call("order.cancel", params, weight=1)
                self.sent_over["ws"] += 1
                return body
            except NotSent:
                pass
        body = await super()._send_cancel(params)
        self.sent_over["rest"] += 1
        return body

    async def cancel_all(self, symbol: str | None = None, side: Side | None = None) -> list[Order]:
        """A whole symbol in one ``DELETE /api/v3/openOrders`` (its answer lists every cancelled order);
        otherwise order by order."""
        if symbol is None or side is not None:
            return await super().cancel_all(symbol, side)
        try:
            rows = await self.rest.request("DELETE", "openOrders", {"symbol": self._inst(symbol).wire_symbol},
                                           weight=1)
        except OrderNotFound:
            return []  # -2011: nothing open
        return [self._order(dict(d, clientOrderId=d.get("origClientOrderId", d["clientOrderId"]))) for d in rows]

    async def balances(self) -> list[Balance]:
        account = await self.rest.request("GET", "account", {"omitZeroBalances": "true"}, weight=20)
        return [Balance(self.account_id, b["asset"], Decimal(b["free"]) + Decimal(b["locked"]), Decimal(b["locked"]))
                for b in account.get("balances", ())]

    async def positions(self) -> list[Position]:
        return []  # spot: positions are derived from fills by the core
