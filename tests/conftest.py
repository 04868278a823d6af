"""Test set-up shared by every test.

- Qt runs offscreen (must be set before any QApplication exists; shared/STACK.md trap 4).
- Secrets go to an in-memory keyring (headless machines have no backend; STACK.md trap 6).
- Async tests run on a qasync loop (STACK.md trap 5, pattern A). Do not call blocking
  ``qtbot.waitUntil``/``waitSignal`` inside ``async def`` tests; await futures instead.
- Every test gets its own data directory through ``TRADER_APP_HOME``.
"""

from __future__ import annotations

import gc
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring  # noqa: E402
import keyring.backend  # noqa: E402
import keyring.core  # noqa: E402
import pytest  # noqa: E402


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring backend that keeps secrets in a dict for the length of one test."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        from keyring.errors import PasswordDeleteError

        if (service, username) not in self.store:
            raise PasswordDeleteError(username)
        del self.store[(service, username)]


def pytest_collection_finish(session):
    """Freeze the heap once, after every test module is imported: the modules, classes and constants (the
    bulk of the heap: PySide6, pandas, SQLAlchemy, FastAPI) move to the permanent generation, so the
    collections around each test below walk only what the tests made instead of the whole heap."""
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def collect_garbage_on_the_gui_thread():
    """Collect cyclic garbage (old qasync loops holding QObjects) here, on the main thread.

    Left to itself, Python's collector may run inside the store's worker thread and destroy QObjects
    off the GUI thread, which segfaults at random. Cheap since the heap was frozen at collection.
    """
    gc.collect()
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch):
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    return backend


@pytest.fixture(autouse=True)
def data_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("TRADER_APP_HOME", str(home))
    return home


def pytest_asyncio_loop_factories(config, item):
    """Run async tests on a qasync loop inside the Qt event loop, like the app."""
    import qasync
    from PySide6.QtWidgets import QApplication

    from concurrent.futures import ThreadPoolExecutor

    def make_loop():
        loop = qasync.QEventLoop(QApplication.instance() or QApplication([]))
        # qasync's default QThreadExecutor segfaults across test loops; use a plain pool (as the app does).
        loop.set_default_executor(ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-io"))
        return loop

    return {"qasync": make_loop}
