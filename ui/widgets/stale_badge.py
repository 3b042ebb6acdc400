"""StaleBadge: a strip above views whose figures belong to the last valid plan, not the plan on screen.

The strip is an ordinary widget in its parent's layout (above the plots), not
an overlay: it takes its own space while shown and never covers a figure, a
curve or a legend (issue 10 item 2). It shows itself whenever the draft on
screen differs from the plan the figures belong to, and says what differs
(planner.present.trust). It listens to ``changed`` and ``problemsChanged``,
because a refused edit moves the draft without producing a new plan.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from planner.present.trust import plan_differences

STYLE = "background: #fff3bf; color: #5c4400; padding: 2px 6px; border: 1px solid #e8a200; border-radius: 3px;"


class StaleBadge(QLabel):
    """A banner for the layout above the views it speaks for; hidden while their figures are the plan on screen.

    ``subject`` names those views, plural ("plots": "The plots show the last valid plan: ...").
    """

    def __init__(self, document: Any, parent: QWidget, subject: str = "") -> None:
        super().__init__(parent)  # a parent always: shown without one, a label would open as a window of its own
        self.document = document
        self.subject = subject
        self.setObjectName("stale-badge")
        self.setStyleSheet(STYLE)
        self.setTextFormat(Qt.TextFormat.PlainText)  # names legs and symbols (user text)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)  # never widens the window
        document.changed.connect(lambda *_: self.update_state())
        document.problemsChanged.connect(lambda *_: self.update_state())
        self.hide()
        self.update_state()

    def update_state(self) -> None:
        doc = self.document
        if doc.draft == doc.plan and doc.evaluation is not None:
            self.setVisible(False)
            return
        if doc.evaluation is None:
            text = f"No figures{' in the ' + self.subject if self.subject else ''}: the plan on screen has problems (marked in red at the fields)."
        else:
            diffs = plan_differences(doc.plan, doc.draft)
            head = f"The {self.subject} show the last valid plan" if self.subject else "Figures for the last valid plan"
            text = head + (": " + "; ".join(diffs[:2]) if diffs else "") + (" …" if len(diffs) > 2 else "")
        self.setText(text)
        self.setToolTip(text)
        self.setVisible(True)
