"""The Connect-account dialog is built from each venue's declared settings schema: secrets as password
fields, advanced fields apart, required fields enforced; its values feed ``create_account``."""

from __future__ import annotations

from trader_app.brokers.base import BrokerRegistry, SettingField, VenueSpec
from trader_app.brokers.paper import PaperExchange, paper_venue
from trader_app.core.enums import AccountMode
from trader_app.ui.panels.account_dialog import AccountDialog


def _registry() -> BrokerRegistry:
    registry = BrokerRegistry()
    registry.register(paper_venue(PaperExchange([])))
    fields = (SettingField("api_key", "API key", "secret", required=True),
              SettingField("market", "Market", "choice", choices=("spot", "futures"), default="spot"),
              SettingField("rest_url", "REST base URL", "url", advanced=True))
    registry.register(VenueSpec("keyed", "Keyed venue", (AccountMode.TESTNET, AccountMode.LIVE), fields,
                                lambda account, credentials: None))
    return registry


def test_the_form_follows_the_venue_schema(qtbot):
    dialog = AccountDialog(_registry())
    qtbot.addWidget(dialog)
    assert [dialog.venue.itemData(i) for i in range(dialog.venue.count())] == ["keyed", "paper"]
    dialog.venue.setCurrentIndex(0)
    assert [dialog.mode.itemText(i) for i in range(dialog.mode.count())] == ["testnet", "live"]
    assert dialog.editors["api_key"].echoMode() == dialog.editors["api_key"].EchoMode.Password
    assert dialog.advanced_form.rowCount() == 1 and dialog.fields_form.rowCount() == 2
    dialog.name.setText("Main")
    try:
        dialog.values()
        raise AssertionError("a missing API key must be refused")
    except ValueError as exc:
        assert str(exc) == "API key is required"
    dialog.editors["api_key"].setText("k-1")
    dialog.editors["market"].setCurrentText("futures")
    dialog.mode.setCurrentIndex(1)
    assert dialog.values() == ("keyed", "live", "Main", {"market": "futures"}, {"api_key": "k-1"})
    dialog.venue.setCurrentIndex(1)  # paper: two rates, no secrets, no advanced box
    assert set(dialog.editors) == {"commission_rate", "slippage_rate"}
    assert dialog.values() == ("paper", "paper", "Main", {}, {})
