"""The dark theme: Fusion style, a dark ``QPalette`` and ``resources/theme.qss`` (read with importlib.resources,
so it works from a source tree, a wheel and a PyInstaller bundle alike).

Also the few colours the table models and the chart share, so one file decides how up/down look.
"""

from __future__ import annotations

from importlib.resources import files

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = "#15181d"
PANEL = "#1b1f26"
TEXT = "#d7dce2"
MUTED = "#8a93a0"
ACCENT = "#3d8bfd"
UP = "#26a69a"      # buy side, price up, profit
DOWN = "#ef5350"    # sell side, price down, loss
WARN = "#f0b429"

UP_COLOR = QColor(UP)
DOWN_COLOR = QColor(DOWN)
MUTED_COLOR = QColor(MUTED)
WARN_COLOR = QColor(WARN)


def load_stylesheet() -> str:
    """The text of ``resources/theme.qss`` (package ``trader_app.resources``). Raises ``FileNotFoundError``
    if the resource is missing from the install (a packaging bug, never silently ignored)."""
    return (files("trader_app.resources") / "theme.qss").read_text(encoding="utf-8")


def dark_palette() -> QPalette:
    """A dark palette matching the style sheet, for everything the sheet does not style."""
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: BACKGROUND,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: "#101317",
        QPalette.ColorRole.AlternateBase: "#1a1e24",
        QPalette.ColorRole.ToolTipBase: "#232832",
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: "#232832",
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: "#2a3b57",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.PlaceholderText: "#5b636f",
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#5b636f"))
    return pal


def app_icon() -> QIcon | None:
    """The window icon from ``resources/icons``: ``trader-app.png`` plus the ``trader-app-<size>.png`` renderings
    (16 to 512 px) when present, so each place picks a crisp size. None if the install has no icon."""
    icons = files("trader_app.resources") / "icons"
    main = icons / "trader-app.png"
    if not main.is_file():
        return None
    icon = QIcon(str(main))
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        sized = icons / f"trader-app-{size}.png"
        if sized.is_file():
            icon.addFile(str(sized))
    return icon


def apply_theme(app: QApplication) -> None:
    """Fusion + dark palette + the QSS, and the app icon when present. Idempotent."""
    app.setStyle("Fusion")
    app.setPalette(dark_palette())
    app.setStyleSheet(load_stylesheet())
    icon = app_icon()
    if icon is not None:
        app.setWindowIcon(icon)
