"""Run a blocking call (keyring I/O) off the event loop on a small pool of plain Python threads.

Not ``asyncio.to_thread``: under qasync the loop's default executor is qasync's ``QThreadExecutor`` (ten
``QThread`` workers per loop), and test runs that create a loop per test crashed in Qt's event loop with it
(segmentation fault after about ten tests); a module-level ``ThreadPoolExecutor`` behaves the same on every
loop and is shared by all of them.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="trader-blocking")


async def run_blocking(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Await ``fn(*args, **kwargs)`` run on the blocking-call pool (exceptions propagate)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_POOL, functools.partial(fn, *args, **kwargs))
