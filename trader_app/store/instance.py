"""One running Trader App per data directory: the window and ``serve`` hold ``<data dir>/trader.lock``.

Two processes on one database would each journal orders the other cannot see, and ``trader-app restore``
must not replace a database under a running app. The lock is an OS file lock (``filelock``): it is released
when the process ends, however it ends, so a crash never leaves a stale lock behind.
"""

from __future__ import annotations

from pathlib import Path

from filelock import FileLock, Timeout

from ..core.errors import ConfigError

LOCK_FILE = "trader.lock"


def hold_data_dir(data_dir: Path) -> FileLock:
    """Take the data directory's lock (no waiting) and return it (``release()`` it when done). Raises
    ``ConfigError`` naming the directory when another Trader App holds it."""
    lock = FileLock(str(Path(data_dir) / LOCK_FILE), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise ConfigError(f"another Trader App is running on {data_dir} (it holds {LOCK_FILE}); stop it first, "
                          "or give this one another --data-dir") from None
    return lock
