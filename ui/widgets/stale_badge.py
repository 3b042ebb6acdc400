"""StaleBadge: a banner over a view whose figures belong to the last valid plan, not the plan on screen.

Attach one to any view that renders the document's evaluation (plots,
tables): it shows itself, top-left over the view, whenever the draft on
screen differs from the plan the figures belong to, and says what differs
(planner.present.trust). It listens to ``changed`` and ``problemsChanged``,
because a refused edit moves the draft without producing a new plan.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QWidget

from planner.present.trust import plan_differences

STYLE = "background: rgba(255, 243, 191, 235); color: #5c4400; padding: 3px 6px; border: 1px solid #e8a200; border-radius: 3px;"


class StaleBadge(QLabel):
    """A child label of ``view``, shown over its top-left corner while its figures are stale."""

    def __init__(self, view: QWidget, document: Any) -> None:
        super().__init__(view)
        self.document = document
        self.setStyleSheet(STYLE)
        self.setWordWrap(True)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        view.installEventFilter(self)
        document.changed.connect(lambda *_: self.update_state())
        document.problemsChanged.connect(lambda *_: self.update_state())
        self.update_state()

    def update_state(self) -> None:
        doc = self.document
        if doc.draft == doc.plan and doc.evaluation is not None:
            self.hide()
            return
        if doc.evaluation is None:
            text = "No figures: the plan on screen has problems (marked in red at the fields)."
        else:
            diffs = plan_differences(doc.plan, doc.draft)
            text = "Figures for the last valid plan" + (": " + "; ".join(diffs[:2]) if diffs else "") + (" …" if len(diffs) > 2 else "")
        self.setText(text)
        self.setToolTip(text)
        self._place()
        self.show()
        self.raise_()

    def _place(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        width = max(120, min(parent.width() - 16, 520))
        self.setFixedWidth(width)
        self.adjustSize()
        self.move(8, 8)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.parentWidget() and self.isVisible() and event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self._place()
            self.raise_()
        return super().eventFilter(obj, event)
