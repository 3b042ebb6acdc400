"""Mark a field with its problem: red border plus the reason as tooltip."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from planner.model.errors import Problem

_BAD = "border: 2px solid #e03131; border-radius: 3px;"


def mark(widget: QWidget, problems: list[Problem], normal_tip: str = "") -> None:
    if problems:
        widget.setStyleSheet(_BAD)
        widget.setToolTip("\n".join(p.message for p in problems))
    else:
        if widget.styleSheet():
            widget.setStyleSheet("")
        widget.setToolTip(normal_tip)
