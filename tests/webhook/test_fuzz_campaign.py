"""The fuzz campaign (issue 12): the bench's generator in the suite, bounded, plus hypothesis over the REST
API and the CSV importer. 5xx = 0, nothing raises, no hostile case changes state."""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trader_app.core.errors import DataImportError
from trader_app.devtools.bench_fuzz import lines, run_campaign
from trader_app.market.csv_import import read_ohlcv_csv

from test_webhook_rest import H, api  # noqa: F401 - the REST fixture

SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                        max_size=4), max_leaves=10)


async def test_the_campaign_finds_no_5xx_no_crash_and_no_state_change(tmp_path, monkeypatch):
    monkeypatch.setenv("TRADER_APP_API_TOKEN", "fuzz-admin-token-of-enough-length")
    figures = await run_campaign(1500, seed=7, data_dir=tmp_path)
    text = "\n".join(lines(figures))
    assert figures["server_errors"] == 0 and figures["crashes"] == 0, text
    assert figures["state_changes"] == 0, text
    assert sum(figures["http_statuses"].values()) + sum(figures["csv"].values()) == 1500
    assert {"401", "404", "413", "422"} <= set(figures["http_statuses"])  # every refusal path was reached


@SETTINGS
@given(data=st.data())
async def test_rest_api_never_5xx(api, data):  # noqa: F811
    c = api.c
    method, path = data.draw(st.sampled_from([
        ("POST", "/strategies"), ("PUT", "/strategies/trend"), ("POST", "/accounts"), ("POST", "/orders"),
        ("POST", "/trading/close-all"), ("PUT", "/accounts/x/risk"), ("DELETE", "/orders/x")]))
    body = data.draw(json_values)
    headers = {**H, "content-type": "application/json"} if data.draw(st.booleans()) else {}
    r = await c.request(method, path, content=json.dumps(body).encode(), headers=headers)
    assert r.status_code < 500, (method, path, body, r.text[:300])
    r.json()


csv_cell = st.text(alphabet=string.digits + ".-:/ eE+xT", max_size=12) | st.sampled_from(["", "NaN", "1e400"])
csv_rows = st.lists(st.lists(csv_cell, min_size=1, max_size=8), max_size=12)


@SETTINGS
@given(header=st.sampled_from(["Date,Open,High,Low,Close,Volume", ",Open,High,Low,Close,Volume",
                               "time,open,high,low,close", "Date,Open,High,Low,Close,Adj Close,Volume", "x"]),
       rows=csv_rows)
def test_csv_importer_imports_or_refuses_cleanly(tmp_path_factory, header, rows):
    path = tmp_path_factory.mktemp("csv") / "FUZZ.csv"
    path.write_text("\n".join([header] + [",".join(r) for r in rows]) + "\n", encoding="utf-8")
    try:
        result = read_ohlcv_csv(path)
    except DataImportError as exc:
        assert str(exc).startswith(str(path))  # names the file (and the line when it is one line's fault)
        return
    assert result.bars and all(b.low <= min(b.open, b.close) and b.high >= max(b.open, b.close)
                               for b in result.bars)
