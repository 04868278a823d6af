"""Dev tooling, shipped so the frozen app can check itself: the fake venue (``fakevenue/``: a venue's REST and
WebSocket order entry on 127.0.0.1, run in its own process), the benches (``bench_ui``, ``bench_fanout``,
``bench_backtest``: ``trader-app bench ...``) and the smoke harness (``smoke``: ``trader-app --smoke-test``).
Nothing in the trading packages imports it; it imports them."""
