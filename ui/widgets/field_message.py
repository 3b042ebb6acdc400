"""The message line(s) under an entry field: an error, a problem the document found, or a hint.

Its height is reserved for a fixed number of lines, so the form never jumps when a
message comes or goes; a message longer than the lines is cut with an ellipsis and
shown whole in the tooltip (and in :attr:`FieldMessage.full`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QVBoxLayout, QWidget

#: Below this width the label has not been laid out yet: its text is shown whole until it has one.
UNMEASURED_WIDTH = 50


class FieldMessage(QLabel):
    """A small-font, selectable, plain-text label of ``lines`` reserved lines (word-wrapped when more than one)."""

    def __init__(self, lines: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.full = ""
        self.lines = 1
        self.setTextFormat(Qt.TextFormat.PlainText)  # messages quote what the user typed
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        font = self.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        self.setFont(font)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.set_lines(lines)

    def set_lines(self, lines: int) -> None:
        """Reserve ``lines`` lines; the height never changes with the text."""
        self.lines = max(1, lines)
        self.setWordWrap(self.lines > 1)
        self.setFixedHeight(self._lines_height() + 2)

    def _lines_height(self) -> int:
        """Height (px) of the reserved lines, as the font lays them out (one line: the font's line spacing)."""
        if self.lines == 1:
            return self.fontMetrics().lineSpacing()
        flags = int(Qt.TextFlag.TextWordWrap)
        return self.fontMetrics().boundingRect(0, 0, 10_000, 10_000, flags, "\n".join(["Xg"] * self.lines)).height()

    def fits(self, text: str) -> bool:
        """True when ``text`` shows whole in the reserved lines at the label's current width."""
        width = self.width()
        metrics = self.fontMetrics()
        if self.lines == 1:
            return metrics.horizontalAdvance(text) <= width
        rect = metrics.boundingRect(0, 0, width, 10_000, int(Qt.TextFlag.TextWordWrap), text)
        return rect.width() <= width and rect.height() <= self._lines_height()

    def show_message(self, text: str, style: str, short: str = "") -> None:
        """Show ``text`` in ``style`` (a style sheet): whole when it fits, else ``short`` when that fits, else cut."""
        if self.styleSheet() != style:  # setting a style sheet re-polishes the widget: only on change
            self.setStyleSheet(style)
        metrics = self.fontMetrics()
        if self.width() <= UNMEASURED_WIDTH or self.fits(text):
            fitted = text
        elif short and self.fits(short):
            fitted = short
        else:
            fitted = metrics.elidedText(text, Qt.TextElideMode.ElideRight, self.width() * self.lines)
            while len(fitted) > 1 and not self.fits(fitted):  # wrapped lines end short of the width
                fitted = metrics.elidedText(text, Qt.TextElideMode.ElideRight, metrics.horizontalAdvance(fitted) - 8)
        if self.text() != fitted:
            self.setText(fitted)
        self.setToolTip(text)
        self.full = text


def lay_out_field(owner: QWidget, edit: QLineEdit, beside: list[QWidget], message: FieldMessage) -> None:
    """``owner``'s layout: ``edit`` (stretching) and ``beside`` in a row, ``message`` under them; focus goes to ``edit``."""
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(4)
    row.addWidget(edit, 1)
    for widget in beside:
        row.addWidget(widget)
    lay = QVBoxLayout(owner)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(0)
    lay.addLayout(row)
    lay.addWidget(message)
    owner.setFocusProxy(edit)
