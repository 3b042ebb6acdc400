"""An editable symbol box for a profile's hundreds of symbols."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QCompleter


def symbol_combo() -> QComboBox:
    """Editable combo whose completer filters by any part of the name, case-insensitive ("pepe" -> 1000PEPEUSDT)."""
    combo = QComboBox()
    combo.setEditable(True)
    combo.setMaxVisibleItems(20)
    completer = combo.completer()
    assert completer is not None  # an editable combo box always has one
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    return combo
