"""NumberEdit: a number field that commits when editing finishes and never misreads.

A QLineEdit (no validator: no keystroke is ever dropped) read by
:func:`planner.present.numbers.parse_number` when the user presses Return or
Tab or leaves the field. Anything it cannot read, or a value outside the
field's range, is refused with a one-line message in a reserved line under
the field (the form does not jump); the typed text stays as typed, never
snapping back, until the user fixes it or presses Escape.

API close to QDoubleSpinBox so callers and benchmarks keep working:
``value()``, ``setValue()`` (emits ``valueChanged`` when the value changes,
unless signals are blocked), ``setSuffix``, ``setDecimals``, ``setSingleStep``,
``singleStep``. Up/Down step by ``singleStep`` and commit at once.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QLocale, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from planner.present.numbers import NumberError, NumberFormat, parse_number, range_problem
from ui.widgets.field_message import FieldMessage, lay_out_field

ERROR_STYLE = "color: #e03131;"
HINT_STYLE = "color: #868e96;"  # mid grey: readable on the light and the dark palette
WARN_STYLE = "color: #e8590c;"
_BAD_BORDER = "QLineEdit { border: 2px solid #e03131; border-radius: 3px; background: palette(base); color: palette(text); }"


def locale_format(locale: QLocale | None = None) -> NumberFormat:
    """Decimal mark and group separator of ``locale`` (default: the user's)."""
    loc = locale or QLocale()
    return NumberFormat(decimal=loc.decimalPoint(), group=loc.groupSeparator())


class NumberEdit(QWidget):
    """One number (float, or None where the field may stay empty) with its unit and message line."""

    valueChanged = Signal(float)  # a committed number (Return, Tab, focus out, Up/Down, setValue)
    committed = Signal(object)  # float | None: every commit, including an emptied optional field
    refused = Signal(str)  # the message shown when a commit is refused

    def __init__(
        self,
        *,
        decimals: int = 2,
        step: float = 1.0,
        minimum: float | None = 0.0,
        maximum: float | None = None,
        min_exclusive: bool = False,
        allow_empty: bool = False,
        empty_text: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._decimals, self._step = decimals, step
        self._min, self._max, self._min_excl = minimum, maximum, min_exclusive
        self._allow_empty = allow_empty
        self._value: float | None = None if allow_empty else (minimum if minimum is not None and not min_exclusive else 0.0)
        self._error = ""
        self._problem = ""
        self._hint = ""
        self._style = ""
        self._warn = False
        self._short_hint = ""
        self.fmt = locale_format()
        self.edit = QLineEdit()
        self.edit.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.edit.setPlaceholderText(empty_text)
        self.unit = QLabel()
        self.message = FieldMessage(1)
        lay_out_field(self, self.edit, [self.unit], self.message)
        self.edit.editingFinished.connect(self.commit)
        self.edit.installEventFilter(self)
        self._show()

    # -- QDoubleSpinBox-like API -------------------------------------------------
    def value(self) -> float | None:
        """The last committed value (None: an optional field left empty)."""
        return self._value

    def setValue(self, value: float | None) -> None:
        """Set and commit ``value`` programmatically (emits like a spin box, unless signals are blocked)."""
        self._error = ""
        changed = value != self._value
        self._value = value
        self._show()
        if changed:
            self._emit(value)

    def showValue(self, value: float | None, force: bool = False) -> None:
        """Show the document's ``value`` without emitting; text the user is typing or an error on show is kept
        unless ``force`` (e.g. another leg was selected)."""
        if not force and (self._error or (self.edit.isModified() and self.edit.hasFocus())):
            self._value = value
            return
        if force or value != self._value or self.edit.isModified():
            self._error = ""
            self._value = value
            self._show()

    def setSuffix(self, suffix: str) -> None:
        self.unit.setText(suffix.strip())

    def suffix(self) -> str:
        return self.unit.text()

    def setDecimals(self, decimals: int) -> None:
        if decimals != self._decimals:
            self._decimals = decimals
            if not self._error:
                self._show()

    def decimals(self) -> int:
        return self._decimals

    def setSingleStep(self, step: float) -> None:
        self._step = step

    def singleStep(self) -> float:
        return self._step

    def text(self) -> str:
        return self.edit.text()

    def error(self) -> str:
        """The refusal message on show ("" when the field holds its committed value)."""
        return self._error

    def setHint(self, hint: str, warn: bool = False, short: str = "") -> None:
        """Text for the message line when there is no error: grey (the allowed maximum), or orange when ``warn``.

        ``short``: what to show instead when ``hint`` does not fit the message line(s) whole (the
        tooltip still gives ``hint``); without it a hint too long is cut with an ellipsis.
        """
        if (hint, warn, short) != (self._hint, self._warn, self._short_hint):
            self._hint, self._warn, self._short_hint = hint, warn, short
            self._show_message()

    def setMessageLines(self, lines: int) -> None:
        """Reserve ``lines`` lines for the message (word-wrapped when more than one); the height never changes with the text."""
        self.message.set_lines(lines)
        self._show_message()

    def messageFits(self, text: str) -> bool:
        """True when ``text`` shows whole in the message line(s) at the label's current width."""
        return self.message.fits(text)

    def setProblem(self, problem: str) -> None:
        """A problem the document found with the committed value (shown unless a typing error is on show)."""
        if problem != self._problem:
            self._problem = problem
            self._show_message()

    def setToolTip(self, tip: str) -> None:
        self.edit.setToolTip(tip)

    def toolTip(self) -> str:
        return self.edit.toolTip()

    def setStyleSheet(self, sheet: str) -> None:
        """Applied to the entry (problem_marks.mark uses it for the red border)."""
        if sheet != self._style:
            self._style = sheet
            self._show_message()

    def styleSheet(self) -> str:
        return self.edit.styleSheet()

    # -- committing --------------------------------------------------------------
    def parse(self, text: str) -> float | None:
        """The value ``text`` denotes for this field, or NumberError with the message."""
        raw = text.strip()
        unit = self.unit.text()
        if unit and raw.lower().endswith(unit.lower()):
            raw = raw[: -len(unit)].strip()
        if raw.lower().endswith("%") and unit == "%":
            raw = raw[:-1].strip()
        if not raw and self._allow_empty:
            return None
        value = parse_number(raw, self.fmt)
        problem = range_problem(value, self._min, self._max, min_exclusive=self._min_excl)
        if problem:
            raise NumberError(f"{self._fmt(value)}: {problem}")
        return value

    def commit(self) -> bool:
        """Read the typed text; commit it, or show why not. True when the field holds a valid value."""
        if not self.edit.isModified() and not self._error:
            return True
        try:
            value = self.parse(self.edit.text())
        except NumberError as exc:
            self._error = str(exc)
            self._show_message()
            self.refused.emit(self._error)
            return False
        self._error = ""
        self.edit.setModified(False)
        changed = value != self._value
        self._value = value
        self._show()
        if changed:
            self._emit(value)
        return True

    def showRefused(self, text: str, message: str) -> None:
        """Show ``text`` (what the user typed) with ``message`` as an error: a value the field read but the
        document refused (e.g. a stop on the wrong side of the entry). Nothing typed is lost; Return commits
        it again, Escape returns to the committed value."""
        self.edit.setText(text)
        self._error = message
        self._show_message()

    def revert(self) -> None:
        """Drop the typed text and show the committed value again (Escape)."""
        self._error = ""
        self._show()

    def _emit(self, value: float | None) -> None:
        if value is not None:
            self.valueChanged.emit(float(value))
        self.committed.emit(value)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.edit and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and not self._error:
                base = self._value if self._value is not None else 0.0
                value = base + (self._step if key == Qt.Key.Key_Up else -self._step)
                if range_problem(value, self._min, self._max, min_exclusive=self._min_excl) is None:
                    self.setValue(round(value, 12))
                return True
            if key == Qt.Key.Key_Escape and (self._error or self.edit.isModified()):
                self.revert()
                return True
        return super().eventFilter(obj, event)

    # -- display -----------------------------------------------------------------
    def _fmt(self, value: float | None) -> str:
        """``value`` grouped, with the field's decimals, or more when needed to show it exactly (<= 10)."""
        if value is None:
            return ""
        d = self._decimals
        while d < 10 and not math.isclose(round(value, d), value, rel_tol=1e-12, abs_tol=0.0):
            d += 1
        rounded = round(value, d)
        text = f"{0.0 if rounded == 0 else rounded:,.{d}f}"
        if self.fmt.decimal != "." or self.fmt.group != ",":
            text = text.replace(",", "\0").replace(".", self.fmt.decimal).replace("\0", self.fmt.group)
        return text

    def _show(self) -> None:
        self.edit.setText(self._fmt(self._value))
        self.edit.setModified(False)
        self._show_message()

    def _show_message(self) -> None:
        text = self._error or self._problem
        style = ERROR_STYLE if text else WARN_STYLE if self._warn else HINT_STYLE
        self.message.show_message(text or self._hint, style, "" if text else self._short_hint)
        edit_style = _BAD_BORDER if self._error else self._style
        if self.edit.styleSheet() != edit_style:
            self.edit.setStyleSheet(edit_style)

    def messageText(self) -> str:
        """The whole message of the message line (error, document problem or hint)."""
        return self.message.full

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._show_message()
