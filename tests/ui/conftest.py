"""Fixtures for window tests: the real services (store, paper venue, order manager, portfolio, market)
on a temporary data dir, no demo market (tests publish exact quotes), no webhook listener, and the window.

Async tests on the qasync loop (STACK.md trap 5, pattern A): wait with ``until`` (awaits, never blocks).
"""

from __future__ import annotations

import pytest
import pytest_asyncio



@pytest.fixture(autouse=True)
def _windows_close_without_quitting(qapp):
    """As the app sets it (``open_window``): closing the last window must not stop the loop under a test."""
    qapp.setQuitOnLastWindowClosed(False)


@pytest_asyncio.fixture
async def services(tmp_path):
    from trader_app.app import build_services

    svc = build_services(tmp_path / "data", demo=False, start_webhook=False)
    await svc.start()
    try:
        yield svc
    finally:
        await svc.stop()


@pytest_asyncio.fixture
async def window(services, qapp):
    from trader_app.ui.main_window import MainWindow

    win = MainWindow(services)
    win.show()
    await win.load()
    try:
        yield win
    finally:
        win.close()
        win.deleteLater()


@pytest.fixture
def account_id(services) -> str:
    return services.accounts.list()[0].account_id
