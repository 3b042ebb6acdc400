"""Placeholder window until the planner window lands."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    label = QLabel("Position Planner: the planner window is coming; use the CLI meanwhile.")
    label.resize(600, 200)
    label.show()
    return app.exec()
