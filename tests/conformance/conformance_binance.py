"""The conformance harness of Binance spot: the fake Binance (``tests/fakes/binance``) and ``BinanceSpot``."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from conformance_harness import FakeHarness
from fakes.binance import FakeBinance, FakeBinanceServer
from trader_app.brokers.binance.profile import PROFILE as BINANCE
from trader_app.brokers.binance.spot import BinanceSpot
from trader_app.brokers.binance.urls import SPOT, endpoints

KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"


class BinanceSpotHarness(FakeHarness):
    name = "binance"
    symbol = "BTC/USDT"
    qty = Decimal("0.00242")
    rest_price = Decimal("60000")
    no_sessions_reason = "Binance signs every request (HMAC/Ed25519): no session or token expires"
    wire_symbol = "BTCUSDT"

    @contextlib.asynccontextmanager
    async def running(self):
        async with FakeBinanceServer(FakeBinance()) as fake:
            fake.venue.accounts.open(KEY, SECRET, {"USDT": "10000"})
            self.fake = fake
            yield fake

    def adapter(self, account_id: str = "acc1") -> Any:
        f = self.fake
        ep = endpoints(SPOT).with_overrides(rest=f.rest_url, stream=f.stream_url, ws_api=f"{f.stream_url}/ws-api/v3")
        net = BINANCE.network(ep.venue, timeout_s=2.0)
        return BinanceSpot(account_id, ep, net, KEY, SECRET, live=True)

    def book(self) -> Any:
        return self.fake.venue.accounts  # the fake Binance keeps its orders and order faults there
