"""``trader-app backup [--to FILE]`` and ``trader-app restore FILE``: the store's backups by hand.

``backup`` copies the live database with SQLite's online backup API (safe while the app runs) into
``<data dir>/backups`` or ``--to FILE``. ``restore`` puts a backup in place of the database; the app must be
stopped (it holds the data directory's lock), and the replaced database is kept beside it. Exit 0 when done,
2 with the reason on stderr otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    """Add ``backup`` and ``restore``."""
    b = subparsers.add_parser("backup", help="copy the database now (safe while the app runs)",
                              description="Copy the database with SQLite's online backup API into the data "
                                          "directory's backups/ folder (10 manual backups kept), or to --to FILE.")
    b.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS, help="data directory")
    b.add_argument("--to", metavar="FILE", default=None, help="write the backup here instead")
    b.add_argument("--list", action="store_true", help="list the backups instead, newest last")
    b.set_defaults(func=run_backup)
    r = subparsers.add_parser("restore", help="replace the database with a backup (the app must be stopped)",
                              description="Replace the database with a backup after checking it. The replaced "
                                          "database is kept beside it as trader.db.replaced-<time>.")
    r.add_argument("file", metavar="FILE", help="the backup (a file in backups/, or any copy)")
    r.add_argument("--data-dir", metavar="DIR", default=argparse.SUPPRESS, help="data directory")
    r.set_defaults(func=run_restore)


def _db(args: argparse.Namespace) -> Path:
    from ..config import resolve_data_dir
    from .store import DB_FILE

    return resolve_data_dir(getattr(args, "data_dir", None)) / DB_FILE


def run_backup(args: argparse.Namespace) -> int:
    """``trader-app backup``; returns the exit code."""
    from ..core.errors import TraderError
    from .backup import backup_time, list_backups, make_backup

    try:
        db = _db(args)
        if args.list:
            for path in list_backups(db):
                print(f"{path}  {backup_time(path)}  {path.stat().st_size:,} bytes")
            return 0
        target = make_backup(db, "manual", Path(args.to) if args.to else None)
    except TraderError as exc:
        print(f"trader-app backup: {exc}", file=sys.stderr)
        return 2
    print(f"backup written: {target} ({target.stat().st_size:,} bytes)")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    """``trader-app restore FILE``; returns the exit code."""
    from .instance import hold_data_dir
    from ..core.errors import TraderError
    from .backup import restore

    try:
        db = _db(args)
        lock = hold_data_dir(db.parent)
        try:
            moved = restore(db, Path(args.file))
        finally:
            lock.release()
    except (TraderError, OSError) as exc:
        print(f"trader-app restore: {exc}", file=sys.stderr)
        return 2
    print(f"restored {args.file} as {db}" + (f"; the replaced database is {moved}" if moved != Path(args.file) else ""))
    return 0
