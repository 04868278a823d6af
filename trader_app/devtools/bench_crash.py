"""``trader-app bench crash``: kill the app at bad moments and check that nothing is lost or sent twice.

The fake venue runs in its own process for the whole run and keeps its orders while the app dies. The app
(the real services: store, order manager, executor, webhook listener; ``build_services``) runs in a child
process over one data directory, with N fake-venue accounts linked to one strategy group. Each trial:

1. start the app (the previous trial killed it: this start is the restart, with its reconciliation);
2. resend the previous trial's signal if it got no answer (same payload and ``signal_id``: the app must
   answer with the first outcome and execute nothing, or execute it once if it never recorded it);
3. either kill the app with SIGKILL at a random moment of its start-up (connect, reconcile), or set the
   venue's faults (a "not found" lag after acceptance, lost answers) and post a new MARKET signal to every
   account through the webhook, then SIGKILL the app at a random moment of the fan-out (before the journal,
   between journal and send, between send and acknowledgement, after).

After the last trial the app starts once more, resends what is unanswered, waits until no order is left
non-final (resolutions, grace windows), stops cleanly, and the journal is compared with the venue:

- lost: orders the venue holds that the journal does not;
- duplicated: a signal executed twice on an account (two journal orders of one signal and account);
- non-final: journal orders still PENDING_SUBMIT / UNKNOWN / NEW at the end;
- PENDING: signal records with a PENDING result;
- book: accounts whose position differs from the venue's, orders whose filled quantity differs.

Every figure must be 0; the exit code is 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from ..core.enums import MarketType
from ..core.instrument import Instrument
from .fakevenue.runner import VenueRunner
from .fakevenue.venue import VENUE

SYMBOL = "BTC/USDT"
PRICE = Decimal("50000")
GROUP = "crash"
TOKEN = "crash-harness-token-0123456789abcdef"
READY_TIMEOUT_S = 120.0


# ---- the app, in its own process -----------------------------------------------------------------------
def _app_main(data_dir: str, rest_url: str, ws_url: str, accounts: int, conn: Any) -> None:
    """The child: the app's services on ``data_dir`` with ``accounts`` fake-venue accounts in group ``crash``.
    Sends ``("ready", port)`` once listening; on ``"settle"`` waits until no order is non-final and answers
    ``("settled", open_count)``; on ``"stop"`` stops cleanly and answers ``("stopped", None)``."""
    from .smoke import install_memory_keyring

    install_memory_keyring()
    asyncio.run(_serve_app(Path(data_dir), rest_url, ws_url, accounts, conn))


async def _serve_app(data_dir: Path, rest_url: str, ws_url: str, accounts: int, conn: Any) -> None:
    import keyring

    from ..app import build_services
    from ..core.enums import AccountMode
    from ..core.events import QuoteEvent
    from ..core.ids import now_ms
    from ..core.market_data import Quote
    from ..secrets import SERVICE
    from ..trading.groups import token_secret_name
    from .fakevenue.spec import fake_venue_spec

    services = build_services(data_dir, demo=False, webhook_port=0)
    services.accounts.registry.register(fake_venue_spec())
    services.order_manager.not_found_grace_s = 2.0  # the venue's lag is at most 0.5 s
    keyring.set_password(SERVICE, token_secret_name(GROUP), TOKEN)  # this process's in-memory keyring

    def quote() -> None:  # the market feed: the fake venue trades at one fixed price
        services.bus.publish(QuoteEvent(Quote(SYMBOL, now_ms(), PRICE, PRICE, PRICE)))

    quote()
    await services.start()
    quote()
    if await services.groups.get_group(GROUP) is None:
        await services.groups.create_group(GROUP, MarketType.FUTURES)
        keyring.set_password(SERVICE, token_secret_name(GROUP), TOKEN)
    linked = {lk.account_id for lk in await services.groups.links(GROUP)}
    ours = [a for a in services.accounts.list() if a.broker == VENUE]
    for i in range(len(ours), accounts):
        ours.append(await services.accounts.create_account(
            VENUE, AccountMode.TESTNET, f"crash-{i:03d}", {"rest_url": rest_url, "ws_url": ws_url}))
    for account in ours:
        if account.account_id not in linked:
            await services.groups.link(GROUP, account.account_id, Decimal("1"))
    conn.send(("ready", services.webhook.port if services.webhook else 0))
    loop = asyncio.get_running_loop()
    while True:
        quote()
        if not await loop.run_in_executor(None, conn.poll, 0.5):
            continue
        command = conn.recv()
        if command == "settle":
            deadline = time.monotonic() + 60
            while True:
                await services.executor.drain()
                await services.order_manager.settled()
                await services.order_manager.reconcile(wait=True)
                left = len(services.order_manager.open_orders())
                if not left or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
            conn.send(("settled", left))
        elif command == "stop":
            await services.stop()
            conn.send(("stopped", None))
            return


# ---- the harness -----------------------------------------------------------------------------------------
@dataclass
class CrashFigures:
    """What a run found. Every count but ``trials``, ``kills`` and the informative ones must be 0."""

    trials: int
    accounts: int
    kills_fanout: int = 0
    kills_startup: int = 0
    resent: int = 0
    resent_duplicates: int = 0
    journal_orders: int = 0
    venue_orders: int = 0
    never_sent: int = 0  # journalled, killed before the send: declared lost after the grace window (informative)
    lost: int = 0
    duplicated: int = 0
    non_final: int = 0
    pending_signals: int = 0
    position_mismatches: int = 0
    fill_mismatches: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.non_final or self.pending_signals
                    or self.position_mismatches or self.fill_mismatches)


class _App:
    """One run of the app process."""

    def __init__(self, ctx: Any, data_dir: Path, rest_url: str, ws_url: str, accounts: int) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_app_main, args=(str(data_dir), rest_url, ws_url, accounts, child),
                                   name="trader-app-under-test", daemon=True)
        self.process.start()
        child.close()
        self.url = ""

    async def ready(self) -> None:
        kind, port = await self._recv(READY_TIMEOUT_S)
        if kind != "ready":
            raise RuntimeError(f"the app did not start: {kind} {port}")
        self.url = f"http://127.0.0.1:{port}"

    async def command(self, name: str, timeout: float = 120.0) -> Any:
        self.conn.send(name)
        _, value = await self._recv(timeout)
        return value

    async def _recv(self, timeout: float) -> tuple[str, Any]:
        if not await asyncio.to_thread(self.conn.poll, timeout):
            raise RuntimeError(f"the app did not answer within {timeout:.0f} s (exit code {self.process.exitcode})")
        try:
            return self.conn.recv()
        except EOFError:
            return "died", self.process.exitcode

    async def kill(self) -> None:
        self.process.kill()  # SIGKILL: no cleanup of any kind
        await asyncio.to_thread(self.process.join, 10)
        self.conn.close()

    async def join(self) -> None:
        await asyncio.to_thread(self.process.join, 30)
        self.conn.close()


def _payload(trial: int) -> dict[str, Any]:
    return {"group_name": GROUP, "token": TOKEN, "symbol": SYMBOL, "order_type": "MARKET",
            "side": "buy" if trial % 2 == 0 else "sell", "qty_per": "1", "signal_id": f"crash-{trial}"}


async def _post(client: httpx.AsyncClient, url: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """POST the signal; its answer (None when the app died first)."""
    try:
        r = await client.post(f"{url}/api/webhook", content=json.dumps(payload), timeout=30)
    except httpx.HTTPError:
        return None
    return r.json() if r.status_code == 200 else {"status": r.status_code, "body": r.text}


async def run_crash(trials: int = 100, accounts: int = 100, seed: int | None = None, latency_ms: float = 5.0,
                    data_dir: Path | None = None, log: Any = print) -> CrashFigures:
    """Run the harness (see the module docstring); ``log(text)`` gets one line per trial."""
    rng = random.Random(seed)
    started = time.monotonic()
    figures = CrashFigures(trials, accounts)
    inst = Instrument(SYMBOL, VENUE, MarketType.FUTURES, "BTC", "USDT", Decimal("0.1"), Decimal("0.001"))
    runner = VenueRunner([inst], {SYMBOL: PRICE}, latency_s=latency_ms / 1000, cash=Decimal("10000000"))
    rest_url, ws_url = await runner.start()
    ctx = multiprocessing.get_context("spawn")
    home = data_dir or Path(tempfile.mkdtemp(prefix="trader-crash-"))
    unanswered: list[dict[str, Any]] = []
    try:
        async with httpx.AsyncClient(base_url=rest_url, timeout=10) as venue:
            async with httpx.AsyncClient() as client:
                for trial in range(trials):
                    await venue.put("/faults", json={"not_found_s": 0, "drop_answers": 0})
                    app = _App(ctx, home, rest_url, ws_url, accounts)
                    if trial > 0 and rng.random() < 0.25:  # kill it while it connects and reconciles
                        await asyncio.sleep(rng.uniform(0.5, 4.0))
                        await app.kill()
                        figures.kills_startup += 1
                        log(f"trial {trial + 1}/{trials}: killed during start-up")
                        continue
                    await app.ready()
                    await _resend(client, app.url, unanswered, figures)
                    await venue.put("/faults", json={"not_found_s": rng.choice((0, 0.2, 0.5)),
                                                     "drop_answers": rng.choice((0, 0, 1, 3))})
                    payload = _payload(trial)
                    post = asyncio.ensure_future(_post(client, app.url, payload))
                    await asyncio.sleep(rng.uniform(0.0, 0.15))
                    await app.kill()
                    figures.kills_fanout += 1
                    answer = await post
                    if answer is None or "results" not in answer:
                        unanswered.append(payload)
                    log(f"trial {trial + 1}/{trials}: signal {payload['signal_id']} "
                        f"{'answered' if answer and 'results' in answer else 'unanswered'}, killed mid fan-out")
                await venue.put("/faults", json={"not_found_s": 0, "drop_answers": 0})
                app = _App(ctx, home, rest_url, ws_url, accounts)
                await app.ready()
                await _resend(client, app.url, unanswered, figures)
                left = await app.command("settle")
                if left:
                    figures.notes.append(f"{left} order(s) still open after 60 s of settling")
                await app.command("stop")
                await app.join()
            books = (await venue.get("/books")).json()
        _compare(home / "trader.db", books, figures)
    finally:
        await runner.stop()
    figures.seconds = time.monotonic() - started
    return figures


async def _resend(client: httpx.AsyncClient, url: str, unanswered: list[dict[str, Any]], figures: CrashFigures) -> None:
    while unanswered:
        answer = await _post(client, url, unanswered[0])
        if answer is None or "results" not in answer:
            raise RuntimeError(f"a resent signal got no answer from a running app: {answer}")
        figures.resent += 1
        figures.resent_duplicates += bool(answer.get("duplicate"))
        unanswered.pop(0)


def _compare(db: Path, books: dict[str, Any], figures: CrashFigures) -> None:
    from ..store import Store

    store = Store.open(db)
    try:
        venue_accounts = {a.account_id for a in store.accounts.list() if a.broker == VENUE}
        journal = [o for o in store.orders.list() if o.account_id in venue_accounts]
        figures.journal_orders = len(journal)
        ours = {(o.account_id, o.client_order_id): o for o in journal}
        per_signal: dict[tuple[str, str], int] = {}
        for order in journal:
            if order.signal_id:
                key = (order.account_id, order.signal_id)
                per_signal[key] = per_signal.get(key, 0) + 1
            if order.status.is_open:
                figures.non_final += 1
            if order.reject_reason.startswith("not found at the venue"):
                figures.never_sent += 1
        figures.duplicated = sum(n - 1 for n in per_signal.values() if n > 1)
        for account, book in books.items():
            for vo in book["orders"]:
                figures.venue_orders += 1
                mine = ours.get((account, vo["client_order_id"]))
                if mine is None:
                    figures.lost += 1
                elif Decimal(vo["filled_qty"]) != mine.filled_qty:
                    figures.fill_mismatches += 1
            for symbol, qty in book["positions"].items():
                held = store.positions.get(account, symbol)
                if Decimal(qty) != (held.quantity if held else Decimal(0)):
                    figures.position_mismatches += 1
        figures.pending_signals = sum(1 for s in store.signals.list(limit=None)
                                      if any(r.get("status") == "PENDING" for r in s.results))
    finally:
        store.close()


def report(f: CrashFigures) -> str:
    lines = [
        f"crash harness: {f.trials} trials, {f.accounts} accounts, {f.seconds:.0f} s",
        f"  kills: {f.kills_fanout} mid fan-out, {f.kills_startup} during start-up/reconcile",
        f"  signals resent after no answer: {f.resent} ({f.resent_duplicates} answered as duplicates)",
        f"  orders: {f.journal_orders} journalled, {f.venue_orders} at the venue, "
        f"{f.never_sent} journalled but never sent (killed before the send; declared lost)",
        f"  lost {f.lost}, duplicated {f.duplicated}, non-final {f.non_final}, signals PENDING {f.pending_signals}, "
        f"positions differing {f.position_mismatches}, fills differing {f.fill_mismatches}",
        "  result: " + ("OK" if f.ok else "FAILED"),
    ]
    lines += [f"  note: {n}" for n in f.notes]
    return "\n".join(lines)


def register_bench(bench_subparsers: Any) -> None:
    """Add ``crash`` to ``trader-app bench``."""
    p = bench_subparsers.add_parser("crash", help="kill the app mid fan-out and at start-up; count lost and duplicated orders",
                                    description="Kill the app with SIGKILL at random moments of a fan-out to many "
                                                "fake-venue accounts and of its start-up, restart it, resend what got "
                                                "no answer, then compare the journal with the venue.")
    p.add_argument("--trials", type=int, default=100, help="kills (default 100)")
    p.add_argument("--accounts", type=int, default=100, help="linked accounts (default 100)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: a new one)")
    p.add_argument("--latency-ms", type=float, default=5.0, help="venue answer delay in ms (default 5)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.trials < 1 or args.accounts < 1:
        print("trader-app bench crash: --trials and --accounts must be >= 1")
        return 2
    figures = asyncio.run(run_crash(args.trials, args.accounts, args.seed, args.latency_ms,
                                    log=lambda line: print(line, flush=True)))
    print(report(figures), flush=True)
    return 0 if figures.ok else 1
