"""The listener's exposure, in the Strategies panel's Local API tab (issue 12): address and port, HTTPS
(certificate files or a self-signed pair), the source allowlist (with TradingView's four addresses as a
preset), trusted proxies and whether the REST API answers other machines. *Apply* checks the settings
(``webhook/exposure.py``: off loopback only with TLS), saves them to ``settings.json`` and restarts the
listener; the line under the form says what is exposed to whom, or why the listener is not running."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ...core.errors import TraderError
from ...webhook.exposure import exposure_problem, exposure_text, networks
from .common import spawn


def _items(text: str) -> list[str]:
    return [t.strip() for t in text.replace("\n", ",").split(",") if t.strip()]


class ListenerForm(QWidget):
    """The form; ``apply()`` returns the task (tests await it)."""

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        form = QFormLayout(self)
        form.setContentsMargins(0, 6, 0, 0)
        self.host = QLineEdit(self)
        self.host.setPlaceholderText("127.0.0.1 (this machine only)")
        self.port = QSpinBox(self)
        self.port.setRange(0, 65535)
        row = QHBoxLayout()
        row.addWidget(self.host, 1)
        row.addWidget(QLabel("port", self))
        row.addWidget(self.port)
        form.addRow("Listen on", row)
        self.self_signed = QCheckBox("self-signed certificate (made in the data directory)", self)
        form.addRow("HTTPS", self.self_signed)
        self.cert = QLineEdit(self)
        self.cert.setPlaceholderText("certificate PEM file (or the self-signed one)")
        self.key = QLineEdit(self)
        self.key.setPlaceholderText("private key PEM file")
        form.addRow("Certificate", self.cert)
        form.addRow("Key", self.key)
        self.allow = QLineEdit(self)
        self.allow.setPlaceholderText("addresses or networks, comma-separated; empty: any source")
        preset = QPushButton("TradingView", self)
        preset.setObjectName("tradingviewPreset")
        preset.setToolTip("TradingView's four webhook addresses")
        preset.clicked.connect(self._tradingview)
        arow = QHBoxLayout()
        arow.addWidget(self.allow, 1)
        arow.addWidget(preset)
        form.addRow("Allow from", arow)
        self.proxies = QLineEdit(self)
        self.proxies.setPlaceholderText("reverse proxies whose X-Forwarded-For is believed")
        form.addRow("Trusted proxies", self.proxies)
        self.expose_api = QCheckBox("the REST API answers other machines too", self)
        form.addRow("REST API", self.expose_api)
        self.apply_button = QPushButton("Apply and restart the listener", self)
        self.apply_button.setObjectName("applyListener")
        self.apply_button.clicked.connect(self.apply)
        form.addRow(self.apply_button)
        self.state = QLabel("", self)
        self.state.setWordWrap(True)
        form.addRow(self.state)
        self.load()

    def load(self) -> None:
        """Show the settings in use and what they expose (a host without settings: the form is disabled)."""
        settings = getattr(self.services, "settings", None)
        if settings is None:
            self.setEnabled(False)
            self.state.setText("The listener's settings are not available here.")
            return
        w = settings.webhook
        self.host.setText(w.host)
        self.port.setValue(w.port)
        self.self_signed.setChecked(w.tls_self_signed)
        self.cert.setText(w.tls_cert_file)
        self.key.setText(w.tls_key_file)
        self.allow.setText(", ".join(w.allowlist))
        self.proxies.setText(", ".join(w.trusted_proxies))
        self.expose_api.setChecked(w.expose_api)
        self.show_state()

    def show_state(self) -> None:
        s = self.services
        error = getattr(s, "listener_error", "") or ""
        try:
            webhook = getattr(s, "webhook", None)
            text = exposure_text(s.settings, s.data_dir, webhook.port if webhook is not None else None)
        except TraderError as exc:
            text = str(exc)
        self.state.setText(f"Not listening: {error}" if error and getattr(s, "webhook", None) is None else
                           f"Exposed: {text}")

    def _tradingview(self) -> None:
        items = _items(self.allow.text())
        if "tradingview" not in items:
            self.allow.setText(", ".join(items + ["tradingview"]))

    def apply(self) -> asyncio.Future[Any]:
        """Check, save and restart; a refusal is shown under the form and nothing changes."""
        return spawn(self._apply(), lambda exc: self.state.setText(f"Not applied: {exc}"))

    async def _apply(self) -> None:
        s = self.services
        w = s.settings.webhook
        candidate = s.settings.model_copy(deep=True)
        c = candidate.webhook
        c.host, c.port = self.host.text().strip() or "127.0.0.1", self.port.value()
        c.tls_self_signed = self.self_signed.isChecked()
        c.tls_cert_file, c.tls_key_file = self.cert.text().strip(), self.key.text().strip()
        c.allowlist, c.trusted_proxies = _items(self.allow.text()), _items(self.proxies.text())
        c.expose_api = self.expose_api.isChecked()
        networks(c.allowlist)  # ConfigError names a bad entry
        networks(c.trusted_proxies)
        problem = exposure_problem(candidate, s.data_dir)
        if problem:
            self.state.setText(f"Not applied: {problem}")
            return
        for name in ("host", "port", "tls_self_signed", "tls_cert_file", "tls_key_file", "allowlist",
                     "trusted_proxies", "expose_api"):
            setattr(w, name, getattr(c, name))
        s.settings.save(s.data_dir)
        await s.restart_webhook()
        self.show_state()
