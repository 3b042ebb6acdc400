"""Light / dark palettes; "system" follows the platform colour scheme (Qt 6.5+)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

MODES = ("system", "light", "dark")


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None:
        return scheme() == Qt.ColorScheme.Dark
    return QGuiApplication.palette().color(QPalette.Window).lightness() < 128


def dark_palette() -> QPalette:
    p = QPalette()
    base, alt, text = QColor(30, 32, 36), QColor(42, 45, 50), QColor(225, 228, 232)
    for role, color in (
        (QPalette.Window, alt),
        (QPalette.WindowText, text),
        (QPalette.Base, base),
        (QPalette.AlternateBase, alt),
        (QPalette.ToolTipBase, QColor(50, 54, 60)),
        (QPalette.ToolTipText, text),
        (QPalette.Text, text),
        (QPalette.Button, alt),
        (QPalette.ButtonText, text),
        (QPalette.BrightText, QColor(255, 90, 90)),
        (QPalette.Highlight, QColor(52, 120, 200)),
        (QPalette.HighlightedText, QColor(255, 255, 255)),
        (QPalette.Link, QColor(110, 170, 255)),
        (QPalette.PlaceholderText, QColor(140, 144, 150)),
    ):
        p.setColor(role, color)
    p.setColor(QPalette.Disabled, QPalette.Text, QColor(120, 120, 120))
    p.setColor(QPalette.Disabled, QPalette.ButtonText, QColor(120, 120, 120))
    return p


def apply_theme(mode: str) -> bool:
    """Apply ``mode`` ("system", "light", "dark") to the application; returns True when dark."""
    app = QApplication.instance()
    dark = system_is_dark() if mode == "system" else mode == "dark"
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if dark else app.style().standardPalette())
    return dark
