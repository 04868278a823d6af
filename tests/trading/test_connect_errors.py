"""A connect that fails without a reason (issue 21, defect 10): an account whose WebSocket API is unreachable
raised a bare ``TimeoutError``; it showed "failed to connect: " with nothing after it, stayed in ERROR forever and
was never tried again. Every connect failure names its cause and is retried with backoff."""

from __future__ import annotations

import asyncio

from trader_app.brokers.base import VenueSpec
from trader_app.brokers.paper import PaperBroker
from trader_app.core.enums import AccountMode, SessionState
from trader_app.core.errors import AuthError, VenueUnavailable
from trader_app.trading.accounts import connect_error


class FlakyBroker(PaperBroker):
    """A paper broker whose ``connect`` raises ``failures`` bare ``TimeoutError`` first (a dead WebSocket API)."""

    failures = 2
    attempts = 0

    async def connect(self) -> None:
        FlakyBroker.attempts += 1
        if FlakyBroker.attempts <= FlakyBroker.failures:
            raise TimeoutError()
        await super().connect()


def test_every_connect_error_names_its_cause():
    assert str(connect_error(TimeoutError())) == "cannot reach the venue: TimeoutError"
    assert str(connect_error(ConnectionRefusedError(111, "Connection refused"))) == (
        "cannot reach the venue: ConnectionRefusedError: [Errno 111] Connection refused")
    assert isinstance(connect_error(TimeoutError()), VenueUnavailable)  # retried
    auth = AuthError("invalid API key")
    assert connect_error(auth) is auth  # wrong keys are not retried


async def test_an_unreachable_venue_at_connect_is_retried_until_it_connects(env):
    FlakyBroker.attempts = 0
    env.accounts.registry.register(VenueSpec("flaky", "Flaky venue", (AccountMode.TESTNET,), (),
                                             lambda account, credentials: FlakyBroker(env.exchange, account.account_id)))
    env.accounts.reconnect_base_s = 0.01
    states = []
    from trader_app.core.events import AccountEvent

    env.bus.subscribe(AccountEvent, lambda e: states.append((e.session, e.error)))
    account = await env.accounts.create_account("flaky", AccountMode.TESTNET, "Flaky", {}, {})
    assert (SessionState.ERROR, "cannot reach the venue: TimeoutError") in states
    for _ in range(300):
        if env.accounts.session_state(account.account_id) is SessionState.CONNECTED:
            break
        await asyncio.sleep(0.01)
    assert env.accounts.session_state(account.account_id) is SessionState.CONNECTED
    assert FlakyBroker.attempts == 3 and env.accounts.session_error(account.account_id) == ""
