"""``BinanceSpot``: one Binance spot account (``/api/v3``; the shared parts in ``account.py``).

- ``GET /api/v3/account`` (weight 20; ``omitZeroBalances``): ``canTrade`` and the balances (total = free +
  locked); https://developers.binance.com/docs/binance-spot-api-docs/rest-api/account-endpoints.
- New orders ask ``newOrderRespType=FULL``: the answer carries the fills. ``GET /api/v3/myTrades`` (20).
- User data over the WebSocket API, one connection per account (``userdata.py``).
- Spot reports no positions: the core derives them from the fills (``position_updates`` False), less the fee
  taken in the bought coin.
"""

from __future__ import annotations

from decimal import Decimal

from ...core.enums import OrderType, TimeInForce
from ...core.errors import AuthError
from ...core.portfolio import Balance, Position
from ..base import BrokerCapabilities
from .account import BinanceAccount
from .userdata import SpotUserData


class BinanceSpot(BinanceAccount):
    """A spot account (see the module docstring)."""

    capabilities = BrokerCapabilities(
        order_types=frozenset({OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_MARKET, OrderType.STOP_LIMIT}),
        time_in_force=frozenset(TimeInForce), reduce_only=False, short_selling=False, quote_stream=True,
        order_stream=True, bar_history=True, client_order_ids=True, position_updates=False)

    async def _check_account(self) -> None:
        account = await self.rest.request("GET", "account", {"omitZeroBalances": "true"}, weight=20)
        if not account.get("canTrade", True):
            raise AuthError(f"{self.venue}: this account cannot trade (canTrade false)")

    def _user_data(self) -> SpotUserData:
        return SpotUserData(self.rest, self.endpoints.ws_api, self.account_id, self.public.symbols.symbol,
                            self._queue.put_nowait, self._on_state, gate=self.network.gate)

    async def balances(self) -> list[Balance]:
        account = await self.rest.request("GET", "account", {"omitZeroBalances": "true"}, weight=20)
        return [Balance(self.account_id, b["asset"], Decimal(b["free"]) + Decimal(b["locked"]), Decimal(b["locked"]))
                for b in account.get("balances", ())]

    async def positions(self) -> list[Position]:
        return []  # spot: positions are derived from fills by the core
