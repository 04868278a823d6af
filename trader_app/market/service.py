"""The market service: one place the app asks for instruments, quotes, bars, the watchlist and indicators.

Everything is venue-qualified: instruments, quotes, bars and indicator windows are keyed by (venue, symbol),
and the watchlist and chart name a series by its market id (``core.instrument.market_id``: the bare symbol on
the paper venue, ``venue:symbol`` elsewhere), so ``BTC/USDT`` on two venues is two rows with two prices.

It listens on the bus (last quote per (venue, symbol) from ``QuoteEvent``; closed bars from ``BarEvent`` for
the indicator snapshots), owns a :class:`~trader_app.market.bars.BarAggregator` that turns quotes into stored
bars, and runs the market sources: the demo market (with history backfilled so charts and indicators have
content at start-up), a replay of imported bars, and any venue's own streams (``add_feed``: quotes and, where
the venue streams them, bars), with the venue's ``bar_history`` filling the chart's history
(``add_history_source``). Store access goes through ``await store.run(...)``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from trader_app.core.bus import EventBus
from trader_app.core.enums import Interval, MarketType
from trader_app.core.errors import UnknownSymbol
from trader_app.core.events import BarEvent, QuoteEvent, WatchlistEvent
from trader_app.core.ids import now_ms
from trader_app.core.instrument import HOME_VENUE, Instrument, market_id, parse_market_id
from trader_app.core.market_data import Bar, Quote

from .bars import BarAggregator
from .catalog import PAPER_VENUE
from .csv_import import CsvImport, read_ohlcv_csv
from .demo import DemoMarket
from .imported import IMPORTED_KEY, instrument_from_json, instrument_to_json
from .indicators import last_value, macd, rsi
from .replay import ReplayMarket, price_step

log = logging.getLogger(__name__)

#: bars of history the demo backfills per symbol when the store has none for that series
DEFAULT_BACKFILL: dict[Interval, int] = {
    Interval.M1: 300, Interval.M5: 300, Interval.M15: 200, Interval.H1: 200, Interval.D1: 200,
}
INDICATOR_WINDOW = 250  # closes kept per symbol; MACD(12, 26, 9) needs 34, more lets the EMA seeds decay
_BACKFILL_CHUNK = 25  # symbols generated per worker-thread call


@dataclass(frozen=True, slots=True)
class IndicatorSnapshot:
    """RSI(14) in percent and MACD(12, 26, 9) line, signal and histogram (price units) on the last closed
    bars of ``interval``; None until there are enough bars (15 for RSI, 34 for MACD). ``bar_time_ms`` is
    the open time of the last bar used (0 if none)."""

    rsi: float | None = None
    macd: float | None = None
    macd_signal: float | None = None
    macd_hist: float | None = None
    interval: Interval | None = None
    bar_time_ms: int = 0


class MarketService:
    """Market data for the app. ``instruments``: what the venues list (the demo catalog of the paper venue by
    default in the app; a venue's adapter adds its own with ``add_instrument``); ``store``: a
    :class:`trader_app.store.Store`. ``on_new_instrument`` is called with each instrument added later (e.g. for
    an imported CSV's symbol) so the paper exchange can list it too.

    Symbol arguments are market ids (a bare symbol is the paper venue's) unless a ``venue`` is given.
    """

    def __init__(
        self,
        bus: EventBus,
        store: Any,
        instruments: Iterable[Instrument],
        *,
        aggregator: BarAggregator | None = None,
        indicator_interval: Interval = Interval.M1,
        seed: int | None = None,
        backfill_bars: dict[Interval, int] | None = None,
        on_new_instrument: Callable[[Instrument], None] | None = None,
    ) -> None:
        self.bus = bus
        self.store = store
        self._instruments: dict[tuple[str, str], Instrument] = {}
        for inst in instruments:
            self._instruments[inst.key] = inst
        self._demo_symbols = [sym for venue, sym in self._instruments if venue == HOME_VENUE]
        self._history_sources: dict[str, Callable[..., Any]] = {}
        self.paper_prices = HOME_VENUE  # the venue whose prices the paper venue trades on (price_venue)
        self.quote_demand: list[Callable[[str, str], Any]] = []  # async (venue, symbol): start its quotes
        self._waiting: dict[tuple[str, str], asyncio.Event] = {}
        self._imported: dict[str, Instrument] = {}  # listed for imported/replayed bars, kept in store.kv
        self._saving: set[asyncio.Task] = set()
        self.aggregator = aggregator if aggregator is not None else BarAggregator(bus, store)
        self.indicator_interval = indicator_interval
        self.seed = seed
        self.backfill_bars = dict(DEFAULT_BACKFILL if backfill_bars is None else backfill_bars)
        self.instrument_listeners: list[Callable[[Instrument], None]] = []
        if on_new_instrument is not None:
            self.instrument_listeners.append(on_new_instrument)
        self.demo: DemoMarket | None = None
        self.replay: ReplayMarket | None = None
        self._startup: asyncio.Task | None = None
        self._last: dict[str, Quote] = {}
        self._last_by_venue: dict[tuple[str, str], Quote] = {}
        self._feeds: set[asyncio.Task[None]] = set()
        self._closes: dict[str, deque[tuple[int, float]]] = {}
        self._snapshots: dict[str, IndicatorSnapshot] = {}
        self._ind_interval: dict[str, Interval] = {}
        self._unsubscribe = [bus.subscribe(QuoteEvent, self._on_quote), bus.subscribe(BarEvent, self._on_bar)]

    # ------------------------------------------------------------------ instruments and quotes
    def instruments(self, venue: str | None = None) -> list[Instrument]:
        """The listed instruments (of ``venue``; None = every venue), in listing order."""
        return [i for i in self._instruments.values() if venue is None or i.venue == venue]

    def instrument(self, symbol: str, venue: str | None = None) -> Instrument:
        """The instrument of ``symbol`` on ``venue`` (None: ``symbol`` is a market id, a bare symbol being the
        paper venue's). Raises UnknownSymbol (naming the venue)."""
        if venue is None:
            try:
                venue, symbol = parse_market_id(symbol)
            except ValueError:
                raise UnknownSymbol(symbol) from None
        try:
            return self._instruments[(venue, symbol)]
        except KeyError:
            raise UnknownSymbol(symbol, venue) from None

    def add_instrument(self, inst: Instrument) -> bool:
        """List ``inst`` (False, and nothing changes, if (venue, symbol) is already listed); tells the listeners."""
        if inst.key in self._instruments:
            return False
        self._instruments[inst.key] = inst
        for fn in tuple(self.instrument_listeners):
            try:
                fn(inst)
            except Exception:  # noqa: BLE001 - a listener's failure must not undo the listing
                log.exception("instrument listener failed for %s", inst.symbol)
        return True

    async def restore_imported_instruments(self) -> list[Instrument]:
        """List again the instruments of symbols imported or replayed in earlier runs (``store.kv``
        ``IMPORTED_KEY``); returns those newly listed. A malformed entry is logged and skipped."""
        stored = await self.store.run(self.store.kv.get, IMPORTED_KEY, None)
        listed = []
        for symbol, data in (stored or {}).items() if isinstance(stored, dict) else ():
            try:
                inst = instrument_from_json(symbol, data)
            except ValueError as exc:
                log.warning("%s; skipped", exc)
                continue
            self._imported[symbol] = inst
            if self.add_instrument(inst):
                listed.append(inst)
        return listed

    def _list_imported(self, symbol: str, bars: list[Bar]) -> Any:
        """List an instrument for ``symbol``'s imported bars if the symbol is new, and keep it in the store;
        returns the store write to await (None when nothing changed)."""
        if (HOME_VENUE, symbol) in self._instruments:
            return None
        inst = self.instrument_for_bars(symbol, bars)
        self.add_instrument(inst)
        self._imported[symbol] = inst
        value = {s: instrument_to_json(i) for s, i in sorted(self._imported.items())}
        return self.store.run(self.store.kv.set, IMPORTED_KEY, value)

    @staticmethod
    def instrument_for_bars(symbol: str, bars: list[Bar]) -> Instrument:
        """An instrument for imported bars: ``BASE/QUOTE`` symbols are SPOT with lot 0.00001, others STOCK
        with lot 1 (quoted in KRW for six-digit KRX codes, else USD); the tick is the finest price step
        written in the bars; venue ``paper``."""
        tick = price_step(bars)
        if "/" in symbol:
            base, quote = symbol.split("/", 1)
            return Instrument(symbol, PAPER_VENUE, MarketType.SPOT, base, quote, tick, Decimal("0.00001"),
                              Decimal("0.00001"), name=f"{symbol} (imported)")
        quote = "KRW" if symbol.isdigit() and len(symbol) == 6 else "USD"  # six digits: a KRX stock code
        return Instrument(symbol, PAPER_VENUE, MarketType.STOCK, symbol, quote, tick, Decimal(1), Decimal(1),
                          name=f"{symbol} (imported)")

    def last_quote(self, symbol: str, venue: str | None = None) -> Quote | None:
        """The latest quote seen on the bus for ``symbol`` on ``venue`` (None: on any venue; None before the
        first)."""
        if venue is None:
            return self._last.get(symbol)
        return self._last_by_venue.get((venue, symbol))

    def price_venue(self, venue: str) -> str:
        """The venue whose quotes price ``venue``'s instruments: the paper venue trades on ``paper_prices`` (itself
        with the demo or a replay, ``binance`` on Binance's live prices); every other venue on its own."""
        return self.paper_prices if venue == HOME_VENUE else venue

    def bars_venue(self, venue: str) -> str:
        """The venue whose bars chart ``venue``'s symbols: the paper venue's are its price venue's (Binance's
        candles while paper trades on Binance, its own with the demo or a replay), except during a replay."""
        if venue == HOME_VENUE and self.replay is not None and not self.replay.finished:
            return HOME_VENUE
        return self.price_venue(venue)

    async def wait_quote(self, symbol: str, venue: str, timeout_s: float = 3.0) -> Quote | None:
        """The latest quote of ``symbol`` on ``venue``; when there is none yet, ask the ``quote_demand``
        callbacks (the venue feeds subscribe it on the running connection) and wait up to ``timeout_s`` for
        the first one. None if none came (the caller refuses what needs a price)."""
        quote = self._last_by_venue.get((venue, symbol))
        if quote is not None:
            return quote
        key = (venue, symbol)
        event = self._waiting.get(key)
        if event is None:
            event = self._waiting[key] = asyncio.Event()
        for fn in tuple(self.quote_demand):
            try:
                await fn(venue, symbol)
            except Exception as exc:  # noqa: BLE001 - a feed that cannot subscribe: the wait times out
                log.warning("no quotes of %s on %s: %s", symbol, venue, exc)
        try:
            await asyncio.wait_for(event.wait(), timeout_s)
        except TimeoutError:
            pass
        finally:
            if self._waiting.get(key) is event and not event.is_set():
                self._waiting.pop(key, None)
        return self._last_by_venue.get(key)

    def quote_of(self, market: str) -> Quote | None:
        """The latest quote of a market id (``venue:symbol``; a bare symbol is the paper venue's), or None."""
        try:
            return self._last_by_venue.get(parse_market_id(market))
        except ValueError:
            return None

    def _on_quote(self, event: QuoteEvent) -> None:
        quote = event.quote
        self._last[quote.symbol] = quote
        self._last_by_venue[(quote.venue, quote.symbol)] = quote
        if self._waiting:
            waiting = self._waiting.pop((quote.venue, quote.symbol), None)
            if waiting is not None:
                waiting.set()

    def add_feed(self, name: str, stream: AsyncIterator[Quote | Bar]) -> "asyncio.Task[None]":
        """Run a market source: publish every item of ``stream`` (a broker's ``quotes(symbols)`` stream, which
        survives reconnects) on the bus, a ``Quote`` as ``QuoteEvent(quote, source=name)``, a ``Bar`` (the
        venue's own klines) as ``BarEvent``, closed bars also kept in the store. Once a source has sent a bar,
        the aggregator leaves its quotes alone (its bars are the venue's, not rebuilt from ticks). The
        watchlist, chart, paper venue and order manager then see that venue's prices, keyed by (venue, symbol).
        The feed runs until the stream ends or ``close()``; a stream that fails is logged and ends. Returns its
        task."""

        async def pump() -> None:
            publish = self.bus.publish
            try:
                async for item in stream:
                    if isinstance(item, Quote):
                        publish(QuoteEvent(item, name))
                    elif isinstance(item, Bar):
                        self.aggregator.skip_sources.add(name)
                        publish(BarEvent(item))
                        if item.closed:
                            self.aggregator.keep([item])
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one feed failing never stops the market
                log.exception("quote feed %s ended with an error", name)

        task = asyncio.ensure_future(pump())
        self._feeds.add(task)
        task.add_done_callback(self._feeds.discard)
        return task

    def add_history_source(self, venue: str, fetch: Callable[..., Any] | None) -> None:
        """Where ``history`` gets ``venue``'s bars the store lacks: ``fetch(symbol, interval, start_ms, end_ms)``
        (a broker's ``bar_history``: awaitable list of closed bars, ascending). None removes it."""
        if fetch is None:
            self._history_sources.pop(venue, None)
        else:
            self._history_sources[venue] = fetch

    # ------------------------------------------------------------------ bars
    async def history(self, symbol: str, interval: Interval, limit: int = 500, venue: str | None = None) -> list[Bar]:
        """The last ``limit`` bars of ``symbol`` on ``venue`` (None: ``symbol`` is a market id) at
        ``interval``, ascending: stored closed bars plus the forming live bar. A paper symbol is charted with
        the bars of the venue whose prices it trades on (``bars_venue``), never with another market's. For a venue with a history
        source (``add_history_source``), the bars after the last stored one are fetched from the venue first
        and kept in the store (a failed fetch is logged; the stored bars are returned). While a replay covers
        ``symbol``, only bars already replayed are returned."""
        if venue is None:
            venue, symbol = parse_market_id(symbol)
        venue = self.bars_venue(venue)
        if venue != HOME_VENUE:
            await self._fetch_history(venue, symbol, interval, limit)
            await self.aggregator.flush()
            bars = await self.store.run(
                lambda: self.store.bars.load(symbol, interval, None, None, limit, venue=venue))
            return self._with_live(bars, self.aggregator.live_bar(symbol, interval, venue), limit)
        replay = self.replay
        if replay is not None and symbol in replay.symbols and not replay.finished:
            done = replay.bars[: replay.bars_done]
            own = [b for b in done if b.symbol == symbol and b.interval is interval]
            if own or any(b.interval is interval for b in replay.bars if b.symbol == symbol):
                return own[-limit:]
            end = (done[-1].open_time_ms if done else replay.bars[0].open_time_ms) - interval.ms
            return await self.store.run(self.store.bars.load, symbol, interval, None, end, limit)
        await self.aggregator.flush()
        bars = await self.store.run(self.store.bars.load, symbol, interval, None, None, limit)
        return self._with_live(bars, self.aggregator.live_bar(symbol, interval), limit)

    @staticmethod
    def _with_live(bars: list[Bar], live: Bar | None, limit: int) -> list[Bar]:
        if live is not None and (not bars or live.open_time_ms > bars[-1].open_time_ms):
            bars.append(live)
            if len(bars) > limit:
                del bars[0]
        return bars

    async def _fetch_history(self, venue: str, symbol: str, interval: Interval, limit: int) -> int:
        """Fetch and store ``venue``'s closed bars after the last stored one (at most ``limit`` back from now)
        through its history source; returns how many were stored (0 without a source or on failure)."""
        fetch = self._history_sources.get(venue)
        if fetch is None:
            return 0
        last = await self.store.run(lambda: self.store.bars.load(symbol, interval, None, None, 1, venue=venue))
        end = interval.bucket_start(now_ms()) - 1  # the forming bar is the live one, not history
        start = max(end + 1 - limit * interval.ms, last[-1].open_time_ms + interval.ms if last else 0)
        if start > end:
            return 0
        try:
            bars = [b for b in await fetch(symbol, interval, start, end) if b.closed]
        except Exception as exc:  # noqa: BLE001 - the chart shows what is stored; the error is logged
            log.warning("history of %s on %s not fetched: %s", symbol, venue, exc)
            return 0
        if bars:
            await self.store.run(self.store.bars.save, bars)
        return len(bars)

    async def import_csv(self, path: str | Path, symbol: str | None = None) -> CsvImport:
        """Read an OHLCV CSV (see :mod:`trader_app.market.csv_import`) and store all its bars in one
        transaction, or none: DataImportError (first bad line) or a store error leaves the store unchanged.
        Lists an instrument for a new symbol."""
        imp = await asyncio.to_thread(read_ohlcv_csv, path, symbol)
        await self.store.run(self.store.bars.save, imp.bars)
        if imp.bars:
            saved = self._list_imported(imp.symbol, imp.bars)
            if saved is not None:
                await saved
        return imp

    # ------------------------------------------------------------------ feeds
    def start_demo(
        self, tick_rate: float, backfill: bool | Iterable[str] = True, *, symbols: Iterable[str] | None = None
    ) -> asyncio.Task:
        """Start the demo market at ``tick_rate`` quotes/s over ``symbols`` (default: the instruments given at
        construction). Start-up runs as the returned task: each symbol starts from its last stored 1m close
        (continuity across restarts), quotes start, then series with no stored bars are backfilled
        (:data:`DEFAULT_BACKFILL`; ``backfill`` True = every demo symbol, an iterable = those, False = none)
        off the loop, then indicator snapshots are loaded. A running demo is replaced.
        Raises UnknownSymbol / ValueError at once for bad arguments."""
        syms = list(self._demo_symbols if symbols is None else symbols)
        demo = DemoMarket(self.bus, [self.instrument(s) for s in syms], tick_rate, seed=self.seed)
        if backfill is True:
            fill = syms
        elif backfill is False:
            fill = []
        else:
            fill = [s for s in backfill if s in set(syms)]
        old, self.demo = self.demo, demo
        self._startup = asyncio.get_running_loop().create_task(self._start_demo(old, demo, fill), name="demo-start")
        return self._startup

    async def _start_demo(self, old: DemoMarket | None, demo: DemoMarket, fill: list[str]) -> None:
        if old is not None:
            await old.stop()
        symbols = [i.symbol for i in demo.instruments]
        for sym, close in (await self.store.run(self._last_closes, symbols)).items():
            demo.set_price(sym, close)
        prices = {s: demo.price(s) for s in symbols}
        end = now_ms()
        if self.demo is demo:
            demo.start()
        have = {(s, iv) for s, iv, _n, _lo, _hi in await self.store.run(self.store.bars.series)}
        todo = [(s, iv, n) for s in fill for iv, n in self.backfill_bars.items() if n > 0 and (s, iv) not in have]
        for k in range(0, len(todo), _BACKFILL_CHUNK * len(self.backfill_bars)):
            part = todo[k : k + _BACKFILL_CHUNK * len(self.backfill_bars)]
            bars = await asyncio.to_thread(
                lambda part=part: [b for s, iv, n in part for b in demo.backfill(s, iv, n, end, last_price=prices[s])]
            )
            await self.store.run(self.store.bars.save, bars)
        await self.load_indicators(symbols)

    def _last_closes(self, symbols: list[str]) -> dict[str, Decimal]:
        """(worker thread) last stored 1m close per symbol, for those that have one."""
        out = {}
        for s in symbols:
            bars = self.store.bars.load(s, Interval.M1, limit=1)
            if bars:
                out[s] = bars[-1].close
        return out

    def start_replay(self, bars: Iterable[Bar], speed: float = 1.0) -> ReplayMarket:
        """Replay ``bars`` as quotes and bars at ``speed`` bars/s (see :mod:`trader_app.market.replay`);
        lists instruments for new symbols; indicator snapshots of the replayed symbols follow the replay's
        bars. A running replay is stopped first (in the background). Raises ValueError for no bars or
        ``speed`` <= 0."""
        bars = list(bars)
        if not bars:
            raise ValueError("nothing to replay: no bars")
        by_symbol: dict[str, list[Bar]] = {}
        for b in bars:
            by_symbol.setdefault(b.symbol, []).append(b)
        for sym, own in by_symbol.items():
            saved = self._list_imported(sym, own)
            if saved is not None:  # a store write: done in the background, kept referenced until it ends
                task = asyncio.ensure_future(saved)
                self._saving.add(task)
                task.add_done_callback(self._saving.discard)
            self._ind_interval[sym] = own[0].interval
            self._closes.pop(sym, None)
            self._snapshots.pop(sym, None)
        tick = None
        if len(by_symbol) == 1:
            sym = next(iter(by_symbol))
            tick = self.instrument(sym, by_symbol[sym][0].venue).tick_size
        replay = ReplayMarket(self.bus, bars, speed, tick_size=tick)
        old, self.replay = self.replay, replay
        if old is not None:
            asyncio.get_running_loop().create_task(old.stop())
        replay.start()
        return replay

    async def stop(self) -> None:
        """Stop the demo and the replay, and write the closed bars still waiting to the store."""
        if self._startup is not None and not self._startup.done():
            self._startup.cancel()
            try:
                await self._startup
            except asyncio.CancelledError:
                pass
        if self.demo is not None:
            await self.demo.stop()
        if self.replay is not None:
            await self.replay.stop()
        if self._saving:
            await asyncio.gather(*self._saving, return_exceptions=True)
        await self.aggregator.flush()

    async def close(self) -> None:
        """:meth:`stop`, then stop listening to the bus (app shutdown)."""
        await self.stop()
        await self.aggregator.stop()
        feeds = list(self._feeds)
        for task in feeds:
            task.cancel()
        await asyncio.gather(*feeds, return_exceptions=True)
        for unsubscribe in self._unsubscribe:
            unsubscribe()

    # ------------------------------------------------------------------ watchlist
    async def watchlist(self) -> list[str]:
        """The saved watchlist (market ids, in the trader's order)."""
        return await self.store.run(self.store.watchlist.get)

    async def add_to_watchlist(self, symbol: str) -> list[str]:
        """Append the market id ``symbol`` (``venue:symbol``; a bare symbol is the paper venue's; no change if
        present). Raises UnknownSymbol. Returns the new list."""
        symbol = self.instrument(symbol).market_id
        symbols = await self.watchlist()
        if symbol not in symbols:
            symbols.append(symbol)
            await self.store.run(self.store.watchlist.set, symbols)
            self.bus.publish(WatchlistEvent(tuple(symbols)))
        return symbols

    async def set_watchlist(self, markets: list[str]) -> list[str]:
        """Replace the watchlist with ``markets`` (market ids, in order; each must be listed: UnknownSymbol, and
        nothing changes). Returns the new list."""
        cleaned = list(dict.fromkeys(self.instrument(m).market_id for m in markets))
        await self.store.run(self.store.watchlist.set, cleaned)
        self.bus.publish(WatchlistEvent(tuple(cleaned)))
        return cleaned

    async def remove_from_watchlist(self, symbol: str) -> list[str]:
        """Remove ``symbol`` (no change if absent). Returns the new list."""
        symbols = await self.watchlist()
        if symbol in symbols:
            symbols.remove(symbol)
            await self.store.run(self.store.watchlist.set, symbols)
            self.bus.publish(WatchlistEvent(tuple(symbols)))
        return symbols

    # ------------------------------------------------------------------ indicators
    def indicators(self, symbol: str) -> IndicatorSnapshot:
        """RSI/MACD of the market id ``symbol`` on its closed bars (1m by default; a replayed symbol's own interval).
        Recomputed once per closed bar, never per tick. All None until enough bars exist."""
        return self._snapshots.get(symbol) or IndicatorSnapshot(interval=self._interval_of(symbol))

    def _interval_of(self, symbol: str) -> Interval:
        return self._ind_interval.get(symbol, self.indicator_interval)

    async def load_indicators(self, symbols: Iterable[str] | None = None) -> None:
        """Seed the indicator windows of the market ids ``symbols`` (default: all instruments) from stored closed
        bars."""
        syms = list([i.market_id for i in self._instruments.values()] if symbols is None else symbols)
        wanted = {s: (parse_market_id(s), self._interval_of(s)) for s in syms}

        def load() -> dict[str, list[Bar]]:
            return {
                s: self.store.bars.load(sym, iv, limit=INDICATOR_WINDOW, venue=venue)
                for s, ((venue, sym), iv) in wanted.items()
            }

        for sym, bars in (await self.store.run(load)).items():
            stored = [(b.open_time_ms, float(b.close)) for b in bars if b.closed]
            last = stored[-1][0] if stored else -1
            live = [x for x in self._closes.get(sym, ()) if x[0] > last]
            self._closes[sym] = deque(stored + live, maxlen=INDICATOR_WINDOW)
            self._recompute(sym)

    def _on_bar(self, event: BarEvent) -> None:
        bar = event.bar
        key = market_id(bar.venue, bar.symbol)
        if not bar.closed or bar.interval is not self._interval_of(key):
            return
        window = self._closes.get(key)
        if window is None:
            window = self._closes[key] = deque(maxlen=INDICATOR_WINDOW)
        if window and window[-1][0] >= bar.open_time_ms:
            return  # already counted (or older)
        window.append((bar.open_time_ms, float(bar.close)))
        self._recompute(key)

    def _recompute(self, symbol: str) -> None:
        window = self._closes.get(symbol)
        if not window:
            return
        closes = np.fromiter((c for _t, c in window), dtype=np.float64, count=len(window))
        m, s, h = macd(closes)
        self._snapshots[symbol] = IndicatorSnapshot(
            rsi=last_value(rsi(closes)),
            macd=last_value(m),
            macd_signal=last_value(s),
            macd_hist=last_value(h),
            interval=self._interval_of(symbol),
            bar_time_ms=window[-1][0],
        )
