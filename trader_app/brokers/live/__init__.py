"""The live-venue layer: what every exchange or broker adapter shares, written once (DESIGN.md "A live venue =
profile + auth + thin adapter"). ``account.py``: the live account base (update queue, connection state, bans
and their lift, id maps, cancel-each, market data through the venue's shared public feed)."""

from .account import LiveAccount

__all__ = ["LiveAccount"]
