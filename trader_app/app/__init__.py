"""The composition root: ``services.py`` builds and wires every service (``build_services`` ->
``AppServices``); ``window.py`` runs them under the Qt window on the qasync loop. Only this package (and the
dev tooling in ``devtools/``) imports ``ui``."""

from .services import AppServices, BusLogHandler, build_services, install_log_forwarding

__all__ = ["AppServices", "BusLogHandler", "build_services", "install_log_forwarding"]
