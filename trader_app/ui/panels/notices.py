"""The "Notices" tab of the Strategies panel: Telegram notices of fills, executed signals and kill-switch changes
(the daily report's settings are in the Reports panel).

The trader turns them on, gives the chat id and pastes the bot token (from @BotFather); *Save* keeps the
token in the OS keyring (the field is then cleared and shows only that a token is stored), the rest in
``settings.json``, and restarts the notifier. *Send test* sends one message now; *Forget token* deletes it
from the keyring. Refusals (a malformed chat id or token, no keyring) show in the status line and change
nothing.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ...core.offloop import run_blocking

from ..desktop_notices import KIND_TITLES, NOTICE_KINDS
from .common import StatusActions
from .strategy_forms import buttons_row

_TOKEN_STORED = "a token is stored in the OS keyring (paste a new one to replace it)"
_TOKEN_NONE = "paste the bot token from @BotFather"


class NoticesTab(QWidget, StatusActions):
    """Edits ``services.notices`` (a ``NoticeService``). ``last_task``: the newest action's task (tests await
    it)."""

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.last_task: Any = None
        v = QVBoxLayout(self)
        form = QFormLayout()
        self.enabled_box = QCheckBox("Send a Telegram message for every fill, executed signal and kill-switch change", self)
        self.enabled_box.setObjectName("noticesEnabled")
        form.addRow(self.enabled_box)
        self.commands_box = QCheckBox("Answer /status, /balance, /positions, /pnl, /report, /stop and /resume from this chat",
                                      self)
        self.commands_box.setObjectName("telegramCommands")
        form.addRow(self.commands_box)
        self.chat_edit = QLineEdit(self)
        self.chat_edit.setObjectName("noticesChatId")
        self.chat_edit.setPlaceholderText("123456789, -1001234567890 or @channelname")
        form.addRow("Chat id", self.chat_edit)
        self.token_edit = QLineEdit(self)
        self.token_edit.setObjectName("noticesToken")
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Bot token", self.token_edit)
        v.addLayout(form)
        row, self.buttons = buttons_row(self, ("saveNotices", "Save", lambda: self.save()),
                                        ("testNotice", "Send test", lambda: self.send_test()),
                                        ("forgetToken", "Forget token", lambda: self.forget_token()))
        v.addLayout(row)
        desktop = QHBoxLayout()
        desktop.addWidget(QLabel("Desktop notices:", self))
        self.desktop_boxes: dict[str, QCheckBox] = {}
        for kind in NOTICE_KINDS:
            box = QCheckBox(KIND_TITLES[kind], self)
            box.toggled.connect(lambda on, kind=kind: self.set_desktop(kind, on))
            self.desktop_boxes[kind] = box
            desktop.addWidget(box)
        desktop.addStretch(1)
        v.addLayout(desktop)
        self.status = QLabel("", self)
        self.status.setObjectName("noticesStatus")
        self.status.setWordWrap(True)
        v.addWidget(self.status)
        v.addStretch(1)

    @property
    def notices(self) -> Any:
        return getattr(self.services, "notices", None)

    def load(self) -> None:
        """Show the saved settings and whether a token is stored (never the token)."""
        n = self.notices
        self.setEnabled(n is not None)
        if n is None:
            self.say("notices are not available in this build")
            return
        self.enabled_box.setChecked(n.settings.notices.telegram_enabled)
        self.chat_edit.setText(n.settings.notices.telegram_chat_id)
        self.commands_box.setChecked(n.settings.notices.telegram_commands)
        for kind, box in self.desktop_boxes.items():
            box.blockSignals(True)
            box.setChecked(bool(n.settings.notices.desktop.get(kind, True)))
            box.blockSignals(False)
        self.token_edit.clear()
        self.token_edit.setPlaceholderText(_TOKEN_STORED if n.token_stored else _TOKEN_NONE)
        self.say(n.status)

    def set_desktop(self, kind: str, on: bool) -> Any:
        """Turn one kind of desktop notice on or off and save the setting (off the loop)."""
        n = self.notices
        if n is None:
            return None
        n.settings.notices.desktop[kind] = on
        return self._run(run_blocking(n.settings.save, n.data_dir))

    def save(self, forget_token: bool = False) -> Any:
        async def run() -> None:
            await self.notices.configure(enabled=self.enabled_box.isChecked(), chat_id=self.chat_edit.text(),
                                         bot_token=self.token_edit.text() or None, forget_token=forget_token,
                                         commands=self.commands_box.isChecked())
            self.load()

        return self._run(run())

    def forget_token(self) -> Any:
        self.token_edit.clear()
        return self.save(forget_token=True)

    def send_test(self) -> Any:
        async def run() -> None:
            ok = await self.notices.send_test()
            self.say("test notice sent" if ok else "test notice not sent: turn notices on with a chat id and "
                     "token, and check that the bot may write to that chat", error=not ok)

        return self._run(run())
