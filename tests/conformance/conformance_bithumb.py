"""The conformance harness of Bithumb (KRW market, the JWT API): the fake Bithumb (``tests/fakes/bithumb``) and
``BithumbAccount``. Bithumb buys at market by the KRW amount only: the scenarios' market buys carry
``market_buy_amount``."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from conformance_harness import FakeHarness
from fakes.bithumb import FakeBithumb, FakeBithumbServer
from trader_app.brokers.bithumb.account import BithumbAccount
from trader_app.brokers.bithumb.profile import PROFILE as BITHUMB
from trader_app.brokers.bithumb.urls import endpoints

KEY, SECRET = "bithumb-conformance-access-key", "bithumb-conformance-secret-key-0123456789"


class BithumbHarness(FakeHarness):
    name = "bithumb"
    symbol = "BTC/KRW"
    qty = Decimal("0.00242")
    rest_price = Decimal("90000000")
    market_buy_amount = Decimal("230000")
    quote_amount = Decimal("150000")
    no_sessions_reason = "Bithumb signs every request with a fresh JWT: no session or token expires"
    wire_symbol = "KRW-BTC"

    @contextlib.asynccontextmanager
    async def running(self):
        async with FakeBithumbServer(FakeBithumb()) as fake:
            fake.venue.open(KEY, SECRET, {"KRW": "10000000"})
            self.fake = fake
            yield fake

    def adapter(self, account_id: str = "acc1") -> Any:
        ep = endpoints().with_overrides(rest=self.fake.rest_url, stream=self.fake.stream_url)
        return BithumbAccount(account_id, ep, BITHUMB.network(timeout_s=2.0), KEY, SECRET)
