"""Plans that are never lost: autosave every few seconds while dirty, and crash recovery at start.

All file logic is in ``planner.io.recovery``; this module only decides when to call it and asks the user.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer
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
        # The draft is what the user typed: the valid plan, or an edit with problems
        # (which never reaches the undo stack, so it counts as unsaved on its own).
        if doc.is_dirty() or doc.draft != doc.plan:
            try:
                self.last_written = write_autosave(doc.draft, str(doc.path) if doc.path else None)
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
    """At start: offer every crashed session's unsaved work, newest first. Returns (plan, original path) or None.

    Each session is asked about in turn: Restore (opens it; stop asking), Keep
    for later (left on disk, offered again at the next start) or Discard
    (deleted). Nothing is deleted without the user's choice.
    """
    from datetime import datetime

    found = recoverable_sessions()
    for n, item in enumerate(found, start=1):
        when = datetime.fromtimestamp(item.saved_at).strftime("%Y-%m-%d %H:%M:%S")
        box = QMessageBox(parent)
        box.setTextFormat(Qt.TextFormat.PlainText)  # the plan name is user text
        box.setWindowTitle("Restore unsaved work?")
        which = f" (unsaved session {n} of {len(found)})" if len(found) > 1 else ""
        box.setText(f"Position Planner closed unexpectedly{which}. Restore the plan “{item.plan.name}” autosaved at {when}?")
        info = f"It was opened from {item.original_path}; the file itself was not changed. " if item.original_path else ""
        box.setInformativeText(info + "Keep for later leaves it to be offered at the next start.")
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Keep for later", QMessageBox.ButtonRole.RejectRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.exec()
        clicked = box.clickedButton()
        if clicked is restore:
            discard_autosave(item.path)  # its work lives on in this session (autosaved again while unsaved)
            return item.plan, item.original_path
        if clicked is discard:
            discard_autosave(item.path)
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
