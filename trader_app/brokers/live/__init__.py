"""The live-venue layer: what every exchange or broker adapter shares, written once (DESIGN.md "A live venue =
profile + auth + thin adapter").

- ``account.py``: the live account base (update queue, connection state, bans and their lift, id maps,
  cancel-each, market data through the venue's shared public feed);
- ``network.py``: the per-venue network (one rate budget per IP and base URL, shared by the public feed and
  every account; HTTP clients; connection gates) and ``send``, one request with the budget's rules;
- ``ratelimit.py``: the budgets (windows as the venue counts them, usage headers, 429 pause, 418 ban, orders
  before reads);
- ``stream.py``: ``ManagedStream``, one WebSocket kept alive (reconnect with backoff, resubscribe, ping, stale
  detection, lifetime);
- ``signing.py``: request signing (HMAC-SHA256, Ed25519 keys);
- ``public.py``: the public feed base (instruments once, candle paging, the subscription set, quote assembly);
- ``requests.py``: requests on a WebSocket matched to their answers by id (``NotSent`` vs an unknown outcome);
- ``symbols.py``: our symbols and the venue's wire names both ways.
"""

from .account import LiveAccount

__all__ = ["LiveAccount"]
