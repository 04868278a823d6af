"""The Reports panel (issue 14): make a report of the hand-built week, see it listed and open, open it in the
browser, delete it; the settings keep the narrative's key in the keyring only and refuse a bad URL."""

from __future__ import annotations

import sys
from pathlib import Path

from ui_helpers import until

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reports"))
from report_week import build_week  # noqa: E402

from trader_app.analytics.tracker import KV_KEY  # noqa: E402
from trader_app.reports.narrative import KEY_SECRET  # noqa: E402
from trader_app.secrets import get_secret  # noqa: E402


async def test_reports_panel_makes_lists_opens_and_deletes(window, services, monkeypatch, qapp):
    await services.store.run(build_week, services.store)
    # the running tracker saves its series before a report: it learns the week as if it had recorded it
    services.performance.load_saved(services.store.kv.get(KV_KEY))
    panel = window.panels["reports"]
    window.docks["reports"].raise_()
    await panel.refresh()
    scopes = [panel.scope_box.itemData(i) for i in range(panel.scope_box.count())]
    assert scopes[0] == "all" and "account:acc-1" in scopes and "group:trend" in scopes
    from PySide6.QtCore import QDate
    panel.period_box.setCurrentText("weekly")
    panel.date_edit.setDate(QDate(2026, 12, 4))
    panel.scope_box.setCurrentIndex(scopes.index("account:acc-1"))
    await panel.make()
    assert panel.table.rowCount() == 1
    row = [panel.table.item(0, c).text() for c in range(panel.table.columnCount())]
    assert row[:5] == ["weekly", "account Paper 1", "2026-11-28 to 12-04", "-1.00", "-100.00 USDT"]
    assert "Trader App report: weekly 2026-11-28 to 2026-12-04, account Paper 1" in panel.page.toPlainText()
    assert "-167.85" in panel.page.toPlainText()

    opened = []
    monkeypatch.setattr("trader_app.ui.panels.reports.QDesktopServices.openUrl", lambda url: opened.append(url))
    await panel.open_in_browser()
    (url,) = opened
    assert Path(url.toLocalFile()).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    await panel.delete()
    assert panel.table.rowCount() == 0 and services.store.reports.list() == []


async def test_report_settings_keep_the_key_in_the_keyring_and_refuse_a_bad_url(window, services, qapp):
    panel = window.panels["reports"]
    await panel.refresh()
    panel.narrative_box.setChecked(True)
    panel.url_edit.setText("ftp://example")
    panel.save_settings()
    await until(lambda: "must start with http" in panel.status.text())
    assert services.settings.reports.narrative_enabled is False  # nothing changed
    panel.url_edit.setText("http://127.0.0.1:9/v1")
    panel.key_edit.setText("sk-panel-secret")
    await panel.save_settings()
    assert get_secret(KEY_SECRET) == "sk-panel-secret"
    assert panel.key_edit.text() == "" and "stored in the OS keyring" in panel.key_edit.placeholderText()
    saved = (services.data_dir / "settings.json").read_text(encoding="utf-8")
    assert "sk-panel-secret" not in saved and '"narrative_enabled": true' in saved
    panel.schedule_box.setChecked(False)
    await panel.save_settings()
    assert services.reports.scheduler is None and "schedule off" in panel.status.text()
