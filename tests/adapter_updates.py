"""Helpers of the adapter tests: ``Updates`` collects what an adapter's update stream delivers; ``close_adapter``
closes an adapter with what it shares (its network's public feeds and clients)."""

from __future__ import annotations

import asyncio
from typing import Any

from trader_app.brokers.base import ConnectionUpdate
from trader_app.core.enums import SessionState


class Updates:
    """What ``broker.updates()`` delivered so far (``items``), read in a background task."""

    def __init__(self, broker: Any) -> None:
        self.items: list[Any] = []
        self.task = asyncio.ensure_future(self._run(broker))

    async def _run(self, broker: Any) -> None:
        async for u in broker.updates():
            self.items.append(u)

    def of(self, kind: type) -> list[Any]:
        return [u for u in self.items if isinstance(u, kind)]

    def states(self) -> list[SessionState]:
        return [u.state for u in self.items if isinstance(u, ConnectionUpdate)]


async def close_adapter(broker: Any) -> None:
    """Close ``broker``, the public feeds its network shares and the network's clients."""
    await broker.close()
    for shared in broker.network.shared.values():
        await shared.close()
    await broker.network.close()
