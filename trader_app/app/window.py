"""Launching the window on the qasync loop: the ``QApplication``, the loop, the window, the smoke test.

shared/STACK.md traps 1, 5, 8: one asyncio loop, qasync's ``QEventLoop`` over the Qt event loop; nothing
blocks it. ``trader_app.app`` (the composition root) calls these; nothing else outside ``ui`` does.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .services import AppServices, build_services, install_log_forwarding, remove_log_forwarding
from ..config import Settings
from ..heap import settle_heap

log = logging.getLogger(__name__)


def make_qapp(argv: list[str] | None = None) -> Any:
    """The ``QApplication`` (created once), themed, with quit-on-last-window-closed off: the app's own
    coroutine decides when to stop so the services shut down cleanly on the loop first."""
    import sys

    from PySide6.QtWidgets import QApplication

    from ..ui.theme import apply_theme

    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
        app.setApplicationName("Trader App")
        app.setOrganizationName("TraderApp")
        apply_theme(app)
    app.setQuitOnLastWindowClosed(False)
    return app


def run_on_qasync(main: Callable[[], Awaitable[int]]) -> int:
    """Run ``main()`` to completion on a qasync ``QEventLoop`` over the QApplication; returns its result.

    SIGINT/SIGTERM cancel ``main`` (a timer lets Python see the signal while Qt waits in C++); ``main`` then
    shuts down in its ``finally`` and the result is 128 + the signal number (130 for Ctrl+C, 143 for SIGTERM).
    """
    import signal

    import qasync
    from PySide6.QtCore import QTimer

    app = make_qapp()
    loop = qasync.QEventLoop(app)
    # asyncio.to_thread (CSV import, history backfill) uses the loop's default executor: a plain thread pool,
    # not qasync's QThreadExecutor (which has crashed when loops are replaced in one process).
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="trader-io")
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    # Python's cyclic GC may otherwise run inside a worker thread (the store's, the thread pool's) and free
    # QObjects there, which crashes Qt: collect on a timer on the GUI thread instead (pyqtgraph's helper).
    from pyqtgraph.util.garbage_collector import GarbageCollector

    collector = GarbageCollector(interval=0.5)
    wake = QTimer()
    wake.setInterval(200)
    wake.timeout.connect(lambda: None)  # gives the interpreter a chance to run Python signal handlers
    wake.start()
    task_box: dict[str, asyncio.Task[int]] = {}

    received: list[int] = []

    def on_signal(signum: int, _frame: Any) -> None:
        received.append(signum)
        task = task_box.get("task")
        if task is not None and not task.done():
            loop.call_soon_threadsafe(task.cancel)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}

    async def runner() -> int:
        task_box["task"] = asyncio.ensure_future(main())
        try:
            return await task_box["task"]
        except asyncio.CancelledError:
            return 128 + (received[0] if received else signal.SIGINT)

    try:
        with loop:
            return loop.run_until_complete(runner())
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
        wake.stop()
        collector.timer.stop()
        gc.enable()
        for s, handler in previous.items():
            signal.signal(s, handler)
        asyncio.set_event_loop(None)


async def open_window(services: AppServices) -> Any:
    """Start the services, show the main window and fill its panels. Returns the window."""
    from PySide6.QtWidgets import QApplication

    from ..ui.main_window import MainWindow

    app = QApplication.instance()
    if app is not None:
        app.setQuitOnLastWindowClosed(False)  # closing the window must not stop the loop under our feet
    await services.start()
    window = MainWindow(services)
    window.show()
    await window.load()
    if services.replay_symbol:
        window.activate_symbol(services.replay_symbol, services.replay_interval)
    settle_heap()
    return window


def run_window(
    data_dir: Path,
    settings: Settings,
    *,
    replay: str | None = None,
    speed: float | None = None,
    webhook_port: int | None = None,
) -> int:
    """``trader-app``: the terminal window until the trader closes it. ``replay``: a CSV to replay instead
    of the demo market. Exit code 0 (130 on Ctrl+C)."""

    async def main() -> int:
        from ..store.backup import StoreCorrupt
        from ..store.instance import hold_data_dir

        lock = hold_data_dir(data_dir)  # ConfigError (exit 2) when another app runs on this data directory
        try:
            try:
                services = build_services(data_dir, settings, demo=replay is None, webhook_port=webhook_port)
            except StoreCorrupt as exc:
                log.error("%s", exc)
                if not offer_restore(exc):
                    raise
                services = build_services(data_dir, settings, demo=replay is None, webhook_port=webhook_port)
            return await run(services)
        finally:
            lock.release()

    async def run(services: AppServices) -> int:
        import sys

        from ..core.errors import TraderError

        handler = install_log_forwarding(services.bus, services)
        closed = asyncio.get_running_loop().create_future()
        window = None
        try:
            await services.start()
            if replay:
                try:
                    await services.start_replay(replay, speed)
                except TraderError as exc:  # DataImportError names the file, line and problem
                    print(f"trader-app: cannot replay: {exc}", file=sys.stderr)
                    return 2
            window = await open_window(services)
            window.closing.connect(lambda: closed.done() or closed.set_result(None))
            await closed
        finally:
            if window is not None and window.isVisible():
                window.close()
            remove_log_forwarding(handler)
            await services.stop()
        return 0

    return run_on_qasync(main)


def offer_restore(exc: Any) -> bool:
    """The database failed its integrity check: say so in a dialog and offer its newest backup. True when
    the trader chose to restore it (done here; the damaged file is kept beside it), False to quit."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    from ..store.backup import restore

    if QApplication.instance() is None or exc.backup is None:
        return False
    box = QMessageBox(QMessageBox.Icon.Critical, "Trader App: the database is damaged", str(exc))
    box.setInformativeText("Restore the newest backup now? The damaged database is kept beside it. "
                           "Orders and fills after the backup's time are fetched from the venues when the "
                           "accounts reconcile.")
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    if box.exec() != QMessageBox.StandardButton.Yes:
        return False
    restore(exc.path, exc.backup)
    return True


def run_smoke_test(
    data_dir: Path | None,
    *,
    seconds: float = 5.0,
    screenshot: Path | None = None,
    webhook_port: int | None = None,
    settings: Settings | None = None,
) -> int:
    """``trader-app --smoke-test``: see ``trader_app.devtools.smoke``. ``data_dir`` None -> a temporary directory
    (deleted afterwards), so the smoke test never touches the trader's data. The listener binds a free port
    unless ``webhook_port`` is given. Prints one line per check; exit code 0 only if all passed."""
    import tempfile

    from ..devtools.smoke import install_memory_keyring, run_smoke

    install_memory_keyring()  # the smoke test's tokens never reach the trader's keyring
    async def main(directory: Path) -> int:
        smoke_settings = settings or Settings.load(directory)
        smoke_settings.market.source = "demo"  # offline by design
        services = build_services(directory, smoke_settings, demo=True,
                                  webhook_port=0 if webhook_port is None else webhook_port)
        handler = install_log_forwarding(services.bus, services)
        window = None
        try:
            window = await open_window(services)
            report = await run_smoke(window, services, seconds, screenshot)
        finally:
            if window is not None:
                window.close()
            remove_log_forwarding(handler)
            await services.stop()
        for line in report.lines():
            print(line, flush=True)
        return 0 if report.ok else 1

    if data_dir is not None:
        return run_on_qasync(lambda: main(Path(data_dir)))
    with tempfile.TemporaryDirectory(prefix="trader-app-smoke-") as tmp:
        return run_on_qasync(lambda: main(Path(tmp)))
