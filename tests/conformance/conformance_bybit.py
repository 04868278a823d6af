"""The conformance harness of Bybit (unified account, spot side): the fake Bybit (``tests/fakes/bybit``) and
``BybitAccount``."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from fakes.bybit import FakeBybit, FakeBybitServer
from trader_app.brokers.bybit.profile import PROFILE as BYBIT
from trader_app.brokers.bybit.account import BybitAccount
from trader_app.brokers.bybit.urls import endpoints

KEY, SECRET = "bybit-conformance-key", "bybit-conformance-secret"


class BybitHarness:
    name = "bybit"
    symbol = "BTC/USDT"
    qty = Decimal("0.00242")
    rest_price = Decimal("60000")
    no_sessions_reason = "Bybit signs every request (HMAC headers): no session or token expires"

    def __init__(self) -> None:
        self.fake: Any = None

    @contextlib.asynccontextmanager
    async def running(self):
        async with FakeBybitServer(FakeBybit()) as fake:
            fake.venue.open(KEY, SECRET, {"USDT": "10000"})
            self.fake = fake
            yield fake

    def adapter(self, account_id: str = "acc1") -> Any:
        ep = endpoints().with_overrides(rest=self.fake.rest_url, stream=self.fake.stream_url)
        return BybitAccount(account_id, ep, BYBIT.network(timeout_s=2.0), KEY, SECRET)

    async def close_adapter(self, broker: Any) -> None:
        await broker.close()
        for shared in broker.network.shared.values():
            await shared.close()
        await broker.network.close()

    def lose_next_answer(self) -> None:
        self.fake.venue.lose_next_answers = 1

    def not_found_for(self, seconds: float) -> None:
        self.fake.venue.not_found_s = seconds

    def fail_next(self, status: int, retry_after_s: int) -> None:
        faults = self.fake.venue.faults
        # Bybit's IP limit answers 403 "access too frequent" (a 10-minute stop), not 418
        faults.status, faults.count, faults.retry_after_s = (403 if status == 418 else status), 1, retry_after_s

    def part_fill_next(self, fraction: Decimal) -> None:
        self.fake.venue.part_fill = fraction

    def move_price(self, price: Decimal) -> None:
        self.fake.venue.set_price("BTCUSDT", price)

    async def drop_streams(self) -> None:
        await self.fake.streams.drop_all()

    def requests_sent(self) -> int:
        return len(self.fake.venue.requests)

    def orders_placed(self) -> int:
        return self.fake.venue.placed
