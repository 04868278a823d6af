"""A machine without an OS keyring (issue 20): the window says so at start with the fixes, the Connect dialog
keeps what was typed and says why it cannot save it, and the admin token's Show answers instead of failing
silently."""

from __future__ import annotations

import keyring.backends.fail
import keyring.core
import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QPushButton

from user import _later, click, ok, on_dialog
from trader_app.brokers.base import BrokerRegistry, SettingField, VenueSpec
from trader_app.core.enums import AccountMode
from trader_app.ui.panels.account_dialog import AccountDialog

PEM = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIDzPEN7+zwJ0Dq/I0XdZyGMxkQ1N5DRy6Ot3sHbH6M7B\n-----END PRIVATE KEY-----\n"


@pytest.fixture
def no_keyring(monkeypatch):
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.backends.fail.Keyring())
    monkeypatch.delenv("TRADER_APP_API_TOKEN", raising=False)


async def test_the_window_names_the_missing_keyring_and_the_admin_token_show_answers(no_keyring, window):
    assert window.keyring_banner is not None and window.keyring_banner.isVisible()
    text = window.keyring_banner.findChild(QLabel, "keyringBannerText").text()
    assert "Secrets cannot be stored" in text and "GNOME Keyring or KWallet" in text and "Keychain" in text
    from test_user_strategies import open_tab, strategies

    panel = strategies(window)
    await open_tab(panel, "Local API")
    await click(panel.api_buttons["showAdmin"])
    await panel.last_task
    assert panel.admin_edit.text() == "no admin token (no OS keyring)"
    assert "TRADER_APP_API_TOKEN" in panel.status.text()


async def test_with_a_keyring_there_is_no_banner(window):
    assert window.keyring_banner is None


def _registry() -> BrokerRegistry:
    registry = BrokerRegistry()
    fields = (SettingField("api_key", "API key", "secret", required=True),
              SettingField("api_secret", "API secret or Ed25519 PEM", "secret", required=True))
    registry.register(VenueSpec("keyed", "Keyed venue", (AccountMode.TESTNET,), fields, lambda a, c: None))
    return registry


async def test_the_connect_dialog_keeps_typed_keys_and_says_why_it_cannot_save_them(no_keyring, qapp):
    dialog = AccountDialog(_registry())
    states = []

    def type_keys_and_ok(d):
        d.name.setText("Main")
        d.editors["api_key"].setFocus()
        d.editors["api_key"].insert("k-123")
        QGuiApplication.clipboard().setText(PEM)  # the PEM pasted as the user does, newlines and all
        d.editors["api_secret"].setFocus()
        d.editors["api_secret"].paste()
        ok(d)
        states.append((d.isVisible(), d.error.text(), d.editors["api_key"].text(), d.editors["api_secret"].text()))
        d.reject()

    answer = on_dialog(type_keys_and_ok, title="Connect account")
    await _later(dialog.exec)
    await answer.done()
    ((visible, error, key, secret),) = states
    assert visible and error.startswith("Cannot save the keys: the keyring backend Keyring")
    assert "Install" in error or "Secret Service" in error
    assert (key, secret) == ("k-123", PEM)  # nothing typed was lost
    dialog.deleteLater()
