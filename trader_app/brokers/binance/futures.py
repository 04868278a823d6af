"""``BinanceFutures``: one Binance USD-M futures account (``/fapi``; the shared parts in ``account.py``).

https://developers.binance.com/docs/derivatives/usds-margined-futures: one-way position mode only
(``GET /fapi/v1/positionSide/dual`` must answer ``dualSidePosition`` false: an account in hedge mode is refused
with the way out); ``GET /fapi/v2/account`` (``canTrade``), ``GET /fapi/v2/balance`` (``balance``,
``availableBalance``), ``GET /fapi/v2/positionRisk`` (``positionAmt``, ``entryPrice``, ``leverage``),
``POST /fapi/v1/leverage``; orders carry ``reduceOnly``; stops are ``STOP_MARKET`` / ``STOP``; cancel-all cancels each order by its
client order id (``DELETE /fapi/v1/allOpenOrders`` answers only "done"); trades from
``GET /fapi/v1/userTrades`` (5); user data on a listenKey stream (``futures_userdata.py``).
"""

from __future__ import annotations

from decimal import Decimal

from ...core.enums import OrderType, TimeInForce
from ...core.errors import AuthError, ConfigError
from ...core.portfolio import Balance, Position
from ..base import BrokerCapabilities
from .account import BinanceAccount
from .futures_userdata import FuturesUserData


class BinanceFutures(BinanceAccount):
    """A USD-M futures account (see the module docstring). ``leverage``: symbol -> the venue's leverage, read
    with the positions."""

    capabilities = BrokerCapabilities(
        order_types=frozenset({OrderType.MARKET, OrderType.LIMIT, OrderType.STOP_MARKET, OrderType.STOP_LIMIT}),
        time_in_force=frozenset(TimeInForce), reduce_only=True, short_selling=True, quote_stream=True,
        order_stream=True, bar_history=True, client_order_ids=True, position_updates=True, leverage=True)
    trades_path = "userTrades"
    trades_weight = 5
    restrictions_path = ""  # on the spot host (api.binance.com), not fapi: not read for futures keys

    def __init__(self, *args: object, **kw: object) -> None:
        super().__init__(*args, **kw)  # type: ignore[arg-type]
        self.leverage: dict[str, int] = {}

    async def _check_account(self) -> None:
        mode = await self.rest.request("GET", "positionSide/dual", weight=30)
        if mode.get("dualSidePosition"):
            raise ConfigError(f"{self.venue}: the account is in hedge mode (long and short positions apart); "
                              "Trader App trades one-way mode: switch it in Binance (Futures > Preferences > "
                              "Position mode > One-way) with no open positions, then reconnect")
        account = await self.rest.request("GET", "/fapi/v2/account", weight=5)
        if not account.get("canTrade", True):
            raise AuthError(f"{self.venue}: this account cannot trade (canTrade false)")

    def _user_data(self) -> FuturesUserData:
        return FuturesUserData(self.rest, self.endpoints.stream, self.account_id, self.public.symbols.symbol,
                               self._queue.put_nowait, self._on_state, gate=self.network.gate)

    async def balances(self) -> list[Balance]:
        rows = await self.rest.request("GET", "/fapi/v2/balance", weight=5)
        out = []
        for b in rows:
            total = Decimal(b["balance"])
            if total:
                out.append(Balance(self.account_id, b["asset"], total, max(Decimal(0), total - Decimal(b["availableBalance"]))))
        return out

    async def positions(self) -> list[Position]:
        rows = await self.rest.request("GET", "/fapi/v2/positionRisk", weight=5)
        out = []
        for p in rows:
            symbol = self.public.symbols.symbol(p["symbol"])
            if symbol is None or p.get("positionSide", "BOTH") != "BOTH":
                continue
            self.leverage[symbol] = int(p.get("leverage", 1))
            qty = Decimal(p["positionAmt"])
            if qty:
                out.append(Position(self.account_id, symbol, qty, Decimal(p["entryPrice"]),
                                    last_price=Decimal(p.get("markPrice") or "0") or None))
        return out

    async def set_leverage(self, symbol: str, leverage: int) -> int:
        """Set ``symbol``'s leverage (1..125 as the venue's brackets allow); returns what the venue set.
        Raises InvalidOrder for a value it refuses."""
        body = await self.rest.request("POST", "leverage", {"symbol": self._inst(symbol).wire_symbol,
                                                            "leverage": int(leverage)}, weight=1, symbol=symbol)
        self.leverage[symbol] = int(body["leverage"])
        return self.leverage[symbol]
