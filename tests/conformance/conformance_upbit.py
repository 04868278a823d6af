"""The conformance harness of Upbit (KRW market): the fake Upbit (``tests/fakes/upbit``) and ``UpbitAccount``.
Upbit buys at market by the KRW amount only: the scenarios' market buys carry ``market_buy_amount``."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from conformance_harness import FakeHarness
from fakes.upbit import FakeUpbit, FakeUpbitServer
from trader_app.brokers.upbit.account import UpbitAccount
from trader_app.brokers.upbit.profile import PROFILE as UPBIT
from trader_app.brokers.upbit.urls import endpoints

KEY, SECRET = "upbit-conformance-access-key", "upbit-conformance-secret-key-0123456789"


class UpbitHarness(FakeHarness):
    name = "upbit"
    symbol = "BTC/KRW"
    qty = Decimal("0.00242")
    rest_price = Decimal("90000000")
    market_buy_amount = Decimal("230000")  # about qty at the fake's 95,000,000 KRW
    quote_amount = Decimal("150000")
    no_sessions_reason = "Upbit signs every request with a fresh JWT: no session or token expires"
    wire_symbol = "KRW-BTC"

    @contextlib.asynccontextmanager
    async def running(self):
        async with FakeUpbitServer(FakeUpbit()) as fake:
            fake.venue.open(KEY, SECRET, {"KRW": "10000000"})
            self.fake = fake
            yield fake

    def adapter(self, account_id: str = "acc1") -> Any:
        ep = endpoints().with_overrides(rest=self.fake.rest_url, stream=self.fake.stream_url)
        return UpbitAccount(account_id, ep, UPBIT.network(timeout_s=2.0), KEY, SECRET)
