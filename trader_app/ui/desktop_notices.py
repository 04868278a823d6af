"""Desktop notices (issue 14): the tray icon tells the trader about fills, rejections, strategy failures,
kill-switch trips and lost connections, each kind on or off (``notices.desktop`` in ``settings.json``).

Bursts collapse: a kind shows at most one notice per ``window_s`` (5 s). The notices of a kind that arrive
in the meantime wait and then go out as one, headed by their count ("12 fills"), with the first three
lines and "and 9 more". Nothing is lost from the Log panel; the tray only summarises.

:func:`notice_of` maps the window's bridge events to ``(kind, title, text)``; :class:`NoticeCollector`
does the collapsing (no Qt, exact times in tests); :class:`DesktopNotices` wires both to the bridge and a
``QSystemTrayIcon`` (on a desktop without a tray the notices are still collected in ``shown``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QSystemTrayIcon

from ..core.enums import OrderStatus, SessionState
from ..core.money import fmt

NOTICE_KINDS = ("fills", "rejections", "strategy_failures", "kill_switch", "connections")
KIND_TITLES = {"fills": "fills", "rejections": "rejected orders", "strategy_failures": "strategy failures",
               "kill_switch": "kill switches tripped", "connections": "connections lost"}
MAX_LINES = 3


@dataclass(frozen=True)
class Notice:
    kind: str
    title: str
    text: str


class NoticeCollector:
    """Collapses notices per kind: ``add(kind, title, text, now_s)``, then ``due(now_s)`` returns what to show
    now (one notice per kind at most every ``window_s``). ``enabled(kind)`` decides what is kept at all."""

    def __init__(self, enabled: Callable[[str], bool], window_s: float = 5.0) -> None:
        self.enabled = enabled
        self.window_s = window_s
        self._pending: dict[str, list[Notice]] = {}
        self._last: dict[str, float] = {}

    def add(self, notice: Notice) -> None:
        if self.enabled(notice.kind):
            self._pending.setdefault(notice.kind, []).append(notice)

    def due(self, now_s: float) -> list[Notice]:
        out = []
        for kind in NOTICE_KINDS:
            waiting = self._pending.get(kind)
            if not waiting or now_s - self._last.get(kind, float("-inf")) < self.window_s:
                continue
            self._pending[kind] = []
            self._last[kind] = now_s
            if len(waiting) == 1:
                out.append(waiting[0])
                continue
            lines = [f"{n.title}: {n.text}" for n in waiting[:MAX_LINES]]
            if len(waiting) > MAX_LINES:
                lines.append(f"and {len(waiting) - MAX_LINES} more")
            out.append(Notice(kind, f"{len(waiting)} {KIND_TITLES[kind]}", "\n".join(lines)))
        return out


class EventNotices:
    """Turns the bridge's batches into :class:`Notice` s; remembers each account's last session state so
    only a connection that was up and went down counts as lost. ``names``: account id -> name."""

    def __init__(self, names: Callable[[str], str]) -> None:
        self.names = names
        self._sessions: dict[str, SessionState] = {}
        self._rejected: set[tuple[str, str]] = set()

    def fills(self, fills: list[Any]) -> list[Notice]:
        return [Notice("fills", f"Filled {f.side.value} {f.symbol}",
                       f"{fmt(f.quantity)} @ {fmt(f.price)} ({self.names(f.account_id)})") for f in fills]

    def orders(self, orders: list[Any]) -> list[Notice]:
        out = []
        for o in orders:
            key = (o.account_id, o.client_order_id)
            if o.status is OrderStatus.REJECTED and key not in self._rejected:
                self._rejected.add(key)
                out.append(Notice("rejections", f"Rejected {o.side.value} {o.symbol}",
                                  f"{o.reject_reason or 'refused'} ({self.names(o.account_id)})"))
        return out

    def strategies(self, events: list[Any]) -> list[Notice]:
        return [Notice("strategy_failures", f"Strategy {e.name} stopped", e.error) for e in events if e.error]

    def kill_switches(self, events: list[Any]) -> list[Notice]:
        return [Notice("kill_switch", f"Kill switch: {self.names(e.account_id)}", e.reason) for e in events if e.tripped]

    def accounts(self, events: list[Any]) -> list[Notice]:
        out = []
        for e in events:
            aid = e.account.account_id
            before = self._sessions.get(aid)
            self._sessions[aid] = e.session
            if before is SessionState.CONNECTED and e.session in (SessionState.ERROR, SessionState.DISCONNECTED) \
                    and not e.removed:
                out.append(Notice("connections", f"Connection lost: {e.account.name}",
                                  e.error or e.session.value.lower()))
        return out


class DesktopNotices(QObject):
    """Bridge events -> collector -> the tray icon, flushed every second. ``shown`` keeps what was shown."""

    def __init__(self, bridge: Any, settings: Any, names: Callable[[str], str], icon: Any = None,
                 parent: QObject | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(parent)
        self.settings = settings
        self.clock = clock
        self.collector = NoticeCollector(lambda kind: bool(settings.notices.desktop.get(kind, True)))
        self.events = EventNotices(names)
        self.shown: list[Notice] = []
        self.tray: QSystemTrayIcon | None = None
        if icon is not None and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(icon, self)
            self.tray.setToolTip("Trader App")
            self.tray.show()
        for signal, convert in ((bridge.fills, self.events.fills), (bridge.orders, self.events.orders),
                                (bridge.strategies, self.events.strategies),
                                (bridge.kill_switches, self.events.kill_switches),
                                (bridge.accounts, self.events.accounts)):
            signal.connect(lambda batch, convert=convert: self._add(convert(list(batch))))
        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.flush)
        self.timer.start()

    def _add(self, notices: list[Notice]) -> None:
        for n in notices:
            self.collector.add(n)

    def flush(self) -> list[Notice]:
        """Show what is due now; returns it."""
        due = self.collector.due(self.clock())
        for n in due:
            self.shown.append(n)
            if self.tray is not None:
                self.tray.showMessage(n.title, n.text, QSystemTrayIcon.MessageIcon.Information, 6000)
        del self.shown[:-200]
        return due
