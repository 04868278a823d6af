"""Hostile and wrong input (issue 12): look-alike symbols refused, any JSON within the size limit answered
4xx by the REST API too (never a 5xx or a dropped connection), one log line per refused request."""

from __future__ import annotations

import json
import logging

import pytest

from trader_app.core.instrument import symbol_text

from test_webhook_rest import H, api  # noqa: F401 - the REST fixture

LOOK_ALIKES = ["ſol/uſdt", "ＢＴＣ/USDT", "ВТС/USDT", "BTC／USDT", "btc/usdt\u200b", "AAPL\u0301", "ﬁl/usdt"]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_a_look_alike_symbol_is_refused_naming_the_character(text):
    with pytest.raises(ValueError, match=r"contains .* \(U\+[0-9A-F]{4} "):
        symbol_text(text)


def test_plain_symbols_pass_as_before():
    assert symbol_text(" btc/usdt ") == "BTC/USDT"
    assert symbol_text("005930") == "005930" and symbol_text("brk.b") == "BRK.B"


async def test_the_webhook_answers_422_for_a_look_alike_and_nothing_trades(api):  # noqa: F811
    c, rig = api.c, api.rig
    before = len(rig.store.orders.list())
    for text in ("ſol/uſdt", "ＢＴＣ/USDT"):
        body = {"group_name": "trend", "token": rig.token, "symbol": text, "order_type": "MARKET", "side": "buy",
                "qty_per": 10}
        r = await c.post("http://api/api/webhook", content=json.dumps(body).encode(),
                         headers={"content-type": "application/json"})
        assert r.status_code == 422, r.text
        assert "U+" in r.text
    assert len(rig.store.orders.list()) == before


async def test_deep_json_is_a_4xx_everywhere_and_logged_in_one_line(api, caplog):  # noqa: F811
    c = api.c
    deep = "[" * 900 + "]" * 900
    caplog.set_level(logging.INFO)
    bodies = {
        "/strategies": '{"group_name": "x", "market_type": "SPOT", "accounts": [], "extra": %s}' % deep,
        "/orders": '{"group_name": "trend", "symbol": "BTC/USDT", "order_type": "MARKET", "extra": %s}' % deep,
        "/accounts": '{"name": "x", "broker": "paper", "settings": %s}' % deep,
        "/trading/close-all": '{"symbol": %s}' % deep,
    }
    for path, body in bodies.items():
        r = await c.post(path, headers={**H, "content-type": "application/json"}, content=body.encode())
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:200])
        r.json()
    r = await c.post("http://api/api/webhook", content=("{\"a\": %s}" % deep).encode())
    assert r.status_code == 422
    for record in caplog.records:  # refused requests never leave a traceback in the log
        assert record.exc_info is None and "Traceback" not in record.getMessage(), record.getMessage()[:200]
