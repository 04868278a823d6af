"""The real listener: uvicorn in-process on 127.0.0.1 (port 0), and ``trader-app serve`` in a subprocess."""

import json
import os
import signal
import subprocess
import sys
from types import SimpleNamespace

import httpx
import pytest

from trader_app.config import Settings
from trader_app.core.errors import ConfigError
from trader_app.webhook.server import WebhookServer


def services_of(rig):
    return SimpleNamespace(settings=Settings(), store=rig.store, bus=rig.bus, executor=rig.executor, groups=rig.groups,
                           accounts=rig.accounts, order_manager=rig.om, portfolio=rig.portfolio, market=None,
                           risk_book=rig.risk_book)


async def test_real_server_takes_a_text_plain_alert_and_keeps_signal_handlers(rig):
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    server = WebhookServer(services_of(rig), "127.0.0.1", 0)
    await server.start()
    try:
        assert server.port > 0 and server.url == f"http://127.0.0.1:{server.port}"
        assert {s: signal.getsignal(s) for s in before} == before  # uvicorn did not take SIGINT/SIGTERM
        rig.quote("BTC/USDT", "29990", "30000")
        body = json.dumps({"group_name": "trend", "token": rig.token, "symbol": "BTC/USDT",
                           "order_type": "MARKET", "side": "buy", "qty_per": 10})
        async with httpx.AsyncClient(base_url=server.url) as client:
            r = await client.post("/api/webhook", content=body, headers={"content-type": "text/plain; charset=utf-8"})
            assert r.status_code == 200
            assert sorted(x["quantity"] for x in r.json()["results"]) == ["0.0666", "0.1666", "0.3333"]
            r = await client.post("/api/webhook", content=b"x" * (70 * 1024))
            assert r.status_code == 413
            assert (await client.get("/api/v1/health")).json()["status"] == "ok"
            docs = await client.get("/docs")
            assert docs.status_code == 200
            # offline: the page loads Swagger UI from this server, never from a CDN
            assert "cdn" not in docs.text.lower() and "/docs/assets/swagger-ui-bundle.js" in docs.text
            for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
                r = await client.get(f"/docs/assets/{asset}")
                assert r.status_code == 200 and len(r.content) > 10_000
            assert (await client.get("/openapi.json")).json()["info"]["title"] == "Trader App local API"
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{server.port}"):
            await WebhookServer(services_of(rig), "127.0.0.1", server.port).start()
    finally:
        await server.stop()
    assert not server.running
    await server.stop()  # idempotent
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient(base_url=server.url) as client:
            await client.get("/api/v1/health")


def test_serve_prints_the_url_answers_and_stops_on_sigterm(tmp_path):
    env = dict(os.environ, TRADER_APP_API_TOKEN="test-admin-token", QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen([sys.executable, "-m", "trader_app", "serve", "--data-dir", str(tmp_path / "d"),
                             "--webhook-port", "0", "--no-demo"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), (line, proc.stderr.read() if proc.poll() else "")
        url = line.split()[-1]
        with httpx.Client(base_url=url, timeout=10) as client:
            health = client.get("/api/v1/health")  # no market data (--no-demo): nothing can be priced yet
            assert health.status_code == 503 and "a price for BTC/USDT" in health.json()["waiting_for"]
            assert client.get("/api/v1/accounts").status_code == 401
            accounts = client.get("/api/v1/accounts", headers={"Authorization": "Bearer test-admin-token"}).json()
            assert [a["name"] for a in accounts] == ["Paper 1"]
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert out.strip().endswith("stopped")
        # issue 13: the documented settings file and a log file are created; stderr stays quiet (no -v)
        data = tmp_path / "d"
        settings = json.loads((data / "settings.json").read_text())
        assert settings["webhook"]["port"] == 8780 and settings["market"]["source"] == "demo"
        log_text = (data / "logs" / "trader-app.log").read_text()
        assert " INFO " in log_text
        assert " INFO " not in err
        port = url.rsplit(":", 1)[1]
        assert f"exposure: http://127.0.0.1:{port} open to this machine only" in err  # the port listened on
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_port_in_use_is_refused_with_the_way_out(tmp_path):
    import socket

    from trader_app.core.errors import ConfigError
    from trader_app.webhook.server import bind_socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError) as info:
            bind_socket("127.0.0.1", port)
    assert str(info.value).startswith(f"cannot listen on 127.0.0.1:{port}: Address already in use")
    assert "--webhook-port N" in str(info.value)
