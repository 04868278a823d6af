"""The broker contract, v2. Every venue adapter (paper, the live venues of ``brokers/venues.py``) implements it,
and this docstring is its specification (as vn.py's ``gateway.py`` is).

One ``Broker`` instance serves one account (``account_id``); venues with many accounts get one instance
each, built by the venue's factory registered in the ``BrokerRegistry`` by the composition root (``app.py``)
from a ``VenueSpec``: the venue's name, the account modes it offers (paper / testnet / live), its settings
schema (``SettingField`` s, which of them are secret) from which the account dialog and ``POST
/api/v1/accounts`` are built, and the factory ``(account, credentials) -> Broker``. Secrets are read from the
OS keyring by the account service and handed to the factory; an adapter never reads or writes the keyring,
the store or files, and never puts a secret in a log line or an exception text.

All methods are coroutines run on the app's single asyncio loop:

- **Never block the loop.** Network I/O is async (httpx/websockets/picows); anything CPU- or disk-heavy goes
  through ``asyncio.to_thread``. Methods are not thread-safe and must only be called on the loop thread.
- **connect()/close()** are idempotent. ``connect`` authenticates and loads instruments; it raises
  ``AuthError`` for bad credentials and ``VenueUnavailable`` when the venue cannot be reached.
- **Connection state** is reported on ``updates()`` as ``ConnectionUpdate`` (CONNECTED, RECONNECTING,
  DOWN with a reason, BANNED with ``until_ms``): after every RECONNECTING -> CONNECTED the order manager
  reconciles the account (open orders swept, non-final orders queried, fills since the drop applied).
- **place_order(request)** sends exactly once with the caller's ``request.client_order_id`` (already
  journalled by the trading layer). It returns the venue's acknowledgement as an ``Order`` (status NEW, or
  FILLED/PARTIALLY_FILLED when the venue fills at once; fills also arrive on ``updates()``). It raises
  ``InvalidOrder``/``InsufficientFunds`` (subclasses of ``OrderRejected``) only when the venue *refused* the
  order (nothing is working there); ``DuplicateClientOrderId`` when the venue already holds that id (the
  order may be ours: the caller asks the venue, it never marks it REJECTED); ``OrderStateUnknown`` when the
  venue itself says the outcome is unknown; ``RateLimited(retry_after)``, ``AuthError``/``SessionExpired``
  when nothing was placed; ``VenueUnavailable`` (or a timeout) when the outcome is unknown. It is **never
  retried** by the adapter: an unknown outcome leaves the order UNKNOWN and the caller reconciles.
- **query_order(client_order_id, venue_order_id=...)** returns the order as the venue knows it, or None for
  "the venue does not know this order" *right now*. None is not final: venues answer "does not exist" for
  a while after accepting an order, so the caller declares an order lost only after several None answers
  over a grace window (``trading/reconcile.py``). ``symbol`` is the order's (the caller always knows it;
  venues that file orders under their symbol, like Binance, need it). Venues without client order ids look the order up by the
  ``venue_order_id`` recorded at the acknowledgement (``capabilities.client_order_ids`` False). Raises
  ``VenueUnavailable``/``RateLimited`` when it cannot ask.
- **fills_since(since_ms, symbols)** returns the account's fills with ``ts_ms >= since_ms`` (epoch ms UTC),
  oldest first, as far back as the venue keeps them; the caller drops repeats by ``trade_id``. ``symbols``:
  those the core knows orders of (open and recent): a venue that asks per symbol asks these, and those it
  traded in this session, so a freshly started adapter still finds the fills made while the app was down.
- **orders_since(since_ms, symbols)** (venues with ``capabilities.client_order_ids`` False only) returns the
  account's orders, open and closed, created at or after ``since_ms`` (epoch ms UTC) in ``symbols``, each with its
  venue order id: an order whose answer was lost has no venue order id recorded, so the core finds it among these
  on symbol, side, quantity, price and time (``trading/order_match.py``) before anything is ever re-sent.
- **cancel_order(client_order_id, symbol=..., venue_order_id=...) / cancel_all** return the orders as they are after
  cancelling; the venue order id (recorded at the acknowledgement) is given where known, for venues that cancel
  by their own number only (KRX brokers); cancelling an unknown id raises ``OrderNotFound``; a final order comes
  back unchanged.
- **Reads** (instruments, balances, positions, open_orders, query_order, fills_since, bar_history) may be
  retried by the caller (tenacity) on ``VenueUnavailable``/``RateLimited``.
- **updates()** is an async iterator of ``BrokerUpdate`` (order status changes, fills, balance, position and
  ledger changes, connection state) for this account; it survives reconnects and ends only after
  ``close()``. A fill is reported with a ``trade_id`` unique for the account, so repeats are harmless.
  ``drain_updates()`` waits until the consumer has taken every update emitted so far (the order manager
  uses it to record a venue's own fills before the acknowledgement); adapters whose updates arrive from a
  remote stream return at once.
- **quotes(symbols)** is an async iterator of ``Quote`` for the symbols (``Quote.venue`` = the adapter's venue);
  it also survives reconnects. A venue that streams its own candles may yield ``Bar`` items too (``venue`` set;
  ``closed`` False while forming): the market service then publishes and stores those instead of building
  bars from the quotes. **bar_history** (when ``capabilities.bar_history``) fills the chart's history of the
  venue's symbols; the market service keeps what it fetched in the store, per (venue, symbol).
  ``subscribe(symbols)`` / ``unsubscribe(symbols)`` change the market-data subscription of the running
  connection (no reconnect); quotes of subscribed symbols are published by the market service.
- **warnings()** lists what the trader should know about the account as connected (e.g. "withdrawals are
  enabled on this API key"): shown on the account, never blocking it; [] when nothing.
- **capabilities** declares what the venue supports; the order manager refuses, before the journal and per
  account, what an adapter declares it cannot do (``check_capabilities``): order type, time in force,
  reduce-only, short selling.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
import json
from dataclasses import dataclass, field
from decimal import Decimal
from collections.abc import Callable, Mapping
from typing import Any, Protocol, Union, runtime_checkable

from ..core.enums import AccountMode, Interval, OrderType, SessionState, Side, TimeInForce
from ..core.errors import UnsupportedOrder
from ..core.instrument import Instrument
from ..core.market_data import Bar, Quote
from ..core.orders import Fill, Order, OrderRequest
from ..core.portfolio import Balance, LedgerEntry, Position


@dataclass(frozen=True, slots=True)
class BrokerCapabilities:
    """What an adapter supports. ``check_capabilities`` refuses an order that asks for anything else,
    before the journal. ``short_selling``: a SELL may exceed the position held (futures, margin);
    ``client_order_ids``: the venue stores our client order id (else orders are matched by venue order id);
    ``local_state``: the venue keeps nothing of its own (paper): the account service hands it the balances,
    positions and open orders saved in our store with ``restore(balances, positions, open_orders)`` before
    ``connect``; ``virtual_cash``: cash can be added and taken out (``deposit``/``withdraw``, paper);
    ``position_updates``: the venue reports positions (``PositionUpdate``); False for venues that report only
    fills (spot exchanges, KRX brokers): the order manager derives positions from the fills
    (``core/position_math.py``) as it records them; ``spot_positions_derived``: a venue that reports positions of
    its derivatives but holds spot as coins (a unified account): the core derives the positions of SPOT
    instruments from their fills and takes the venue's for the others; ``leverage``: the venue trades each symbol at a leverage
    it keeps (futures): the adapter has ``leverage`` (``{symbol: int}`` as last set or read) and
    ``async set_leverage(symbol, int) -> int`` (the value the venue set), and the executor sets the group link's
    leverage before an order that may open exposure; ``quote_amount``: the venue takes a MARKET BUY sized by the
    quote amount to spend (``OrderRequest.quote_amount``) on its spot instruments; ``market_buy_by_quote``: it
    takes market buys *only* that way (the KRW exchanges): the executor then sizes an opening market buy as an
    amount, never as a volume."""

    order_types: frozenset[OrderType] = frozenset(OrderType)
    time_in_force: frozenset[TimeInForce] = frozenset(TimeInForce)
    reduce_only: bool = False
    short_selling: bool = False
    quote_stream: bool = True
    order_stream: bool = True
    bar_history: bool = True
    intervals: tuple[Interval, ...] = tuple(Interval)
    client_order_ids: bool = True
    local_state: bool = False
    virtual_cash: bool = False
    position_updates: bool = True
    spot_positions_derived: bool = False
    leverage: bool = False
    quote_amount: bool = False
    market_buy_by_quote: bool = False


def check_capabilities(venue: str, caps: BrokerCapabilities, request: "OrderRequest",
                       held: Decimal | None = None) -> None:
    """Refuse ``request`` with ``UnsupportedOrder`` (an ``InvalidOrder``: nothing is journalled) when the
    account's venue declares it cannot do it. ``held``: the account's position in the symbol (base units,
    signed; None = unknown, the short-selling check is then left to the venue). The message names the venue
    and what it supports, so each account's refusal is clear in a fan-out."""
    if request.order_type not in caps.order_types:
        supported = ", ".join(sorted(t.value for t in caps.order_types))
        raise UnsupportedOrder(f"{venue} does not take {request.order_type.value} orders (supports {supported})")
    if request.time_in_force not in caps.time_in_force:
        supported = ", ".join(sorted(t.value for t in caps.time_in_force))
        raise UnsupportedOrder(f"{venue} does not take time in force {request.time_in_force.value} "
                               f"(supports {supported})")
    if request.quote_amount is not None and not caps.quote_amount:
        raise UnsupportedOrder(f"{venue} does not take market buys by quote amount: give a quantity")
    if (caps.market_buy_by_quote and request.order_type is OrderType.MARKET and request.side is Side.BUY
            and request.quote_amount is None):
        raise UnsupportedOrder(f"{venue} takes market buys by the amount to spend only (quote_amount)")
    if request.reduce_only and not caps.reduce_only:
        raise UnsupportedOrder(f"{venue} has no reduce-only orders")
    if (not caps.short_selling and not request.reduce_only and request.side is Side.SELL and held is not None
            and request.quantity > max(held, Decimal(0))):
        raise UnsupportedOrder(f"{venue} does not allow short selling: sell {request.quantity} > held "
                               f"{max(held, Decimal(0))} {request.symbol}")


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    order: Order


@dataclass(frozen=True, slots=True)
class FillUpdate:
    fill: Fill


@dataclass(frozen=True, slots=True)
class BalanceUpdate:
    balance: Balance


@dataclass(frozen=True, slots=True)
class PositionUpdate:
    position: Position


@dataclass(frozen=True, slots=True)
class LedgerUpdate:
    entry: LedgerEntry


@dataclass(frozen=True, slots=True)
class ConnectionUpdate:
    """The adapter's connection changed: ``state`` CONNECTED, RECONNECTING, DOWN (``reason`` says why) or
    BANNED (until ``until_ms``, epoch ms UTC). ``reason`` never contains a secret."""

    state: SessionState
    reason: str = ""
    until_ms: int | None = None


BrokerUpdate = Union[OrderUpdate, FillUpdate, BalanceUpdate, PositionUpdate, LedgerUpdate, ConnectionUpdate]


@runtime_checkable
class Broker(Protocol):
    """The adapter contract (see the module docstring for the rules every method follows)."""

    venue: str
    account_id: str
    capabilities: BrokerCapabilities

    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def instruments(self) -> list[Instrument]: ...

    async def balances(self) -> list[Balance]: ...

    async def positions(self) -> list[Position]: ...

    async def open_orders(self, symbol: str | None = None) -> list[Order]: ...

    async def place_order(self, request: OrderRequest) -> Order: ...

    async def cancel_order(self, client_order_id: str, *, symbol: str = "", venue_order_id: str = "") -> Order: ...

    async def cancel_all(self, symbol: str | None = None, side: Side | None = None) -> list[Order]: ...

    async def query_order(self, client_order_id: str, *, venue_order_id: str = "", symbol: str = "") -> Order | None: ...

    async def fills_since(self, since_ms: int, symbols: Iterable[str] = ()) -> list[Fill]: ...

    async def bar_history(self, symbol: str, interval: Interval, start_ms: int, end_ms: int) -> list[Bar]: ...

    def quotes(self, symbols: list[str]) -> AsyncIterator[Quote]: ...

    async def subscribe(self, symbols: list[str]) -> None: ...

    async def unsubscribe(self, symbols: list[str]) -> None: ...

    def updates(self) -> AsyncIterator[BrokerUpdate]: ...

    async def drain_updates(self) -> None: ...

    def warnings(self) -> list[str]: ...


async def queued_updates(queue: asyncio.Queue, end: object) -> AsyncIterator[BrokerUpdate]:
    """The ``updates()`` stream of an adapter that queues its updates: yields the items of ``queue`` in
    order until it takes ``end`` (the adapter puts it on close). Each item is marked done (``task_done``)
    only when the consumer asks for the next one, so ``await queue.join()`` waits until the consumer has
    finished every update emitted so far (``drain_updates``). One consumer at a time."""
    while True:
        item = await queue.get()
        try:
            if item is end:
                return
            yield item
        finally:
            queue.task_done()


SETTING_KINDS = ("text", "secret", "decimal", "bool", "choice", "url")


@dataclass(frozen=True, slots=True)
class SettingField:
    """One field of a venue's account settings. ``kind``: one of ``SETTING_KINDS``; a ``secret`` field
    (API key secret, password) is kept only in the OS keyring and never shown again; ``choices`` for
    ``choice``; ``default`` as text ("" = none); ``advanced``: shown under Advanced in the dialog."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    default: str = ""
    choices: tuple[str, ...] = ()
    help: str = ""
    advanced: bool = False

    @property
    def secret(self) -> bool:
        return self.kind == "secret"


@dataclass(frozen=True)
class CachedToken:
    """A token as kept between runs: ``value`` (a secret), ``expires_ms`` and ``issued_ms`` (epoch ms UTC),
    ``extra``: what came with it that the adapter needs again (a session's account ids...)."""

    value: str
    expires_ms: int
    issued_ms: int
    extra: Mapping[str, str] = field(default_factory=dict)

    def to_text(self) -> str:
        return json.dumps({"value": self.value, "expires_ms": self.expires_ms, "issued_ms": self.issued_ms,
                           "extra": dict(self.extra)})

    @classmethod
    def from_text(cls, text: str) -> "CachedToken | None":
        """The token of ``to_text``; None for text that is not one (a damaged entry is issued again)."""
        try:
            d = json.loads(text)
            return cls(str(d["value"]), int(d["expires_ms"]), int(d["issued_ms"]), dict(d.get("extra") or {}))
        except (ValueError, KeyError, TypeError):
            return None


class TokenCache(Protocol):
    """Where one account's token of one kind is kept between runs; the core hands the adapter one (the OS
    keyring: ``secrets.KeyringTokenCache``); adapters never touch the keyring themselves."""

    async def load(self) -> CachedToken | None: ...

    async def save(self, token: CachedToken) -> None: ...

    async def clear(self) -> None: ...


BrokerFactory = Callable[..., "Broker"]
"""``(account, credentials) -> Broker``: ``account`` is the ``core.portfolio.Account`` (its ``settings`` hold
the non-secret fields), ``credentials`` the secret fields read from the keyring (empty for paper). A venue that
keeps tokens (``VenueSpec.tokens``) is also given ``tokens={kind: TokenCache}``: the keyring entries of this
account's tokens, through which the adapter reuses a token across restarts (it never touches the keyring)."""


@dataclass(frozen=True, slots=True)
class VenueSpec:
    """A venue the app can open accounts on: ``name`` (the account's ``broker``), a ``label`` for people,
    the ``modes`` it offers, its settings ``fields``, the ``factory`` that builds one account's adapter and the
    ``tokens`` kinds it keeps between runs (an OAuth access token, a stream approval key: each a ``TokenCache``
    handed to the factory) and the ``base_currency`` its accounts report in unless told otherwise (KRW on a won
    exchange)."""

    name: str
    label: str
    modes: tuple[AccountMode, ...]
    fields: tuple[SettingField, ...]
    factory: BrokerFactory
    tokens: tuple[str, ...] = ()
    base_currency: str = "USDT"

    @property
    def secret_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.secret)

    def check_settings(self, settings: Mapping[str, Any], credentials: Mapping[str, str]) -> dict[str, str]:
        """The non-secret settings cleaned (strings, defaults filled). Raises ``ConfigError`` naming the
        field: a required field missing, a secret given in ``settings`` (secrets go in ``credentials``), a
        field the venue does not declare, a choice not offered, a malformed decimal or bool."""
        from ..core.errors import ConfigError

        known = {f.name: f for f in self.fields}
        for name in list(settings) + list(credentials):
            if name not in known:
                raise ConfigError(f"{self.label} has no setting {name!r}")
        out: dict[str, str] = {}
        for f in self.fields:
            if f.secret:
                if f.name in settings:
                    raise ConfigError(f"{f.label} is a secret: pass it as a credential, not a setting")
                if f.required and not str(credentials.get(f.name, "")).strip():
                    raise ConfigError(f"{f.label} is required")
                continue
            value = str(settings.get(f.name, f.default) if settings.get(f.name) is not None else f.default).strip()
            if f.required and not value:
                raise ConfigError(f"{f.label} is required")
            if value and f.kind == "choice" and value not in f.choices:
                raise ConfigError(f"{f.label} must be one of {', '.join(f.choices)}, got {value!r}")
            if value and f.kind == "decimal":
                try:
                    Decimal(value)
                except ArithmeticError:
                    raise ConfigError(f"{f.label} must be a number, got {value!r}") from None
            if value and f.kind == "bool" and value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                raise ConfigError(f"{f.label} must be true or false, got {value!r}")
            if value and f.kind == "url" and not value.startswith(("http://", "https://", "ws://", "wss://")):
                raise ConfigError(f"{f.label} must be an http(s):// or ws(s):// URL, got {value!r}")
            if value:
                out[f.name] = value
        return out


@dataclass
class BrokerRegistry:
    """The venues the app can open accounts on: ``name -> VenueSpec``, filled by the composition root.
    ``spec(name)`` raises ``ConfigError`` for a venue that is not registered."""

    specs: dict[str, VenueSpec] = field(default_factory=dict)

    def register(self, spec: VenueSpec) -> None:
        """Add a venue. Raises ``ValueError`` if the name is taken."""
        if spec.name in self.specs:
            raise ValueError(f"venue {spec.name!r} is registered already")
        self.specs[spec.name] = spec

    def spec(self, name: str) -> VenueSpec:
        from ..core.errors import ConfigError

        try:
            return self.specs[name]
        except KeyError:
            known = ", ".join(sorted(self.specs)) or "none"
            raise ConfigError(f"unknown venue {name!r} (available: {known})") from None

    def names(self) -> list[str]:
        return sorted(self.specs)
