"""``LiveAccount``: the part of a live venue's account adapter that does not depend on the venue.

- **Updates**: one queue per account, read by the core through ``updates()`` (``queued_updates``); ``close``
  ends it. ``drain_updates`` waits until the core has taken everything queued so far.
- **Connection state**: ``_on_state(state, reason)`` queues a ``ConnectionUpdate`` on each change (a repeated
  CONNECTED is dropped).
- **Bans**: the account listens to its IP budget (``network.budget(budget_url)``); a ban (HTTP 418, a venue's
  "access too frequent") is reported BANNED with its end on every account of that IP, and when it lifts the
  account reports its stream's state again (``_stream_state``).
- **Id maps**: client order id -> symbol (venues that file orders by symbol), venue order id -> client order id,
  and the symbols traded in this session (``_remember``).
- **Cancel each**: ``cancel_all`` cancels the open orders one by one, so each comes back with its own final
  state; ones already gone are skipped.
- **Market data**: instruments, bar history and quotes from the venue's shared public feed (``public``: one
  connection for every account of the venue on this machine).

A venue's adapter subclasses it and supplies ``capabilities``, ``connect``/``close`` (calling ``_watch_bans``,
``_open_private`` / ``_close_private``, ``_stop``) and the reads and order calls in the venue's wire format; an
adapter whose user data is not one private stream overrides ``_stream_state``.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Any

from ...core.enums import Interval, SessionState, Side
from ...core.errors import OrderNotFound, UnknownSymbol
from ...core.instrument import Instrument
from ...core.market_data import Bar, Quote
from ...core.orders import Order
from ..base import BrokerCapabilities, BrokerUpdate, ConnectionUpdate, queued_updates
from .network import VenueNetwork

_END = object()


class LiveAccount(ABC):
    """One live account (see the module docstring). ``venue``: the app's venue name (``binance``);
    ``network``: the venue's per-IP network (budgets, connections); ``public``: the venue's shared public feed
    (``instruments()``, ``symbols.by_symbol``, ``bar_history``, ``quotes``, ``subscribe``, ``unsubscribe``);
    ``budget_url``: the base URL whose budget carries this account's requests (its bans are this account's)."""

    capabilities: BrokerCapabilities

    def __init__(self, account_id: str, venue: str, network: VenueNetwork, public: Any, budget_url: str) -> None:
        self.account_id = account_id
        self.venue = venue
        self.network = network
        self.public = public
        self.budget_url = budget_url
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._cid_symbol: dict[str, str] = {}  # client order id -> our symbol
        self._cid_of: dict[str, str] = {}  # venue order id -> client order id
        self._traded: set[str] = set()  # symbols this adapter has seen orders of in this session
        self._ban_listener = self._on_ban
        self._lift: asyncio.TimerHandle | None = None
        self._state = SessionState.DISCONNECTED
        self._private: Any = None  # the account's private stream (``start()``, ``close()``, ``stream.state``)

    # ---- the private stream -------------------------------------------------------------------------------------
    @property
    def _streaming(self) -> bool:
        """The private stream is open and the account CONNECTED (a second ``connect`` has nothing to do)."""
        return self._private is not None and self._state is SessionState.CONNECTED

    async def _open_private(self, private: Any) -> None:
        """Start the account's private stream; when it fails to start it is closed and the error raised."""
        self._private = private
        try:
            await private.start()
        except BaseException:
            self._private = None
            await private.close()
            raise

    async def _close_private(self) -> None:
        if self._private is not None:
            private, self._private = self._private, None
            await private.close()

    def _stream_state(self) -> SessionState:
        """The state of the account's private stream, reported when a ban lifts (DOWN without one)."""
        return self._private.stream.state if self._private is not None else SessionState.DOWN

    # ---- connection state and bans ------------------------------------------------------------------------
    def _on_state(self, state: SessionState, reason: str) -> None:
        if state is self._state and state is SessionState.CONNECTED:
            return
        self._state = state
        self._queue.put_nowait(ConnectionUpdate(state, reason))

    def _watch_bans(self) -> None:
        """Listen to the IP budget's bans (at connect; idempotent)."""
        budget = self.network.budget(self.budget_url)
        if self._ban_listener not in budget.ban_listeners:
            budget.ban_listeners.append(self._ban_listener)

    def _stop(self) -> None:
        """Stop listening for bans and end the update stream (at close)."""
        if self._lift is not None:
            self._lift.cancel()
            self._lift = None
        budget = self.network.budget(self.budget_url)
        if self._ban_listener in budget.ban_listeners:
            budget.ban_listeners.remove(self._ban_listener)
        self._queue.put_nowait(_END)

    def _on_ban(self, until_ms: int) -> None:
        """The IP is banned: BANNED until the venue's time, then the stream's state again."""
        self._queue.put_nowait(ConnectionUpdate(SessionState.BANNED, self.ban_reason(), until_ms))
        if self._lift is not None:
            self._lift.cancel()
        self._schedule_lift()

    def ban_reason(self) -> str:
        """What the Accounts panel says while the IP is banned (a venue may name its own status)."""
        return f"{self.venue} banned this IP"

    def _schedule_lift(self) -> None:
        budget = self.network.budget(self.budget_url)
        delay = max(0.0, (budget.banned_until_ms - budget.clock_ms()) / 1000) + 0.01
        self._lift = asyncio.get_running_loop().call_later(delay, self._ban_lifted)

    def _ban_lifted(self) -> None:
        self._lift = None
        if self.network.budget(self.budget_url).banned:
            self._schedule_lift()  # extended meanwhile (or the timer ran a hair early)
            return
        state = self._stream_state()
        self._queue.put_nowait(ConnectionUpdate(state, "" if state is SessionState.CONNECTED else "after the ban"))

    # ---- instruments and ids --------------------------------------------------------------------------------
    async def instruments(self) -> list[Instrument]:
        return await self.public.instruments()

    def _inst(self, symbol: str) -> Instrument:
        """The instrument of our ``symbol``; raises ``UnknownSymbol`` naming the venue."""
        inst = self.public.symbols.by_symbol.get(symbol)
        if inst is None:
            raise UnknownSymbol(symbol, self.venue)
        return inst

    def _placing(self, symbol: str, client_order_id: str) -> None:
        """Record an order about to be sent: its symbol (for venues that file orders by symbol, and for the fills
        of this session's symbols)."""
        self._cid_symbol[client_order_id] = symbol
        self._traded.add(symbol)

    def _remember(self, order: Order) -> Order:
        """Record an order's ids and symbol (from an answer, a report or a listing); returns it."""
        self._cid_symbol[order.client_order_id] = order.symbol
        if order.venue_order_id:
            self._cid_of[order.venue_order_id] = order.client_order_id
        self._traded.add(order.symbol)
        return order

    # ---- cancel each ------------------------------------------------------------------------------------------
    @abstractmethod
    async def open_orders(self, symbol: str | None = None) -> list[Order]: ...

    @abstractmethod
    async def cancel_order(self, client_order_id: str, *, symbol: str = "", venue_order_id: str = "") -> Order: ...

    async def cancel_all(self, symbol: str | None = None, side: Side | None = None) -> list[Order]:
        """Each open order (of ``symbol``/``side``) cancelled on its own, so every one comes back with its own
        final state; ones already gone are skipped."""
        out = []
        for order in await self.open_orders(symbol):
            if side is None or order.side is side:
                try:
                    out.append(await self.cancel_order(order.client_order_id, symbol=order.symbol,
                                                       venue_order_id=order.venue_order_id))
                except OrderNotFound:
                    continue
        return out

    # ---- market data (the venue's shared public connection) -------------------------------------------------
    async def bar_history(self, symbol: str, interval: Interval, start_ms: int, end_ms: int) -> list[Bar]:
        return await self.public.bar_history(symbol, interval, start_ms, end_ms)

    def quotes(self, symbols: list[str]) -> AsyncIterator[Quote | Bar]:
        return self.public.quotes(symbols)

    async def subscribe(self, symbols: list[str]) -> None:
        await self.public.subscribe(symbols)

    async def unsubscribe(self, symbols: list[str]) -> None:
        await self.public.unsubscribe(symbols)

    # ---- updates ----------------------------------------------------------------------------------------------
    def updates(self) -> AsyncIterator[BrokerUpdate]:
        return queued_updates(self._queue, _END)

    async def drain_updates(self) -> None:
        await self._queue.join()  # e.g. the fills of an order's own answer are queued before it returns
