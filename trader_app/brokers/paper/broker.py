"""``PaperBroker``: one paper account on the shared ``PaperExchange``, implementing the ``Broker`` protocol
(``brokers/base.py``). It is the reference adapter: the trading layer, the executor and the UI never
special-case it.

Matching rules are in ``matching.py``; cash, holdings and the ledger in ``account.py``. Paper orders fill
whole (no partial fills): the quote's size is not modelled.

Every change is pushed, in this order, to the ``updates()`` stream: for a fill ``FillUpdate``, the BUY/SELL
``LedgerUpdate``, the FEE ``LedgerUpdate`` (when commission > 0), ``BalanceUpdate`` of the quote currency,
``PositionUpdate``, then ``OrderUpdate``; for a new resting order ``OrderUpdate`` then ``BalanceUpdate``
(cash locked by a buy); for a cancel ``OrderUpdate`` then ``BalanceUpdate``; for deposits and withdrawals
``LedgerUpdate`` then ``BalanceUpdate``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import replace
from decimal import Decimal

from ...core.enums import Interval, OrderStatus, OrderType, Side, TimeInForce
from ...core.errors import (
    DuplicateClientOrderId,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    OrderRejected,
    TraderError,
    UnknownSymbol,
    VenueUnavailable,
)
from ...core.ids import new_id
from ...core.instrument import Instrument
from ...core.market_data import Bar, Quote
from ...core.money import ONE, ZERO, fmt, round_qty_down
from ...core.orders import Fill, Order, OrderRequest
from ...core.portfolio import Balance, LedgerEntry, Position
from ..base import (
    BalanceUpdate,
    BrokerCapabilities,
    SettingField,
    BrokerUpdate,
    FillUpdate,
    LedgerUpdate,
    OrderUpdate,
    PositionUpdate,
    queued_updates,
)
from .account import PaperAccount
from .exchange import VENUE, PaperExchange
from .matching import buy_reservation, commission, match, usable

log = logging.getLogger(__name__)

_CLOSE = object()

# quote_stream False: the paper venue has no market of its own, it trades on the quotes the market publishes
PAPER_CAPABILITIES = BrokerCapabilities(reduce_only=False, short_selling=False, bar_history=False, intervals=(),
                                        local_state=True, virtual_cash=True, quote_stream=False, quote_amount=True)

PAPER_SETTINGS = (
    SettingField("commission_rate", "Commission (fraction of notional)", "decimal", default="0.001",
                 help="0.001 = 0.1 % of each fill's notional, charged in the quote currency"),
    SettingField("slippage_rate", "Market-order slippage (fraction of price)", "decimal", default="0",
                 help="how far MARKET fills move against you: 0.0005 = 0.05 %"),
)
"""The paper venue's account settings (``VenueSpec.fields``); paper accounts have no secret."""

_FILLS_KEPT = 10_000


class PaperBroker:
    """A paper account on ``exchange``.

    ``commission_rate``: fraction of notional charged per fill in the quote currency (0.001 = 0.1 %).
    ``slippage_rate``: fraction MARKET (and triggered STOP_MARKET) fills move against the trader.
    ``publish_updates``: False drops the update stream (for callers that never consume ``updates()``,
    e.g. a backtest), so nothing piles up.
    Raises ``ValueError`` for a rate outside [0, 1).
    """

    venue = VENUE
    capabilities = PAPER_CAPABILITIES

    def __init__(
        self,
        exchange: PaperExchange,
        account_id: str,
        commission_rate: Decimal = Decimal("0.001"),
        slippage_rate: Decimal = Decimal("0"),
        *,
        publish_updates: bool = True,
    ) -> None:
        for name, rate in (("commission_rate", commission_rate), ("slippage_rate", slippage_rate)):
            if not isinstance(rate, Decimal) or not (ZERO <= rate < ONE):
                raise ValueError(f"{name} must be a Decimal fraction in [0, 1), got {rate!r}")
        self.exchange = exchange
        self.account_id = account_id
        self.commission_rate = commission_rate
        self.slippage_rate = slippage_rate
        self._book = PaperAccount(account_id, exchange.clock)
        self._orders: dict[str, Order] = {}
        self._publish = publish_updates
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._queue_closed = False
        self._connected = False
        self._fills: list[Fill] = []  # the newest ``_FILLS_KEPT`` fills, for ``fills_since``

    # ---- lifecycle ---------------------------------------------------------------------------------
    async def connect(self) -> None:
        """Open the account on the venue: its open orders start matching again. Idempotent."""
        if self._connected:
            return
        if self._queue_closed:
            self._queue = asyncio.Queue()
            self._queue_closed = False
        self._connected = True
        for order in self._orders.values():
            if order.is_open:
                self._rest(order)

    async def close(self) -> None:
        """Stop matching this account's orders (they stay open and resume on ``connect``) and end ``updates()``.
        Idempotent."""
        if not self._connected:
            return
        self._connected = False
        for order in self._orders.values():
            self.exchange.remove_resting(order.symbol, self.account_id, order.client_order_id)
        self._queue.put_nowait(_CLOSE)
        self._queue_closed = True

    @property
    def connected(self) -> bool:
        return self._connected

    def restore(self, balances: Iterable[Balance], positions: Iterable[Position], open_orders: Iterable[Order]) -> None:
        """Replace this account's state with what the store saved: cash per currency, positions, and the
        orders still open at the venue (status NEW or PARTIALLY_FILLED; others are ignored, since a
        PENDING_SUBMIT order never reached the venue). Reservations are rebuilt from the open orders.
        Raises ``TraderError`` for state of another account.
        """
        self._book.restore(balances, positions)
        for order in self._orders.values():
            self.exchange.remove_resting(order.symbol, self.account_id, order.client_order_id)
        self._orders = {}
        for order in open_orders:
            if order.account_id != self.account_id:
                raise TraderError(f"order of account {order.account_id} given to {self.account_id}")
            if order.status not in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED):
                continue
            try:
                self._reserve(order, check=False)
            except UnknownSymbol:
                log.warning("paper order %s on unknown symbol %s not restored", order.client_order_id, order.symbol)
                continue
            self._orders[order.client_order_id] = order
            if self._connected:
                self._rest(order)

    # ---- reads -------------------------------------------------------------------------------------
    async def instruments(self) -> list[Instrument]:
        return self.exchange.instruments()

    async def balances(self) -> list[Balance]:
        return self._book.balances()

    async def positions(self) -> list[Position]:
        """Every position this account has had (flat ones too: they keep their realized PnL)."""
        return self._book.positions()

    async def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Open orders (oldest first), optionally of one symbol."""
        return sorted(
            (o for o in self._orders.values() if o.is_open and (symbol is None or o.symbol == symbol)),
            key=lambda o: (o.created_ms, o.client_order_id),
        )

    async def query_order(self, client_order_id: str, *, venue_order_id: str = "", symbol: str = "") -> Order | None:
        """The order as the venue knows it (by client order id, else by ``venue_order_id``), None if it never
        reached the venue. The paper venue answers at once, so None here is final in practice."""
        order = self._orders.get(client_order_id)
        if order is None and venue_order_id:
            order = next((o for o in self._orders.values() if o.venue_order_id == venue_order_id), None)
        return order

    async def orders_since(self, since_ms: int, symbols: Iterable[str] = ()) -> list[Order]:
        """The orders (open and closed) created at or after ``since_ms`` (epoch ms), in ``symbols`` (all when
        empty), oldest first: what a venue without client order ids is asked to find an unacknowledged order."""
        wanted = set(symbols)
        return sorted((o for o in self._orders.values() if o.created_ms >= since_ms and o.venue_order_id
                       and (not wanted or o.symbol in wanted)), key=lambda o: (o.created_ms, o.venue_order_id))

    async def fills_since(self, since_ms: int, symbols: Iterable[str] = ()) -> list[Fill]:
        """This session's fills with ``ts_ms >= since_ms``, oldest first (the newest 10,000 are kept; the
        paper venue's older fills are in our own store already). ``symbols`` is not needed here."""
        return [f for f in self._fills if f.ts_ms >= since_ms]

    async def subscribe(self, symbols: list[str]) -> None:
        """Nothing to do: the paper venue matches on every quote the market service publishes."""

    async def unsubscribe(self, symbols: list[str]) -> None:
        """Nothing to do (see ``subscribe``)."""

    async def bar_history(self, symbol: str, interval: Interval, start_ms: int, end_ms: int) -> list[Bar]:
        """The paper venue keeps no history (capabilities.bar_history is False): always empty."""
        return []

    # ---- cash --------------------------------------------------------------------------------------
    async def deposit(self, currency: str, amount: Decimal, note: str = "") -> LedgerEntry:
        """Add virtual cash; returns the DEPOSIT ledger row. Raises ``TraderError`` for amount <= 0."""
        entry = self._book.deposit(currency, amount, note)
        self._emit(LedgerUpdate(entry), BalanceUpdate(self._book.balance(currency)))
        return entry

    async def withdraw(self, currency: str, amount: Decimal, note: str = "") -> LedgerEntry:
        """Take virtual cash out; returns the WITHDRAW row. Raises ``InsufficientFunds`` above the free cash."""
        entry = self._book.withdraw(currency, amount, note)
        self._emit(LedgerUpdate(entry), BalanceUpdate(self._book.balance(currency)))
        return entry

    # ---- orders ------------------------------------------------------------------------------------
    async def place_order(self, request: OrderRequest) -> Order:
        """Accept, fill at once, or rest an order (see ``matching.py`` for the rules).

        Returns the order (NEW, FILLED or, for IOC/FOK limits that cannot fill now, EXPIRED). Raises
        ``InvalidOrder`` (bad request, unknown symbol, off tick/lot), ``InsufficientFunds`` (cash or holdings,
        naming needed vs free), ``OrderRejected("no market price for X")`` for a MARKET order without a quote,
        ``VenueUnavailable`` when not connected. A refused order is remembered as REJECTED for ``query_order``.
        """
        if not self._connected:
            raise VenueUnavailable(f"paper account {self.account_id} is not connected")
        if request.client_order_id in self._orders:
            raise DuplicateClientOrderId(f"paper account {self.account_id} already has order {request.client_order_id}")
        ts = self.exchange.clock()
        order = Order.from_request(request, ts)
        try:
            inst = self._check_request(request)
            if request.quote_amount is not None:
                order = self._by_amount(order, inst, request.quote_amount)
            return self._accept(order, inst, ts)
        except OrderRejected as exc:
            if request.client_order_id:
                self._orders[request.client_order_id] = order.with_status(OrderStatus.REJECTED, ts, reason=exc.reason)
            raise

    def _by_amount(self, order: Order, inst: Instrument, amount: Decimal) -> Order:
        """A market buy by the amount to spend: the quantity the amount buys at the ask, rounded down to the lot
        (as a venue that buys by amount fills it). Raises ``OrderRejected`` without a price, ``InvalidOrder``
        when the amount buys less than the minimum."""
        quote = self.exchange.last_quote(order.symbol)
        ask = quote.ask if quote is not None and quote.ask else (quote.last if quote is not None else None)
        if not ask or ask <= 0:
            raise OrderRejected(f"no market price for {order.symbol}")
        qty = round_qty_down(amount / ask, inst.lot_size)
        if qty <= 0 or qty < inst.min_qty:
            raise InvalidOrder(f"{fmt(amount)} {inst.quote} buys {fmt(qty)} {inst.base}, below the minimum "
                               f"{fmt(max(inst.min_qty, inst.lot_size))}")
        return replace(order, quantity=qty)

    def _check_request(self, request: OrderRequest) -> Instrument:
        request.validate()
        if request.account_id != self.account_id:
            raise InvalidOrder(f"order for account {request.account_id} sent to {self.account_id}")
        try:
            inst = self.exchange.instrument(request.symbol)
        except UnknownSymbol as exc:
            raise InvalidOrder(str(exc)) from None
        if inst.lot_size > 0 and request.quantity % inst.lot_size:
            raise InvalidOrder(f"quantity {fmt(request.quantity)} is not a multiple of the lot size {fmt(inst.lot_size)}")
        if request.quantity < inst.min_qty:
            raise InvalidOrder(f"quantity {fmt(request.quantity)} is below the minimum {fmt(inst.min_qty)}")
        for label, value in (("price", request.price), ("stop price", request.stop_price)):
            if value is not None and not inst.on_tick(value):
                raise InvalidOrder(f"{label} {fmt(value)} is not a multiple of the tick size {fmt(inst.tick_at(value))}")
        return inst

    def _accept(self, order: Order, inst: Instrument, ts: int) -> Order:
        quote = self.exchange.last_quote(order.symbol)
        if order.order_type is OrderType.MARKET and not usable(quote):
            raise OrderRejected(f"no market price for {order.symbol}")
        m = match(order.order_type, order.side, order.price, order.stop_price, False, quote, arriving=True,
                  slippage_rate=self.slippage_rate, tick_size=inst.tick_size)
        what = f"{order.side.value} {fmt(order.quantity)} {order.symbol}"
        if m.fill_price is not None:
            self._check_funds(order, inst, m.fill_price, what)
            order = replace(order.with_status(OrderStatus.NEW, ts, venue_order_id=new_id("po")), triggered=m.triggered)
            self._orders[order.client_order_id] = order
            return self._fill(order, inst, m.fill_price, ts)
        if order.time_in_force is not TimeInForce.GTC and (order.order_type is OrderType.LIMIT or m.triggered):
            order = replace(order.with_status(OrderStatus.EXPIRED, ts, reason=f"{order.time_in_force.value} limit not marketable",
                                              venue_order_id=new_id("po")), triggered=m.triggered)
            self._orders[order.client_order_id] = order
            self._emit(OrderUpdate(order))
            return order
        order = replace(order, triggered=m.triggered)
        self._reserve(order, check=True, what=what)
        order = order.with_status(OrderStatus.NEW, ts, venue_order_id=new_id("po"))
        self._orders[order.client_order_id] = order
        self._rest(order)
        self._emit(OrderUpdate(order))
        if order.side is Side.BUY:
            self._emit(BalanceUpdate(self._book.balance(inst.quote)))
        return order

    def _rest(self, order: Order) -> None:
        """Register an open order with the exchange, with the price that wakes it up."""
        stop = order.order_type in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT) and not order.triggered
        threshold = order.stop_price if stop else order.price
        self.exchange.add_resting(order.symbol, self.account_id, order.client_order_id, self,
                                  side_is_buy=order.side is Side.BUY, is_stop=stop, threshold=threshold)

    def _reserve(self, order: Order, *, check: bool, what: str = "") -> None:
        qty = order.remaining_qty
        if order.side is Side.BUY:
            inst = self.exchange.instrument(order.symbol)
            amount = buy_reservation(order.order_type, qty, order.price, order.stop_price, self.commission_rate)
            if check:
                self._book.reserve_cash(order.client_order_id, inst.quote, amount, what)
            else:
                self._book.force_reserve_cash(order.client_order_id, inst.quote, amount)
        elif check:
            self._book.reserve_holdings(order.client_order_id, order.symbol, qty, what)
        else:
            self._book.force_reserve_holdings(order.client_order_id, order.symbol, qty)

    def _check_funds(self, order: Order, inst: Instrument, price: Decimal, what: str) -> None:
        qty = order.remaining_qty
        if order.side is Side.BUY:
            self._book.check_cash(inst.quote, qty * price * (ONE + self.commission_rate), what)
        else:
            self._book.check_holdings(order.symbol, qty, what)

    def _fill(self, order: Order, inst: Instrument, price: Decimal, ts: int) -> Order:
        qty = order.remaining_qty
        fee = commission(price * qty, self.commission_rate)
        fill = Fill(
            trade_id=new_id("T"),
            account_id=self.account_id,
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            price=price,
            quantity=qty,
            commission=fee,
            commission_asset=inst.quote,
            ts_ms=ts,
            venue_order_id=order.venue_order_id,
        )
        self._book.release(order.client_order_id)
        self.exchange.remove_resting(order.symbol, self.account_id, order.client_order_id)
        rows, position = self._book.settle_fill(fill, inst.quote)
        self._fills.append(fill)
        if len(self._fills) > _FILLS_KEPT:
            del self._fills[: len(self._fills) - _FILLS_KEPT]
        order = order.with_fill(fill)
        self._orders[order.client_order_id] = order
        self._emit(
            FillUpdate(fill),
            *(LedgerUpdate(r) for r in rows),
            BalanceUpdate(self._book.balance(inst.quote)),
            PositionUpdate(position),
            OrderUpdate(order),
        )
        return order

    def on_resting_quote(self, client_order_id: str, quote: Quote) -> None:
        """Called by the exchange with each quote of a symbol this account has a resting order on."""
        order = self._orders.get(client_order_id)
        if order is None or not order.is_open:
            self.exchange.remove_resting(quote.symbol, self.account_id, client_order_id)
            return
        inst = self.exchange.instrument(order.symbol)
        m = match(order.order_type, order.side, order.price, order.stop_price, order.triggered, quote, arriving=False,
                  slippage_rate=self.slippage_rate, tick_size=inst.tick_size)
        if m.fill_price is None and not (m.triggered and not order.triggered):
            return
        ts = self.exchange.clock()
        if m.triggered and not order.triggered:
            order = replace(order, triggered=True, updated_ms=ts)
            self._orders[client_order_id] = order
            self._rest(order)  # a triggered STOP_LIMIT now waits for its limit
        if m.fill_price is None:
            if order.time_in_force is not TimeInForce.GTC:
                self._finish(order, OrderStatus.EXPIRED, ts, f"{order.time_in_force.value} limit not marketable at trigger")
            else:
                self._emit(OrderUpdate(order))
            return
        self._book.release(client_order_id)
        try:
            self._check_funds(order, inst, m.fill_price, f"{order.side.value} {fmt(order.quantity)} {order.symbol}")
        except InsufficientFunds as exc:
            self._finish(order, OrderStatus.REJECTED, ts, exc.reason)
            return
        self._fill(order, inst, m.fill_price, ts)

    def _finish(self, order: Order, status: OrderStatus, ts: int, reason: str = "") -> Order:
        """Move an open order to a final state without a fill, releasing its reservation."""
        currency = self._book.release(order.client_order_id)
        self.exchange.remove_resting(order.symbol, self.account_id, order.client_order_id)
        order = order.with_status(status, ts, reason=reason)
        self._orders[order.client_order_id] = order
        self._emit(OrderUpdate(order))
        if currency is not None or order.side is Side.BUY:
            self._emit(BalanceUpdate(self._book.balance(currency or self.exchange.instrument(order.symbol).quote)))
        return order

    async def cancel_order(self, client_order_id: str, *, symbol: str = "", venue_order_id: str = "") -> Order:
        """Cancel an open order by client order id, else ``venue_order_id`` (its reservation is released).
        Returns a final order unchanged; raises ``OrderNotFound`` for an id the venue never saw."""
        order = self._orders.get(client_order_id)
        if order is None and venue_order_id:
            order = next((o for o in self._orders.values() if o.venue_order_id == venue_order_id), None)
        if order is None:
            raise OrderNotFound(f"no paper order {client_order_id} on account {self.account_id}")
        if not order.is_open:
            return order
        return self._finish(order, OrderStatus.CANCELLED, self.exchange.clock(), "cancelled")

    async def cancel_all(self, symbol: str | None = None, side: Side | None = None) -> list[Order]:
        """Cancel every open order, optionally only of ``symbol`` and/or ``side``; returns the cancelled orders."""
        out = []
        for order in await self.open_orders(symbol):
            if side is None or order.side is side:
                out.append(await self.cancel_order(order.client_order_id))
        return out

    # ---- streams -----------------------------------------------------------------------------------
    def _emit(self, *updates: BrokerUpdate) -> None:
        if self._publish:
            for u in updates:
                self._queue.put_nowait(u)

    def updates(self) -> AsyncIterator[BrokerUpdate]:
        """Order, fill, balance, position and ledger updates of this account, in the order they happened.
        One consumer at a time. Ends after ``close()``."""
        return queued_updates(self._queue, _CLOSE)

    def warnings(self) -> list[str]:
        """The paper venue has nothing to warn about."""
        return []

    async def drain_updates(self) -> None:
        """Wait until the consumer of ``updates()`` has taken and finished every update emitted so far
        (it asked for the next one). Only meaningful while someone consumes the stream."""
        await self._queue.join()

    def pending_updates(self) -> int:
        """Updates emitted but not yet taken by the consumer."""
        return self._queue.qsize()

    async def quotes(self, symbols: list[str]) -> AsyncIterator[Quote]:
        """Every future quote of ``symbols`` from the exchange (conflated if the consumer falls behind)."""
        sub = self.exchange.subscribe_quotes(symbols)
        try:
            while True:
                yield await sub.queue.get()
        finally:
            self.exchange.unsubscribe_quotes(sub)
