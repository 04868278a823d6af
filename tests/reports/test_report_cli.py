"""``trader-app report``: the page written, --json with the backtest's keys where they overlap, errors exit 2
and change nothing."""

from __future__ import annotations

import json

from report_week import build_week

from trader_app.__main__ import main
from trader_app.analytics import METRIC_KEYS
from trader_app.store import Store


def _data(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    store = Store.open(data / "trader.db")
    build_week(store)
    store.close()
    return data


def test_report_writes_the_page_stores_it_and_prints_json(tmp_path, capsys):
    data = _data(tmp_path)
    out = tmp_path / "week.html"
    assert main(["report", "--period", "weekly", "--date", "2026-12-02", "--data-dir", str(data),
                 "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["label"], report["scope"]) == ("weekly 2026-11-28 to 2026-12-04", "all")
    metrics = report["sections"][0]["metrics"]
    assert metrics["pnl"] == "-100.0" and metrics["trades"] == 3
    assert {"final_equity", "commissions", "sharpe", "sortino", "max_drawdown_pct", "total_return_pct"} <= (
        set(metrics) & set(METRIC_KEYS))
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with Store.open(data / "trader.db") as store:
        (stored,) = store.reports.list()
        assert (stored.period, stored.scope) == ("weekly", "all")

    assert main(["report", "--period", "daily", "--date", "2026-12-04", "--scope", "group:trend",
                 "--data-dir", str(data)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Daily 2026-12-04, group trend:")
    assert (data / "reports" / "daily-group_trend-2026-12-04.html").is_file()


def test_bad_scope_or_date_is_refused_and_stores_nothing(tmp_path, capsys):
    data = _data(tmp_path)
    assert main(["report", "--period", "daily", "--scope", "account:ghost", "--data-dir", str(data)]) == 2
    assert "no account 'ghost'" in capsys.readouterr().err
    try:
        main(["report", "--period", "daily", "--date", "04/12/2026", "--data-dir", str(data)])
    except SystemExit as exc:
        assert exc.code == 2
    assert "not a date (YYYY-MM-DD)" in capsys.readouterr().err
    with Store.open(data / "trader.db") as store:
        assert store.reports.list() == []
