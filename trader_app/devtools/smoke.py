"""``trader-app --smoke-test``: the real window on the demo market, a few paper orders through the ticket,
a screenshot, and a verdict.

Steps: start the services (temporary data dir unless one is given), show the window, wait for quotes, place
through the order ticket (the same widgets and ``OrderTicket.submit`` path a click uses) a market buy, a
market sell and a limit buy far below the market (it rests), plus a market buy of a stock; let the market run
``seconds``; save a PNG of the main window; check that the market orders filled, the limit order rests, every
panel's table has rows and the chart has bars; and, when the webhook listener exists, that ``GET /health``
answers 200. Exit code 0 only if every check passed; each check is printed as ``ok``/``FAIL``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..core.enums import OrderStatus, OrderType, Side
from ..core.money import round_price

HEALTH_WAIT_S = 10.0  # how long the smoke test polls GET /health for 200 (s)

# (symbol, side, type, quantity, price as a fraction of the bid or None, expected status)
SMOKE_ORDERS: tuple[tuple[str, Side, OrderType, str, Decimal | None, OrderStatus], ...] = (
    ("BTC/USDT", Side.BUY, OrderType.MARKET, "0.5", None, OrderStatus.FILLED),
    ("BTC/USDT", Side.SELL, OrderType.MARKET, "0.2", None, OrderStatus.FILLED),
    ("BTC/USDT", Side.BUY, OrderType.LIMIT, "0.1", Decimal("0.90"), OrderStatus.NEW),
    ("AAPL", Side.BUY, OrderType.MARKET, "25", None, OrderStatus.FILLED),
    ("ETH/USDT", Side.BUY, OrderType.MARKET, "3", None, OrderStatus.FILLED),
)


@dataclass
class SmokeReport:
    """The checks as (name, passed, detail) in order; ``ok`` when all passed."""

    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    screenshot: Path | None = None
    panel_sheet: Path | None = None
    orders: list[Any] = field(default_factory=list)

    def check(self, name: str, passed: bool, detail: str = "") -> bool:
        self.checks.append((name, bool(passed), detail))
        return bool(passed)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(passed for _, passed, _ in self.checks)

    def lines(self) -> list[str]:
        out = [f"{'ok  ' if passed else 'FAIL'} {name}{': ' + detail if detail else ''}" for name, passed, detail
               in self.checks]
        out.append(f"smoke test {'passed' if self.ok else 'FAILED'}")
        return out


async def wait_for(predicate: Any, timeout_s: float, step_s: float = 0.05) -> bool:
    """Await (without blocking the loop) until ``predicate()`` is true or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(step_s)
    return True


async def place_through_ticket(window: Any, account_id: str, symbol: str, side: Side, order_type: OrderType,
                               quantity: str, price: Decimal | None = None) -> Any:
    """Fill the ticket's widgets like a trader would and press Buy/Sell. Returns the resulting ``Order``.
    Raises ``RuntimeError`` with the ticket's message when the ticket refuses the input."""
    ticket = window.ticket
    ticket.set_account(account_id)
    ticket.set_symbol(symbol)
    ticket.set_order_type(order_type)
    ticket.quantity.setText(quantity)
    ticket.price.setText("" if price is None else str(price))
    ticket.stop.setText("")
    button = ticket.buy_button if side is Side.BUY else ticket.sell_button
    button.click()
    task = ticket.last_task
    if ticket.last_error or task is None:
        raise RuntimeError(f"ticket refused the order: {ticket.last_error}")
    ticket.last_task = None
    return await task


async def check_health(services: Any, report: SmokeReport) -> None:
    """GET /health on the listener (``/health`` or ``/api/v1/health``) must answer 200."""
    if services.webhook is None:
        report.check("webhook listener started", False, services.listener_error or "not started")
        return
    import httpx

    base = str(services.webhook.url).rstrip("/")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + HEALTH_WAIT_S  # readiness is polled, as a load balancer would: prices may lag
    async with httpx.AsyncClient(timeout=5.0) as client:
        status, waiting = None, ""
        while True:
            for path in ("/health", "/api/v1/health"):
                response = await client.get(base + path)
                status = response.status_code
                if status == 200:
                    report.check("GET /health answers 200", True, f"{base}{path}")
                    return
                with contextlib.suppress(ValueError, AttributeError):
                    waiting = ", ".join(response.json().get("waiting_for", []))
            if loop.time() >= deadline:
                break
            await asyncio.sleep(0.25)
        status = f"{status} after {HEALTH_WAIT_S:g} s (waiting for: {waiting or '?'})"
        report.check("GET /health answers 200", False, f"{base}: HTTP {status}")


SMOKE_GROUP = "smoke"


async def send_webhook_signal(services: Any, account_id: str, report: SmokeReport) -> None:
    """Through the listener, like TradingView would: create strategy group ``smoke`` (SPOT) linked to the
    account with weight 0.1, and POST a market buy of 1 % of its allocation of SOL/USDT to ``/api/webhook``
    with the group's token. The account's result must be FILLED. Skipped when the listener or the group
    service does not exist."""
    if services.webhook is None or services.groups is None:
        return
    import httpx

    label = "webhook signal (MARKET buy SOL/USDT, qty_per 1) FILLED"
    try:
        _group, token = await services.groups.create_group(SMOKE_GROUP, "SPOT", "created by the smoke test")
        await services.groups.link(SMOKE_GROUP, account_id, "0.1")
        payload = {"group_name": SMOKE_GROUP, "symbol": "SOL/USDT", "order_type": "MARKET", "side": "buy",
                   "qty_per": 1, "token": token}
        async with httpx.AsyncClient(timeout=10.0) as client:
            response = await client.post(str(services.webhook.url).rstrip("/") + "/api/webhook", json=payload)
    except Exception as exc:  # noqa: BLE001 - reported as a failed check
        report.check(label, False, f"{type(exc).__name__}: {exc}")
        return
    if response.status_code != 200:
        report.check(label, False, f"HTTP {response.status_code}: {response.text[:200]}")
        return
    results = response.json().get("results", [])
    statuses = [r.get("status") for r in results]
    report.check(label, statuses == ["FILLED"], f"results {statuses}")


async def run_smoke(window: Any, services: Any, seconds: float, screenshot: Path | None) -> SmokeReport:
    """The smoke test proper on a started ``services`` and a shown, loaded ``window``."""
    report = SmokeReport()
    symbols = sorted({o[0] for o in SMOKE_ORDERS})
    have_quotes = await wait_for(lambda: all(services.market.last_quote(s) for s in symbols), timeout_s=15)
    report.check("demo market quotes", have_quotes, ", ".join(symbols))
    if not have_quotes:
        return report
    accounts = services.accounts.list()
    report.check("paper account", bool(accounts), accounts[0].name if accounts else "none")
    if not accounts:
        return report
    account_id = accounts[0].account_id
    for symbol, side, order_type, qty, price_frac, expected in SMOKE_ORDERS:
        price = None
        if price_frac is not None:
            quote = services.market.last_quote(symbol)
            price = round_price(quote.bid * price_frac, services.market.instrument(symbol).tick_size)
        label = f"{order_type.value} {side.value} {qty} {symbol}" + (f" @ {price}" if price is not None else "")
        try:
            order = await place_through_ticket(window, account_id, symbol, side, order_type, qty, price)
        except Exception as exc:  # noqa: BLE001 - reported as a failed check
            report.check(label, False, f"{type(exc).__name__}: {exc}")
            continue
        report.orders.append(order)
        detail = order.status.value + (f" ({order.reject_reason})" if order.reject_reason else "")
        report.check(label, order.status is expected, detail)

    await check_health(services, report)
    await send_webhook_signal(services, account_id, report)

    await asyncio.sleep(seconds)
    startup = getattr(services, "demo_task", None)
    if startup is not None:
        try:
            await asyncio.wait_for(asyncio.shield(startup), timeout=60)
        except Exception as exc:  # noqa: BLE001 - reported as a failed check
            report.check("demo history backfilled", False, f"{type(exc).__name__}: {exc}")
    await wait_for(lambda: window.chart.bar_count() > 1 and window.chart.last_task is not None
                   and window.chart.last_task.done(), timeout_s=15)
    window.bridge.flush()
    await asyncio.sleep(0.2)  # let the views repaint after the flush

    # the market orders are still FILLED in the store (journal), the limit order still rests
    om = services.order_manager
    open_ids = {o.client_order_id for o in om.open_orders()}
    for order, (_, _, order_type, _, _, expected) in zip(report.orders, SMOKE_ORDERS):
        if expected is OrderStatus.NEW:
            report.check(f"limit order {order.client_order_id} rests", order.client_order_id in open_ids)
    for name, panel in window.panels.items():
        tables = panel.tables() if hasattr(panel, "tables") else []
        if not tables:
            continue  # the chart and the ticket are checked by their own steps
        rows = [t.model().rowCount() for t in tables]
        report.check(f"{name} panel has rows", max(rows) > 0, " + ".join(str(r) for r in rows) + " rows")
    bars = window.chart.bar_count()
    report.check("chart has bars", bars > 0, f"{bars} bars of {window.chart.symbol}")
    outside = docks_outside_screen(window)
    if outside is not None:  # a real screen (X11, Wayland, a desktop): every dock must be reachable on it
        screen = window.screen().availableGeometry()
        report.check("every dock inside the screen", not outside,
                     f"screen {screen.width()}x{screen.height()}, window {window.frameGeometry().width()}x"
                     f"{window.frameGeometry().height()}" + (f"; outside: {', '.join(outside)}" if outside else ""))

    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        if outside is not None:  # the whole screen as the user sees it (window frame included)
            saved = window.screen().grabWindow(0).save(str(screenshot), "PNG")
        else:
            saved = window.grab().save(str(screenshot), "PNG")
        report.screenshot = screenshot
        report.check("screenshot saved", saved and screenshot.is_file() and screenshot.stat().st_size > 0,
                     str(screenshot))
        sheet = screenshot.with_name(f"{screenshot.stem}-panels{screenshot.suffix or '.png'}")
        drawn = await save_panel_sheet(window, sheet)
        if drawn:
            report.panel_sheet = sheet
            report.check("tabbed panels saved", sheet.is_file(), f"{sheet} ({', '.join(drawn)})")
    return report


def docks_outside_screen(window: Any) -> list[str] | None:
    """The titles of the visible docks not wholly inside the screen's available area (global coordinates);
    None on the offscreen platform, which has no real screen to fit."""
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        return None
    screen = window.screen().availableGeometry()
    outside = []
    for dock in window.docks.values():
        if not dock.isVisible() or dock.visibleRegion().isEmpty() and not dock.isFloating():
            continue  # a tab behind another: its tab bar is what the user sees
        top_left = dock.mapToGlobal(dock.rect().topLeft())
        if not screen.contains(QRect(top_left, dock.size())):
            outside.append(dock.windowTitle())
    return outside


async def save_panel_sheet(window: Any, path: Path) -> list[str]:
    """Save one PNG with every dock that sits behind a tab (the bottom tables), each raised in turn and
    grabbed, in a two-column grid with its title; so the smoke screenshot shows every panel's content.
    Returns the dock names drawn."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter

    from ..ui import theme

    tabbed: list[str] = []
    for name, dock in window.docks.items():
        if dock.isVisible() and window.tabifiedDockWidgets(dock) and name not in tabbed:
            tabbed.append(name)
    if not tabbed:
        return []
    current = next((n for n in tabbed if not window.docks[n].visibleRegion().isEmpty()), tabbed[0])
    grabs = []
    for name in tabbed:
        window.docks[name].raise_()
        await asyncio.sleep(0.05)
        grabs.append((window.docks[name].windowTitle(), window.docks[name].widget().grab()))
    window.docks[current].raise_()
    cell_w = max(g.width() for _, g in grabs)
    cell_h = max(g.height() for _, g in grabs) + 24
    cols = 2
    rows = (len(grabs) + cols - 1) // cols
    sheet = QImage(cell_w * cols, cell_h * rows, QImage.Format.Format_RGB32)
    sheet.fill(QColor(theme.BACKGROUND))
    painter = QPainter(sheet)
    font = QFont(painter.font())
    font.setBold(True)
    painter.setFont(font)
    for i, (title, pixmap) in enumerate(grabs):
        x, y = (i % cols) * cell_w, (i // cols) * cell_h
        painter.fillRect(x, y, cell_w, 22, QColor(theme.PANEL))
        painter.setPen(QColor(theme.TEXT))
        painter.drawText(x + 8, y, cell_w - 16, 22, int(Qt.AlignmentFlag.AlignVCenter), title)
        painter.drawPixmap(x, y + 24, pixmap)
    painter.end()
    sheet.save(str(path), "PNG")
    return tabbed


def install_memory_keyring() -> None:
    """Make this process's keyring an in-memory one (the smoke test only: its webhook token and admin
    token must not land in the trader's OS keyring, and a headless machine has no keyring at all).
    Nothing is written anywhere; it all disappears with the process."""
    import keyring
    import keyring.backend

    class SmokeKeyring(keyring.backend.KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self._secrets: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self._secrets.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self._secrets[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            from keyring.errors import PasswordDeleteError

            if self._secrets.pop((service, username), None) is None:
                raise PasswordDeleteError(username)

    keyring.set_keyring(SmokeKeyring())
