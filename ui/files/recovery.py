"""Plans that are never lost: autosave every few seconds while dirty, and crash recovery at start.

All file logic is in ``planner.io.recovery``; this module only decides when to call it and asks the user.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

from planner.io.recovery import discard_autosave, recoverable_sessions, write_autosave
from planner.model.plan import Plan
from ui.document import PlanDocument

AUTOSAVE_MS = 3000


class AutosaveController:
    """Every few seconds, while the document has unsaved changes, write a recovery copy."""

    def __init__(
        self, document: PlanDocument, parent: QObject, report: Callable[[str], None] | None = None, interval_ms: int = AUTOSAVE_MS
    ) -> None:
        """``report`` shows a failure to the user (the window passes its status bar)."""
        self.document = document
        self.report = report
        self.timer = QTimer(parent)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        document.dirtyChanged.connect(self._on_dirty)
        self.last_written: Path | None = None

    def tick(self) -> None:
        doc = self.document
        if doc.is_dirty():
            try:
                self.last_written = write_autosave(doc.draft if doc.evaluation is None else doc.plan, str(doc.path) if doc.path else None)
            except OSError as exc:
                if self.report is not None:
                    self.report(f"Autosave failed: {exc}")

    def _on_dirty(self, dirty: bool) -> None:
        if not dirty:  # saved (or undone back to the saved state): no recovery copy needed
            discard_autosave()

    def stop(self) -> None:
        self.timer.stop()
        discard_autosave()


def offer_recovery(parent: QWidget | None = None) -> tuple[Plan, str | None] | None:
    """At start: if a crashed session left unsaved work, ask to restore it. Returns (plan, original path) or None."""
    found = recoverable_sessions()
    if not found:
        return None
    latest = found[0]
    from datetime import datetime

    when = datetime.fromtimestamp(latest.saved_at).strftime("%Y-%m-%d %H:%M:%S")
    box = QMessageBox(parent)
    box.setWindowTitle("Restore unsaved work?")
    box.setText(f"Position Planner closed unexpectedly. Restore the plan “{latest.plan.name}” autosaved at {when}?")
    if latest.original_path:
        box.setInformativeText(f"It was opened from {latest.original_path}; the file itself was not changed.")
    restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
    box.exec()
    for item in found:
        discard_autosave(item.path)
    if box.clickedButton() is restore:
        return latest.plan, latest.original_path
    return None
