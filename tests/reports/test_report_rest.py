"""The reports over the REST API (a headless ``serve`` has no panel): list, numbers, page, make; bad input is a
4xx that changes nothing; every route wants the admin token."""

from __future__ import annotations

import httpx
from report_week import build_week

from trader_app.app import build_services
from trader_app.webhook.app import create_app

ADMIN = "admin-test-token"
H = {"Authorization": f"Bearer {ADMIN}"}


async def test_reports_over_rest(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADER_APP_API_TOKEN", ADMIN)
    services = build_services(tmp_path / "data", demo=False, start_webhook=False)
    await services.start()
    try:
        await services.store.run(build_week, services.store)
        services.performance.load_saved(services.store.kv.get("performance.equity"))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services)),
                                     base_url="http://api/api/v1") as c:
            for method, path in (("GET", "/reports"), ("POST", "/reports"), ("GET", "/reports/1"),
                                 ("GET", "/reports/1/html")):
                assert (await c.request(method, path, json={})).status_code == 401
            r = await c.post("/reports", headers=H, json={"period": "weekly", "date": "2026-12-04", "scope": "account:acc-1"})
            assert r.status_code == 200, r.text
            made = r.json()
            assert (made["label"], made["scope"]) == ("weekly 2026-11-28 to 2026-12-04", "account:acc-1")
            assert made["summary"].startswith("Weekly 2026-11-28 to 2026-12-04, account Paper 1:")
            listed = (await c.get("/reports", headers=H)).json()
            assert [x["id"] for x in listed] == [made["id"]]
            numbers = (await c.get(f"/reports/{made['id']}", headers=H)).json()
            assert numbers["sections"][0]["metrics"]["pnl"] == "-100.0"
            page = await c.get(f"/reports/{made['id']}/html", headers=H)
            assert page.headers["content-type"].startswith("text/html") and "<h1>Trader App report" in page.text
            for body, status in (({"period": "monthly"}, 422), ({"period": "daily", "date": "yesterday"}, 422),
                                 ({"period": "daily", "scope": "account:ghost"}, 400), ({"period": "daily", "x": 1}, 422)):
                r = await c.post("/reports", headers=H, json=body)
                assert r.status_code == status, (body, r.text)
            assert (await c.post("/reports", headers=H, content=b"{not json")).status_code == 422
            assert (await c.get("/reports/999", headers=H)).status_code == 404
            assert len((await c.get("/reports", headers=H)).json()) == 1  # the refusals made nothing
    finally:
        await services.stop()
