"""Integrity check, online backups and restore of the SQLite store (issue 12).

- :func:`quick_check`: ``PRAGMA quick_check`` (https://sqlite.org/pragma.html#pragma_quick_check); the store
  refuses to open a database that fails it (``StoreCorrupt``), naming the newest backup.
- :func:`make_backup`: SQLite's online backup API (Python's ``sqlite3.Connection.backup``,
  https://sqlite.org/backup.html) copies the live database page by page while the app keeps writing; the
  copy is consistent and is itself checked before it is kept. Blocking: call it off the event loop.
- Backups live in ``<data dir>/backups`` as ``trader-<UTC yyyymmdd-HHMMSS>-<kind>.db``; kinds ``daily``
  (the app takes one when the newest is 24 h old; 7 kept), ``pre-migration`` (before every schema
  upgrade; 5 kept) and ``manual`` (``trader-app backup``; 10 kept).
- :func:`restore`: checks the backup, moves the current database (and its ``-wal``/``-shm`` files) aside as
  ``trader.db.replaced-<time>``, and puts a copy of the backup in its place. Only while the app is stopped.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path

from ..core.errors import ConfigError, StoreUnavailable

BACKUP_DIR = "backups"
KEEP = {"daily": 7, "pre-migration": 5, "manual": 10}
DAILY_S = 86_400


class StoreCorrupt(StoreUnavailable):
    """The database failed ``PRAGMA quick_check``; ``problems`` are SQLite's lines, ``backup`` the newest
    backup (or None). Trading is refused until it is restored or repaired."""

    def __init__(self, path: Path, problems: list[str], backup: Path | None) -> None:
        self.path, self.problems, self.backup = path, problems, backup
        offer = (f" The newest backup is {backup} ({backup_time(backup)}): stop the app and run "
                 f"`trader-app restore {backup}`." if backup else " There is no backup to restore.")
        super().__init__(f"the database {path} failed its integrity check ({'; '.join(problems[:3])}); "
                         f"Trader App will not trade on it.{offer}")


def backups_dir(db_path: Path) -> Path:
    """Where the backups of the database file ``db_path`` go: ``backups/`` beside it."""
    return Path(db_path).parent / BACKUP_DIR


def quick_check(db_path: Path) -> list[str]:
    """SQLite's ``PRAGMA quick_check`` on ``db_path``: [] when the database is sound, else its findings (a file
    that is not a database at all is one finding too). Read-only; never creates the file. Raises
    ``StoreUnavailable`` when the file cannot be opened at all (its folder read-only, gone, ...)."""
    path = Path(db_path)
    if not path.exists():
        return []
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check")]
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:  # cannot open or read it: not a finding about its contents
        if "not a database" in str(exc) or "malformed" in str(exc):
            return [str(exc)]
        raise StoreUnavailable(f"cannot open the database {path} ({exc}): is its folder read-only, full or "
                               "on a disk that went away?") from None
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    return [] if rows == ["ok"] else rows


def _stamp(now_s: float) -> str:
    return datetime.fromtimestamp(now_s, tz=timezone.utc).strftime("%Y%m%d-%H%M%S")


def backup_time(path: Path) -> str:
    """The UTC time written in a backup's name, as ``2026-12-04 20:31:05 UTC``."""
    parts = Path(path).stem.split("-")
    try:
        dt = datetime.strptime(f"{parts[1]}-{parts[2]}", "%Y%m%d-%H%M%S")
    except (IndexError, ValueError):
        return "time unknown"
    return dt.strftime("%Y-%m-%d %H:%M:%S UTC")


def list_backups(db_path: Path, kind: str | None = None) -> list[Path]:
    """Backups of ``db_path``, oldest first (optionally of one ``kind``)."""
    folder = backups_dir(db_path)
    if not folder.is_dir():
        return []
    suffix = f"-{kind}.db" if kind else ".db"
    return sorted(p for p in folder.glob("trader-*.db") if p.name.endswith(suffix))


def newest_backup(db_path: Path) -> Path | None:
    """The most recent backup of any kind, or None."""
    found = list_backups(db_path)
    return max(found, key=lambda p: p.name.split("-")[1:3]) if found else None


def make_backup(db_path: Path, kind: str = "manual", dest: Path | None = None, now_s: float | None = None) -> Path:
    """Copy the database ``db_path`` with the online backup API to ``dest`` (default: a new file in
    ``backups/``), check the copy, and drop the oldest backups of ``kind`` beyond :data:`KEEP`.

    Returns the backup's path. Raises ``ConfigError`` for an unknown kind or a missing database,
    ``StoreUnavailable`` when the copy cannot be written or fails its check (then it is deleted)."""
    if kind not in KEEP:
        raise ConfigError(f"unknown backup kind {kind!r}: one of {', '.join(KEEP)}")
    src_path = Path(db_path)
    if not src_path.is_file():
        raise ConfigError(f"no database to back up at {src_path}")
    target = Path(dest) if dest is not None else backups_dir(src_path) / f"trader-{_stamp(now_s or time.time())}-{kind}.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        src = sqlite3.connect(f"file:{src_path}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst, pages=1024)  # in steps, so the app's writer is never held up for long
            finally:
                dst.close()
        finally:
            src.close()
        problems = quick_check(partial)
        if problems:
            raise StoreUnavailable(f"the backup copy failed its check: {'; '.join(problems[:3])}")
        os.replace(partial, target)
    except (sqlite3.Error, OSError) as exc:
        raise StoreUnavailable(f"cannot write the backup {target}: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    if dest is None:
        for old in list_backups(src_path, kind)[: -KEEP[kind]]:
            old.unlink(missing_ok=True)
    return target


def backup_due(db_path: Path, now_s: float | None = None) -> bool:
    """True when no daily backup is younger than 24 h."""
    daily = list_backups(db_path, "daily")
    if not daily:
        return True
    newest = daily[-1]
    try:
        taken = datetime.strptime("-".join(newest.stem.split("-")[1:3]), "%Y%m%d-%H%M%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return True
    return (now_s or time.time()) - taken.timestamp() >= DAILY_S


def restore(db_path: Path, backup: Path, now_s: float | None = None) -> Path:
    """Replace the database ``db_path`` with a copy of ``backup`` (checked first). The current database and
    its WAL files are kept beside it as ``<name>.replaced-<time>``. Returns where they went (or the backup's
    path when there was no database). Raises ``ConfigError`` for a missing or unsound backup."""
    source = Path(backup)
    if not source.is_file():
        raise ConfigError(f"no such backup: {source}")
    problems = quick_check(source)
    if problems:
        raise ConfigError(f"{source} is not a sound database ({'; '.join(problems[:3])}); not restored")
    target = Path(db_path)
    moved = source
    if target.exists():
        moved = target.with_name(f"{target.name}.replaced-{_stamp(now_s or time.time())}")
        os.replace(target, moved)
        for suffix in ("-wal", "-shm"):
            side = target.with_name(target.name + suffix)
            if side.exists():
                os.replace(side, moved.with_name(moved.name + suffix))
    shutil.copyfile(source, target)
    return moved
