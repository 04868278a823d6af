"""The Strategies dock pressed as a user does: tabs clicked, buttons clicked, its dialogs filled and answered
with OK, Cancel, Enter and Escape; the effect checked in the store and on screen (issue 20: New group, Link
account / Edit link and Risk limits lost what was typed)."""

from __future__ import annotations

import json
from decimal import Decimal as D

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox, QTabWidget

from ui_helpers import until
from user import cancel, click, enter, escape, fill, ok, on_dialog, press_button, row_of, select_row


def strategies(window):
    window.docks["strategies"].raise_()
    return window.panels["strategies"]


async def open_tab(panel, title: str) -> None:
    """Click the tab named ``title`` of the Strategies dock."""
    for tabs in panel.findChildren(QTabWidget):
        bar = tabs.tabBar()
        for i in range(bar.count()):
            if bar.tabText(i).replace("&", "") == title:
                await click(bar, pos=bar.tabRect(i).center())
                assert tabs.currentIndex() == i
                return
    raise AssertionError(f"no tab {title!r}")


async def new_group(window, name: str, market: str = "SPOT") -> None:
    panel = strategies(window)
    await open_tab(panel, "Groups")
    answer = on_dialog(lambda d: (fill(d, group_name=name, group_market=market, group_description="from a test"),
                                  ok(d)), title="New strategy group")
    await click(panel.group_buttons["newGroup"])
    await answer.done()
    await panel.last_task
    await until(lambda: any(r.group_name == name for r in panel.groups_model.records()))
    await select_row(panel.groups_table, row_of(panel.groups_table, lambda r: r.group_name == name))
    await panel.last_task
    await until(lambda: panel.token_edit.text() != "")


async def test_new_group_ok_enter_cancel_escape(window, services):
    panel = strategies(window)
    await new_group(window, "trend", "FUTURES")
    group = await services.groups.get_group("trend")
    assert (group.market_type.value, group.description) == ("FUTURES", "from a test")
    assert panel.groups_model.records()[0].market_type == "FUTURES"

    # Enter in the name field is OK too
    answer = on_dialog(lambda d: (fill(d, group_name="meanrev"), enter(d)), title="New strategy group")
    await click(panel.group_buttons["newGroup"])
    await answer.done()
    await panel.last_task
    assert await services.groups.get_group("meanrev") is not None
    # Cancel and Escape create nothing
    for close in (cancel, escape):
        answer = on_dialog(lambda d, c=close: (fill(d, group_name="nothing"), c(d)), title="New strategy group")
        await click(panel.group_buttons["newGroup"])
        await answer.done()
    assert await services.groups.get_group("nothing") is None
    assert sorted(g.group_name for g in await services.groups.list_groups()) == ["meanrev", "trend"]


async def test_group_token_buttons_enable_disable_and_delete(window, services):
    panel = strategies(window)
    await new_group(window, "trend")
    token = await services.groups.token("trend")
    assert panel.token_edit.text() == "\u2022" * 12  # masked until Show
    await click(panel.token_buttons["showToken"])
    assert panel.token_edit.text() == token and panel.token_buttons["showToken"].text() == "Hide"
    await click(panel.token_buttons["showToken"])
    assert panel.token_edit.text() == "\u2022" * 12

    await click(panel.token_buttons["copyToken"])
    assert QGuiApplication.clipboard().text() == token
    await click(panel.token_buttons["copyAlert"])
    alert = json.loads(QGuiApplication.clipboard().text())
    assert alert["group_name"] == "trend" and alert["token"] == token

    await click(panel.token_buttons["rotateToken"])
    await panel.last_task
    rotated = await services.groups.token("trend")
    assert rotated != token and not await services.groups.verify_token("trend", token)

    await click(panel.group_buttons["toggleGroup"])
    await panel.last_task
    assert (await services.groups.get_group("trend")).enabled is False
    await until(lambda: panel.groups_model.records()[0].enabled is False)
    await click(panel.group_buttons["toggleGroup"])
    await panel.last_task
    assert (await services.groups.get_group("trend")).enabled is True

    await click(panel.group_buttons["deleteGroup"])
    await panel.last_task
    assert await services.groups.get_group("trend") is None
    await until(lambda: panel.groups_model.rowCount() == 0)


async def test_link_edit_and_unlink_an_account(window, services, account_id):
    panel = strategies(window)
    await new_group(window, "trend")
    answer = on_dialog(lambda d: (fill(d, link_account="Paper 1", link_weight="0.5", link_leverage="1"), ok(d)),
                       title="Link account")
    await click(panel.link_buttons["linkAccount"])
    await answer.done()
    await panel.last_task
    (link,) = await services.groups.links("trend")
    assert (link.account_id, link.weight, link.leverage) == (account_id, D("0.5"), D("1"))
    await until(lambda: panel.links_model.rowCount() == 1)

    await select_row(panel.links_table, 0)
    answer = on_dialog(lambda d: (fill(d, link_weight="0.25"), ok(d)), title="Edit link")
    await click(panel.link_buttons["editLink"])
    await answer.done()
    await panel.last_task
    (link,) = await services.groups.links("trend")
    assert link.weight == D("0.25")
    await until(lambda: panel.links_model.records()[0].weight == "0.25")

    # Cancel changes nothing
    answer = on_dialog(lambda d: (fill(d, link_weight="0.9"), cancel(d)), title="Edit link")
    await select_row(panel.links_table, 0)
    await click(panel.link_buttons["editLink"])
    await answer.done()
    assert (await services.groups.links("trend"))[0].weight == D("0.25")

    await select_row(panel.links_table, 0)
    await click(panel.link_buttons["unlink"])
    await panel.last_task
    assert await services.groups.links("trend") == []


async def test_risk_limits_dialog_and_kill_switch_reset(window, services, account_id):
    panel = strategies(window)
    await open_tab(panel, "Risk")
    await until(lambda: panel.risk_model.rowCount() == 1)
    await select_row(panel.risk_table, 0)
    answer = on_dialog(lambda d: (fill(d, max_order_notional="USDT=5000", daily_loss_limit="USDT=300",
                                       max_open_orders="7"), ok(d)), title="Risk limits of Paper 1")
    await click(panel.risk_buttons["editLimits"])
    await answer.done()
    await panel.last_task
    limits = services.risk_book.limits(account_id)
    assert limits.max_order_notional == {"USDT": D("5000")} and limits.daily_loss_limit == {"USDT": D("300")}
    assert limits.max_open_orders == 7
    await until(lambda: "order USDT=5000" in panel.risk_model.records()[0].limits)

    # a bad number is refused with the reason; nothing changes
    answer = on_dialog(lambda d: (fill(d, max_open_orders="many"), ok(d)), title="Risk limits of Paper 1")
    await select_row(panel.risk_table, 0)
    await click(panel.risk_buttons["editLimits"])
    await answer.done()
    assert "must be a whole number" in panel.status.text()
    assert services.risk_book.limits(account_id).max_open_orders == 7

    services.risk_book.trip(account_id, "daily loss limit: test")
    await until(lambda: panel.risk_model.rowCount() == 1 and panel.risk_model.records()[0].tripped)
    await select_row(panel.risk_table, 0)
    await click(panel.risk_buttons["resetKill"])
    await panel.last_task
    assert services.risk_book.kill_switch(account_id) is None


async def test_local_api_admin_token_show_and_copy(window, services):
    panel = strategies(window)
    await open_tab(panel, "Local API")
    await click(panel.api_buttons["showAdmin"])
    await panel.last_task
    token = panel.admin_edit.text()
    assert token and token != "\u2022" * 12
    await click(panel.api_buttons["copyAdmin"])
    await panel.last_task
    assert QGuiApplication.clipboard().text() == token
