"""``settle_heap``: what every long-running entry point (the window, ``serve``, the benches that stand in for
them) does once start-up is over."""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Collect once and freeze what survives start-up (``gc.freeze``,
    https://docs.python.org/3/library/gc.html#gc.freeze): the ~200k objects of the libraries, the window and
    the services are then skipped by every later full collection.

    Measured here: a full collection of the started app's heap took ~190 ms (a UI freeze, and a signal
    stalled, each time Python's generation-2 GC runs); after the freeze it takes well under 1 ms. In
    ``trader-app bench fanout --accounts 100`` it takes the signal-to-last-ack p99 from 139 to 67 ms."""
    gc.collect()
    gc.freeze()
