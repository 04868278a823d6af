"""The fake venue's WebSocket order entry: requests matched to answers by id with many in flight, bad frames
answered with 400, and a lost, silent or absent venue raising VenueUnavailable (never a hang)."""

import asyncio
import json
from decimal import Decimal as D

import pytest
import websockets

from trader_app.core.enums import MarketType, OrderStatus, OrderType, Side
from trader_app.core.errors import VenueUnavailable
from trader_app.core.instrument import Instrument
from trader_app.core.orders import OrderRequest
from trader_app.devtools.fakevenue import FakeVenue, FakeVenueBroker, FakeVenueServer, WsApiSession

INST = Instrument("BTC/USDT", "fakevenue", MarketType.FUTURES, "BTC", "USDT", D("0.1"), D("0.001"))


@pytest.fixture
async def venue_server():
    venue = FakeVenue([INST], {"BTC/USDT": D("100")}, latency_s=0.05, cash=D("100000"))
    server = FakeVenueServer(venue)
    await server.start()
    yield venue, server
    await server.stop()


async def test_many_orders_in_flight_on_one_connection_each_get_their_own_answer(venue_server):
    venue, server = venue_server
    broker = FakeVenueBroker(server.url, "a1", ws_url=server.ws_url, order_entry="ws")
    await broker.connect()
    try:
        reqs = [OrderRequest("a1", "BTC/USDT", Side.BUY, OrderType.MARKET if i % 2 else OrderType.LIMIT,
                             D(i + 1), f"c{i}", price=None if i % 2 else D("90")) for i in range(20)]
        orders = await asyncio.gather(*(broker.place_order(r) for r in reqs))
        assert [o.client_order_id for o in orders] == [f"c{i}" for i in range(20)]
        assert [o.quantity for o in orders] == [D(i + 1) for i in range(20)]
        assert [o.status for o in orders] == [OrderStatus.FILLED if i % 2 else OrderStatus.NEW for i in range(20)]
        assert venue.ws_connections == 1 and venue.orders_received == 20
        assert venue.books["a1"].positions["BTC/USDT"] == sum(D(i + 1) for i in range(20) if i % 2)
        cancelled = await broker.cancel_all("BTC/USDT", Side.BUY)
        assert sorted(o.client_order_id for o in cancelled) == sorted(f"c{i}" for i in range(0, 20, 2))
        assert await broker.open_orders() == []
    finally:
        await broker.close()


async def test_bad_frames_get_a_400_and_change_nothing(venue_server):
    venue, server = venue_server
    url = server.ws_url + "/accounts/a1/ws-api"
    async with websockets.connect(url, compression=None) as ws:
        for frame in ("not json", "[1, 2]", json.dumps({"id": 7, "method": "order.place"}),
                      json.dumps({"id": "x", "method": "order.place", "params": "qty=1"})):
            await ws.send(frame)
            answer = json.loads(await ws.recv())
            assert answer["id"] is None and answer["status"] == 400 and answer["error"]["code"] == "invalid"
        await ws.send(json.dumps({"id": "u", "method": "order.amend", "params": {}}))
        assert json.loads(await ws.recv()) == {"id": "u", "status": 400, "error": {
            "code": "unknown_method", "msg": "unknown method order.amend"}}
        await ws.send(json.dumps({"id": "q", "method": "order.place", "params": {
            "client_order_id": "c1", "symbol": "BTC/USDT", "side": "BUY", "type": "MARKET", "quantity": "-1"}}))
        assert json.loads(await ws.recv())["error"] == {"code": "invalid", "msg": "quantity must be > 0"}
    assert venue.books["a1"].positions == {} and venue.books["a1"].cash == D("100000")


async def _serve(handler):
    server = await websockets.serve(handler, "127.0.0.1", 0, compression=None)
    port = server.sockets[0].getsockname()[1]
    return server, f"ws://127.0.0.1:{port}/"


async def test_a_connection_lost_before_the_answer_raises_and_the_next_request_reconnects():
    connections = []

    async def handler(ws):
        connections.append(ws)
        async for frame in ws:
            request = json.loads(frame)
            if len(connections) == 1:
                await ws.close()  # the first connection dies with the request unanswered
                return
            await ws.send(json.dumps({"id": request["id"], "status": 200, "result": {"n": len(connections)}}))

    server, url = await _serve(handler)
    session = WsApiSession(url, timeout_s=5, name="venue X")
    try:
        with pytest.raises(VenueUnavailable, match="venue X WebSocket .*the answer was lost"):
            await session.request("order.place", {"client_order_id": "c1"})
        assert await session.request("ping", {}) == (200, {"n": 2})
    finally:
        await session.close()
        server.close()
        await server.wait_closed()


async def test_a_venue_that_never_answers_times_out():
    async def handler(ws):
        async for _ in ws:
            pass

    server, url = await _serve(handler)
    session = WsApiSession(url, timeout_s=0.2, name="venue X")
    try:
        with pytest.raises(VenueUnavailable, match="did not answer order.cancel within 0.2 s"):
            await session.request("order.cancel", {"client_order_id": "c1"})
        assert session._pending == {}
    finally:
        await session.close()
        server.close()
        await server.wait_closed()


async def test_an_absent_venue_is_unavailable_not_a_hang():
    server, url = await _serve(lambda ws: ws.close())
    server.close()
    await server.wait_closed()
    session = WsApiSession(url, timeout_s=2)
    with pytest.raises(VenueUnavailable, match="unreachable"):
        await session.request("ping", {})
    assert not session.connected


async def test_a_fragmented_request_is_assembled_and_an_unknown_path_is_refused_at_the_handshake(venue_server):
    venue, server = venue_server
    async with websockets.connect(server.ws_url + "/accounts/a1/ws-api", compression=None) as ws:
        text = json.dumps({"id": "f1", "method": "order.place", "params": {
            "client_order_id": "c1", "symbol": "BTC/USDT", "side": "BUY", "type": "MARKET", "quantity": "2"}})
        await ws.send(iter([text[:10], text[10:40], text[40:]]))  # one message in three frames
        answer = json.loads(await ws.recv())
        assert answer["id"] == "f1" and answer["status"] == 200 and answer["result"]["order"]["status"] == "FILLED"
    assert venue.books["a1"].positions["BTC/USDT"] == D("2")
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        await websockets.connect(server.ws_url + "/accounts/a1/rest-api", compression=None)
    assert refused.value.response.status_code == 404


async def test_a_fragmented_answer_is_assembled_by_the_session():
    async def handler(ws):
        async for frame in ws:
            reply = json.dumps({"id": json.loads(frame)["id"], "status": 200, "result": {"pad": "x" * 300}})
            await ws.send(iter([reply[:100], reply[100:200], reply[200:]]))

    server, url = await _serve(handler)
    session = WsApiSession(url, timeout_s=5)
    try:
        assert await session.request("ping", {}) == (200, {"pad": "x" * 300})
    finally:
        await session.close()
        server.close()
        await server.wait_closed()


async def test_stopping_the_venue_fails_the_requests_in_flight_and_later_ones_find_it_gone():
    venue = FakeVenue([INST], {"BTC/USDT": D("100")}, latency_s=5, cash=D("100000"))
    server = FakeVenueServer(venue)
    await server.start()
    session = WsApiSession(server.ws_url + "/accounts/a1/ws-api", timeout_s=10, name="venue Y")
    try:
        waiting = asyncio.ensure_future(session.request("ping", {}))
        await asyncio.sleep(0.2)
        await server.stop()
        with pytest.raises(VenueUnavailable, match="venue Y WebSocket connection lost .*the answer was lost"):
            await waiting
        with pytest.raises(VenueUnavailable, match="unreachable"):
            await session.request("ping", {})
    finally:
        await session.close()
        await server.stop()


async def test_a_message_past_the_size_limit_closes_the_connection_with_1009(venue_server):
    venue, server = venue_server
    async with websockets.connect(server.ws_url + "/accounts/a1/ws-api", compression=None, max_size=None) as ws:
        chunk = "x" * (512 * 1024)
        await ws.send(iter([chunk, chunk, chunk]))  # 1.5 MiB in three frames: over the venue's 1 MiB
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
    assert venue.orders_received == 0
