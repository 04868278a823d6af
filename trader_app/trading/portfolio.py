"""``PortfolioService``: positions and balances of every account, marked to market from quotes, and one
``AccountSummary`` per (account, currency).

Fed only by the bus: ``PositionEvent``/``BalanceEvent`` (published by the OrderManager after persisting),
``QuoteEvent`` (marks), ``LedgerEvent`` (deposits/withdrawals adjust the day-PnL baseline) and
``AccountEvent`` (session state, removal). It publishes ``AccountSummaryEvent`` at most once per
``publish_interval_s`` per account (never once per quote).

Formulas (quote currency ``c`` of each instrument, Decimal):
- mark price = the quote's last price (mid when last is 0); unrealized PnL = (mark - avg) x quantity;
- equity(c) = cash total(c) (free + locked) + sum of quantity x mark over positions quoted in c;
- realized PnL(c) = sum of the positions' realized PnL (before commission; fees are in the cash);
- day PnL(c) = equity(c) - equity(c) at the first observation in the current UTC day, with deposits and
  withdrawals of the day added to that baseline (so moving cash is not profit). Kept in memory.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from ..core.bus import EventBus
from ..core.enums import LedgerKind, MarketType, SessionState
from ..core.events import AccountEvent, AccountSummaryEvent, BalanceEvent, LedgerEvent, PositionEvent, QuoteEvent
from ..core.ids import now_ms
from ..core.instrument import Instrument
from ..core.market_data import Quote
from ..core.money import ZERO
from ..core.portfolio import AccountSummary, Balance, Position

log = logging.getLogger(__name__)

Key = tuple[str, str]
DAY_MS = 86_400_000


def mark_price(quote: Quote) -> Decimal:
    """The price positions are marked at: the last trade, or the mid when there is none."""
    return quote.last if quote.last > 0 else (quote.bid + quote.ask) / 2


class PortfolioService:
    """Marks positions to market and summarises accounts.

    ``instrument_of(account_id, symbol) -> Instrument`` tells the quote currency of a position (e.g.
    ``OrderManager.instrument``); without it (or when it raises) the part after ``/`` of the symbol is used.
    ``clock``: epoch ms UTC (UTC day of the day-PnL baseline).
    """

    def __init__(
        self,
        bus: EventBus,
        clock: Callable[[], int] = now_ms,
        *,
        instrument_of: Callable[[str, str], Instrument] | None = None,
        publish_interval_s: float = 0.25,
    ) -> None:
        self._bus = bus
        self._clock = clock
        self.instrument_of = instrument_of
        self._interval = publish_interval_s
        self._positions: dict[Key, Position] = {}
        self._held: dict[str, set[Key]] = {}  # symbol -> keys of non-flat positions
        self._symbols_of: dict[str, set[str]] = {}  # account -> symbols with a position (flat ones too)
        self._balances: dict[Key, Balance] = {}
        self._currencies_of: dict[str, set[str]] = {}  # account -> currencies with a balance
        self._quotes: dict[str, Quote] = {}  # symbol -> newest quote of any venue
        self._venue_quotes: dict[tuple[str, str], Quote] = {}  # (venue, symbol) -> newest quote
        self._venue_of: dict[str, str] = {}  # account -> its venue (Account.broker)
        # venue -> the venue whose quotes mark its positions (the app wires ``MarketService.price_venue``)
        self.price_venue: Callable[[str], str] = lambda venue: venue
        self._currency: dict[Key, str] = {}
        self._margin: dict[Key, bool] = {}  # (account, symbol) -> FUTURES: valued by its PnL, not its notional
        self._sessions: dict[str, SessionState] = {}
        self._baseline: dict[Key, tuple[int, Decimal]] = {}
        self._last_pub: dict[str, float] = {}
        self._scheduled: dict[str, asyncio.TimerHandle] = {}
        self.summaries_published = 0
        self._unsubs = [
            bus.subscribe(QuoteEvent, self._on_quote),
            bus.subscribe(PositionEvent, self._on_position),
            bus.subscribe(BalanceEvent, self._on_balance),
            bus.subscribe(LedgerEvent, self._on_ledger),
            bus.subscribe(AccountEvent, self._on_account),
        ]

    def close(self) -> None:
        """Unsubscribe from the bus and cancel pending summary publications."""
        for unsub in self._unsubs:
            unsub()
        for handle in self._scheduled.values():
            handle.cancel()
        self._scheduled.clear()

    # ---- views -------------------------------------------------------------------------------------
    def positions(self, account_id: str | None = None, include_flat: bool = False) -> list[Position]:
        """Positions marked to market, sorted by (account, symbol); flat ones only with ``include_flat``."""
        if account_id is not None:
            held = (self._positions[(account_id, s)] for s in sorted(self._symbols_of.get(account_id, ())))
            return [p for p in held if include_flat or p.quantity != 0]
        return [p for _, p in sorted(self._positions.items()) if include_flat or p.quantity != 0]

    def position(self, account_id: str, symbol: str) -> Position | None:
        return self._positions.get((account_id, symbol))

    def balances(self, account_id: str | None = None) -> list[Balance]:
        """Cash balances sorted by (account, currency)."""
        if account_id is not None:
            return [self._balances[(account_id, c)] for c in sorted(self._currencies_of.get(account_id, ()))]
        return [b for _, b in sorted(self._balances.items())]

    def account_ids(self) -> list[str]:
        return sorted(self._currencies_of.keys() | self._symbols_of.keys())

    def currency_of(self, account_id: str, symbol: str) -> str:
        """Quote currency of a position's instrument."""
        key = (account_id, symbol)
        ccy = self._currency.get(key)
        if ccy is None:
            ccy = ""
            if self.instrument_of is not None:
                try:
                    ccy = self.instrument_of(account_id, symbol).quote
                except Exception:  # noqa: BLE001 - fall back to the symbol's spelling
                    ccy = ""
            if not ccy:
                ccy = symbol.rsplit("/", 1)[1] if "/" in symbol else ""
                if not ccy:
                    log.warning("quote currency of %s unknown; its market value is left out", symbol)
                    return ""
            self._currency[key] = ccy
        return ccy

    def equity(self, account_id: str, currency: str) -> Decimal:
        """Cash total + the value of the positions quoted in ``currency`` (Decimal, ``currency`` units): a spot
        holding's market value, a margin (futures) position's unrealized PnL (its notional is not the account's:
        the wallet balance is the cash, and the position adds or loses only its PnL)."""
        bal = self._balances.get((account_id, currency))
        equity = bal.total if bal else ZERO
        for symbol in self._symbols_of.get(account_id, ()):
            p = self._positions[(account_id, symbol)]
            if p.quantity and self.currency_of(account_id, symbol) == currency:
                equity += self._value(account_id, p)
        return equity

    def _value(self, account_id: str, p: Position) -> Decimal:
        """What a non-flat position adds to its account's equity: unrealized PnL on margin, else market value."""
        return p.unrealized_pnl if self.is_margin(account_id, p.symbol) else p.market_value

    def is_margin(self, account_id: str, symbol: str) -> bool:
        """Whether ``symbol`` trades on margin for ``account_id`` (a FUTURES instrument): its position is valued
        by its PnL, not its notional."""
        key = (account_id, symbol)
        margin = self._margin.get(key)
        if margin is None:
            if self.instrument_of is None:
                return False
            try:
                margin = self.instrument_of(account_id, symbol).market_type is MarketType.FUTURES
            except Exception:  # noqa: BLE001 - not listed yet (asked again next time): valued as spot meanwhile
                return False
            self._margin[key] = margin
        return margin

    def summaries(self, account_id: str | None = None) -> list[AccountSummary]:
        """One ``AccountSummary`` per (account, currency) with a balance or a position, sorted."""
        accounts = [account_id] if account_id is not None else self.account_ids()
        out = []
        for a in accounts:
            currencies = set(self._currencies_of.get(a, ()))
            currencies.update(c for c in (self.currency_of(a, s) for s in self._symbols_of.get(a, ())) if c)
            out.extend(self._summary(a, c) for c in sorted(currencies))
        return out

    def _summary(self, account_id: str, currency: str) -> AccountSummary:
        bal = self._balances.get((account_id, currency))
        cash = bal.total if bal else ZERO
        value = unrealized = realized = ZERO
        for s in self._symbols_of.get(account_id, ()):
            p = self._positions[(account_id, s)]
            if self.currency_of(account_id, s) != currency:
                continue
            realized += p.realized_pnl
            if p.quantity:
                value += self._value(account_id, p)
                unrealized += p.unrealized_pnl
        equity = cash + value
        return AccountSummary(
            account_id=account_id,
            currency=currency,
            cash=cash,
            equity=equity,
            unrealized_pnl=unrealized,
            realized_pnl=realized,
            day_pnl=self._day_pnl(account_id, currency, equity),
            session=self._sessions.get(account_id, SessionState.DISCONNECTED),
        )

    def _day_pnl(self, account_id: str, currency: str, equity: Decimal) -> Decimal | None:
        """``equity`` less the day's opening equity (plus the day's deposits less withdrawals); None while the
        equity is not complete (see ``equity_complete``), so the opening figure is never taken from a partial
        one: taken at the first summary after a restart, while the positions were not loaded or not priced yet,
        it was the cash alone, and the day PnL read +10,492 on an account that had lost 21."""
        if not self.equity_complete(account_id, currency):
            return None
        day = self._clock() // DAY_MS
        entry = self._baseline.get((account_id, currency))
        if entry is None or entry[0] != day:
            entry = (day, equity)
            self._baseline[(account_id, currency)] = entry
        return equity - entry[1]

    def equity_complete(self, account_id: str, currency: str) -> bool:
        """Whether the equity of ``account_id`` in ``currency`` counts everything: the account is connected
        (its balances and positions are loaded) and every position quoted in ``currency`` has a price."""
        if self._sessions.get(account_id) is not SessionState.CONNECTED:
            return False
        for symbol in self._symbols_of.get(account_id, ()):
            p = self._positions[(account_id, symbol)]
            if p.quantity and p.last_price is None and self.currency_of(account_id, symbol) == currency:
                return False
        return True

    def day_baselines(self) -> dict[str, list]:
        """The day-PnL baselines as JSON-able data ``{"<account_id>|<currency>": [utc_day, "equity"]}``
        (``utc_day`` = epoch ms // 86_400_000), for ``store.kv`` across restarts."""
        return {f"{a}|{c}": [day, str(eq)] for (a, c), (day, eq) in sorted(self._baseline.items())}

    def utc_day(self) -> int:
        """Today as a UTC day number (epoch ms // 86,400,000) on this service's clock."""
        return self._clock() // DAY_MS

    def open_day_from_nothing(self, account_id: str, currency: str, cash_moves_today: Decimal) -> None:
        """An account whose ``currency`` had nothing before today (its first ledger entry is today's): the day
        opened at 0, so its baseline is today's deposits less withdrawals ``cash_moves_today`` (exact, with no
        need to see a complete equity first); it replaces whatever baseline a restart or a restore brought
        back."""
        self._baseline[(account_id, currency)] = (self._clock() // DAY_MS, cash_moves_today)

    def restore_day_baselines(self, data: dict[str, list] | None) -> None:
        """Take back baselines saved by ``day_baselines``; entries of another UTC day or malformed ones are ignored."""
        today = self._clock() // DAY_MS
        for key, value in (data or {}).items():
            try:
                account_id, currency = key.rsplit("|", 1)
                day, equity = int(value[0]), Decimal(str(value[1]))
            except (ValueError, TypeError, IndexError, ArithmeticError):
                continue
            if day == today:
                self._baseline[(account_id, currency)] = (day, equity)

    # ---- bus handlers ------------------------------------------------------------------------------
    def _mark_quote(self, account_id: str, symbol: str) -> Quote | None:
        """The quote a position is marked with: its account venue's price venue's (``price_venue``: a paper
        account is marked by the market the paper venue trades on), or None ("no price")."""
        return self._venue_quotes.get((self.price_venue(self._venue_of.get(account_id, "")), symbol))

    def _on_quote(self, event: QuoteEvent) -> None:
        quote = event.quote
        self._quotes[quote.symbol] = quote
        self._venue_quotes[(quote.venue, quote.symbol)] = quote
        keys = self._held.get(quote.symbol)
        if not keys:
            return
        price = mark_price(quote)
        venue_of, price_venue = self._venue_of, self.price_venue
        for key in keys:
            if price_venue(venue_of.get(key[0], "")) != quote.venue:
                continue  # marked by its own (price) venue's quotes only
            p = self._positions[key]
            if p.last_price != price:
                self._positions[key] = replace(p, last_price=price)
                self._dirty(key[0])

    def _on_position(self, event: PositionEvent) -> None:
        p = event.position
        key = (p.account_id, p.symbol)
        quote = self._mark_quote(p.account_id, p.symbol)
        # marked by a quote of this session only: the price a position was saved with (its fill, or the mark
        # before a restart) is not today's price, and showing it would read as 0.00 unrealized PnL
        p = replace(p, last_price=mark_price(quote) if quote is not None else None)
        self._positions[key] = p
        self._symbols_of.setdefault(p.account_id, set()).add(p.symbol)
        held = self._held.setdefault(p.symbol, set())
        if p.quantity:
            held.add(key)
        else:
            held.discard(key)
        self._dirty(p.account_id)

    def _on_balance(self, event: BalanceEvent) -> None:
        b = event.balance
        self._balances[(b.account_id, b.currency)] = b
        self._currencies_of.setdefault(b.account_id, set()).add(b.currency)
        self._day_pnl(b.account_id, b.currency, self.equity(b.account_id, b.currency))  # opens the day once complete
        self._dirty(b.account_id)

    def _on_ledger(self, event: LedgerEvent) -> None:
        e = event.entry
        if e.kind not in (LedgerKind.DEPOSIT, LedgerKind.WITHDRAW):
            return
        entry = self._baseline.get((e.account_id, e.currency))
        amount = e.amount if e.kind is LedgerKind.DEPOSIT else -abs(e.amount)
        if entry is not None and entry[0] == self._clock() // DAY_MS:
            self._baseline[(e.account_id, e.currency)] = (entry[0], entry[1] + amount)

    def _on_account(self, event: AccountEvent) -> None:
        account_id = event.account.account_id
        if event.removed:
            self._forget(account_id)
            return
        self._sessions[account_id] = event.session
        self._venue_of[account_id] = event.account.broker
        self._dirty(account_id)

    def _forget(self, account_id: str) -> None:
        for d in (self._positions, self._balances, self._currency, self._margin, self._baseline):
            for key in [k for k in d if k[0] == account_id]:
                del d[key]
        for keys in self._held.values():
            for key in [k for k in keys if k[0] == account_id]:
                keys.discard(key)
        self._sessions.pop(account_id, None)
        self._venue_of.pop(account_id, None)
        self._symbols_of.pop(account_id, None)
        self._currencies_of.pop(account_id, None)
        handle = self._scheduled.pop(account_id, None)
        if handle is not None:
            handle.cancel()

    # ---- throttled publication ---------------------------------------------------------------------
    def _dirty(self, account_id: str) -> None:
        if account_id in self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (sync use): publish at once
            self._publish(account_id)
            return
        last = self._last_pub.get(account_id, -math.inf)
        delay = max(0.0, last + self._interval - loop.time())
        self._scheduled[account_id] = loop.call_later(delay, self._flush, account_id, loop)

    def _flush(self, account_id: str, loop: asyncio.AbstractEventLoop) -> None:
        self._scheduled.pop(account_id, None)
        self._last_pub[account_id] = loop.time()
        self._publish(account_id)

    def _publish(self, account_id: str) -> None:
        for summary in self.summaries(account_id):
            self.summaries_published += 1
            self._bus.publish(AccountSummaryEvent(summary))
