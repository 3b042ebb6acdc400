"""Saving a plan while a venue switch has left legs out of it: the user decides, before anything is written.

A plan file holds one venue's plan. A leg that venue does not list is not part of
that plan (the window shows it greyed, with its reason), so the file cannot hold
it; overwriting the file it came from would silently lose it. The save asks first.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from ui.document import PlanDocument


def confirm_left_out(parent: QWidget, doc: PlanDocument, path: Path) -> bool:
    """True to go on with saving ``doc`` to ``path``: no leg is left out, or the user chose to save without them."""
    lines = doc.left_out_lines()
    if not lines:
        return True
    venue = doc.draft_profile_name()
    n = len(lines)
    legs, them, they = ("1 leg is", "it", "it stays") if n == 1 else (f"{n} legs are", "them", "they stay")
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Legs not in the saved plan")
    box.setTextFormat(Qt.TextFormat.PlainText)  # symbols and reasons are data, not markup
    box.setStyleSheet("QLabel#qt_msgbox_label, QLabel#qt_msgbox_informativelabel { min-width: 34em; }")  # long reasons wrap less
    box.setText(
        f"{legs} not listed on {venue}, so the plan on {venue} does not hold {them} and {path.name} will not either:\n\n"
        + "\n".join(f"• {line}" for line in lines)
    )
    box.setInformativeText(
        f"To keep {them} in the file, cancel and switch back to a venue that lists {them} (Edit › Undo, or the profile list). "
        f"Saved without {them}, {they} in the window (greyed) until you remove {them} or close the plan."
    )
    save = box.addButton(f"Save without {them}", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is save
