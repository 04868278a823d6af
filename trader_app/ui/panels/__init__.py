"""The window's panels: each a QWidget taking ``(services, bridge)`` and fed by the ``EventBridge``."""
