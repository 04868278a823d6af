"""The conformance harness of Bybit (unified account, spot side): the fake Bybit (``tests/fakes/bybit``) and
``BybitAccount``."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from conformance_harness import FakeHarness
from fakes.bybit import FakeBybit, FakeBybitServer
from trader_app.brokers.bybit.profile import PROFILE as BYBIT
from trader_app.brokers.bybit.account import BybitAccount
from trader_app.brokers.bybit.urls import endpoints

KEY, SECRET = "bybit-conformance-key", "bybit-conformance-secret"


class BybitHarness(FakeHarness):
    name = "bybit"
    symbol = "BTC/USDT"
    qty = Decimal("0.00242")
    rest_price = Decimal("60000")
    no_sessions_reason = "Bybit signs every request (HMAC headers): no session or token expires"
    wire_symbol = "BTCUSDT"
    ban_status = 403  # Bybit's IP limit answers 403 "access too frequent" (a 10-minute stop), not 418

    @contextlib.asynccontextmanager
    async def running(self):
        async with FakeBybitServer(FakeBybit()) as fake:
            fake.venue.open(KEY, SECRET, {"USDT": "10000"})
            self.fake = fake
            yield fake

    def adapter(self, account_id: str = "acc1") -> Any:
        ep = endpoints().with_overrides(rest=self.fake.rest_url, stream=self.fake.stream_url)
        return BybitAccount(account_id, ep, BYBIT.network(timeout_s=2.0), KEY, SECRET)
