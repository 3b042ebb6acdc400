"""Mark a field with its problem: red border plus the reason as tooltip."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from planner.model.errors import Problem

_BAD = "border: 2px solid #e03131; border-radius: 3px;"


def mark(widget: QWidget, problems: list[Problem], normal_tip: str = "") -> None:
    # Only what changes is set: a style sheet re-polishes the widget, and forms mark every field on every edit.
    sheet, tip = (_BAD, "\n".join(p.message for p in problems)) if problems else ("", normal_tip)
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)
    if widget.toolTip() != tip:
        widget.setToolTip(tip)
