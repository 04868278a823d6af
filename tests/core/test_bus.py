import asyncio

from trader_app.core import EventBus, LogEvent, QuoteEvent


def _log(msg: str) -> LogEvent:
    return LogEvent(ts_ms=1, level="INFO", source="t", message=msg)


async def test_a_raising_handler_is_isolated_and_the_rest_still_run():
    bus = EventBus()
    seen: list[str] = []

    def bad(event):
        raise RuntimeError("boom")

    async def good_async(event):
        await asyncio.sleep(0)
        seen.append("async:" + event.message)

    bus.subscribe(LogEvent, bad)
    bus.subscribe(LogEvent, lambda e: seen.append("sync:" + e.message))
    bus.subscribe(LogEvent, good_async)
    bus.publish(_log("x"))
    await bus.drain()
    assert seen == ["sync:x", "async:x"]
    assert bus.errors == 1


async def test_async_handler_error_is_counted_and_does_not_stop_the_bus():
    bus = EventBus()
    seen = []

    async def bad(event):
        raise ValueError("nope")

    bus.subscribe(LogEvent, bad)
    bus.subscribe(LogEvent, seen.append)
    bus.publish(_log("a"))
    bus.publish(_log("b"))
    await bus.drain()
    assert [e.message for e in seen] == ["a", "b"]
    assert bus.errors == 2


def test_unsubscribe_and_type_routing():
    bus = EventBus()
    seen = []
    unsubscribe = bus.subscribe(LogEvent, seen.append)
    bus.publish(QuoteEvent(quote=None))  # other type: not delivered
    bus.publish(_log("1"))
    unsubscribe()
    bus.publish(_log("2"))
    assert [e.message for e in seen] == ["1"]
