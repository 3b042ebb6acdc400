"""ClockEdit: the plan's clock (``Plan.as_of``, UTC), typed as "2026-12-20 09:30" or left on "now".

An empty field means the plan has no ``as_of``: its clock is the wall clock
at each evaluation (funding then takes hour 0 as 00:00 UTC). The field commits
when editing finishes (Return, Tab, leaving it; the "Now" button clears it),
never on a keystroke. Text it cannot read is refused with a one-line message
under the field naming what is allowed; the typed text stays as typed until
the user fixes it or presses Escape. Up/Down move a set clock by one hour;
the calendar button (down arrow) picks the day and keeps the time of day.

The text is read by :func:`planner.model.clock.parse_clock` (the CLI's ``--as-of`` uses the same parser).
Accepted (all UTC): ``YYYY-MM-DD HH:MM`` (also with ``T`` between date and
time, with seconds, with a trailing ``UTC``, ``Z`` or ``+00:00``) and
``YYYY-MM-DD`` (00:00 UTC); ``now`` or nothing = follow the wall clock. A time
with another UTC offset is refused with the UTC time it denotes, so a clock
never moves by a time zone without the user seeing it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDate, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QCalendarWidget,
    QLineEdit,
    QMenu,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from planner.model.clock import ALLOWED as ALLOWED
from planner.model.clock import EARLIEST as EARLIEST
from planner.model.clock import LATEST as LATEST
from planner.model.clock import ClockError as ClockError
from planner.model.clock import format_clock as format_clock
from planner.model.clock import parse_clock as parse_clock
from planner.model.dated import as_utc
from ui.widgets.field_message import FieldMessage, lay_out_field
from ui.widgets.number_edit import _BAD_BORDER, ERROR_STYLE, HINT_STYLE

MESSAGE_LINES = 3  # reserved under the field: the form never jumps when a message comes or goes


class ClockEdit(QWidget):
    """One UTC clock or "now" (None), with a calendar button, a Now button and a message line.

    The form row's label says UTC ("Plan clock (UTC)"); the field has no unit of its own so the
    Plan dock keeps its width.
    """

    committed = Signal(object)  # datetime | None: a commit that changes the value (None: back to now)
    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._value: datetime | None = None
        self._error = ""
        self._problem = ""
        self.edit = QLineEdit()
        self.edit.setObjectName("plan-clock")
        self.edit.setPlaceholderText("now (wall clock)")
        # A full date and time always shows whole (the dock may be narrow).
        self.edit.setMinimumWidth(self.edit.fontMetrics().horizontalAdvance("2026-12-20 09:30") + 14)
        self.now = QToolButton()
        self.now.setText("Now")
        self.now.setObjectName("plan-clock-now")
        self.now.setToolTip("Follow the wall clock again (clear the plan's as_of); one undo step")
        self.now.clicked.connect(self.clear)
        # Pick a day from a calendar: keeps the clock's time of day (00:00 UTC when it was "now").
        self.calendar = QCalendarWidget()
        self.calendar.setObjectName("plan-clock-calendar")
        self.calendar.setMinimumDate(QDate(EARLIEST.year, EARLIEST.month, EARLIEST.day))
        self.calendar.setMaximumDate(QDate(LATEST.year, LATEST.month, LATEST.day))
        self.calendar.setGridVisible(True)
        self.calendar.setToolTip("Click a day (or Return): the plan clock moves to it at the same UTC time of day")
        self.calendar.activated.connect(self._picked)
        self.calendar.clicked.connect(self._picked)
        self.pick_menu = QMenu(self)
        pick_action = QWidgetAction(self.pick_menu)
        pick_action.setDefaultWidget(self.calendar)
        self.pick_menu.addAction(pick_action)
        self.pick_menu.aboutToShow.connect(self._calendar_to_value)
        self.pick = QToolButton()
        self.pick.setObjectName("plan-clock-pick")
        self.pick.setArrowType(Qt.ArrowType.DownArrow)  # like a date edit's popup button
        self.pick.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0px; }")
        self.pick.setToolTip("Pick the day from a calendar (UTC); the time of day stays, 00:00 when the clock was now")
        self.pick.setMenu(self.pick_menu)
        self.pick.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.message = FieldMessage(MESSAGE_LINES)
        self.message.setObjectName("plan-clock-message")
        lay_out_field(self, self.edit, [self.pick, self.now], self.message)
        self.edit.editingFinished.connect(self.commit)
        self.edit.installEventFilter(self)
        self._show()

    def value(self) -> datetime | None:
        """The committed clock (UTC), None = now."""
        return self._value

    def text(self) -> str:
        return self.edit.text()

    def error(self) -> str:
        return self._error

    def messageText(self) -> str:
        """The whole message under the field (error, document problem or hint), even when it is shown cut."""
        return self.message.full

    def setToolTip(self, tip: str) -> None:
        self.edit.setToolTip(tip)

    def toolTip(self) -> str:
        return self.edit.toolTip()

    def setProblem(self, problem: str) -> None:
        """A problem the document found with the committed clock (shown unless a typing error is on show)."""
        if problem != self._problem:
            self._problem = problem
            self._show_message()

    def showValue(self, value: datetime | None, force: bool = False) -> None:
        """Show the document's clock without emitting. Typed text on show (an error, or typing in progress)
        is kept unless ``force`` or the document's clock changed (undo, redo, New, Open)."""
        value = as_utc(value) if value is not None else None
        if value == self._value and not force and (self._error or self.edit.isModified()):
            return
        if force or value != self._value or self.edit.text() != format_clock(value):
            self._value = value
            self._error = ""
            self._show()

    def commit(self) -> bool:
        """Read the typed text; commit it (emit ``committed`` when it changes), or show why not."""
        if not self.edit.isModified() and not self._error:
            return True
        try:
            value = parse_clock(self.edit.text())
        except ClockError as exc:
            self._error = f"Plan clock: {exc}"
            self._show_message()
            self.refused.emit(self._error)
            return False
        self._error = ""
        changed = value != self._value
        self._value = value
        self._show()
        if changed:
            self.committed.emit(value)
        return True

    def clear(self) -> None:
        """Back to "now" (no as_of), as one commit."""
        self.edit.setText("")
        self.edit.setModified(True)
        self._error = ""
        self.commit()

    def _calendar_to_value(self) -> None:
        """Open the calendar on the clock's day (today, UTC, when it follows the wall clock)."""
        day = self._value if self._value is not None else datetime.now(UTC)
        self.calendar.setSelectedDate(QDate(day.year, day.month, day.day))

    def _picked(self, day: QDate) -> None:
        """A day picked in the calendar: commit it at the clock's time of day (00:00 UTC from "now")."""
        self.pick_menu.hide()
        base = self._value if self._value is not None else datetime(day.year(), day.month(), day.day(), tzinfo=UTC)
        when = base.replace(year=day.year(), month=day.month(), day=day.day())
        self.edit.setText(format_clock(when))
        self.edit.setModified(True)
        self._error = ""
        self.commit()

    def revert(self) -> None:
        """Drop the typed text and show the committed clock again (Escape)."""
        self._error = ""
        self._show()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.edit and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and not self._error and not self.edit.isModified() and self._value is not None:
                step = timedelta(hours=1 if key == Qt.Key.Key_Up else -1)
                if EARLIEST <= self._value + step <= LATEST:
                    self._value += step
                    self._show()
                    self.committed.emit(self._value)
                return True
            if key == Qt.Key.Key_Escape and (self._error or self.edit.isModified()):
                self.revert()
                return True
        return super().eventFilter(obj, event)

    def _show(self) -> None:
        self.edit.setText(format_clock(self._value))
        self.edit.setModified(False)
        self.edit.setCursorPosition(0)
        self._show_message()

    def _show_message(self) -> None:
        text = self._error or self._problem
        if text:
            shown = text
        elif self._value is None:
            shown = "Following the wall clock (now). Type a UTC time, e.g. 2026-12-20 09:30, to plan ahead."
        else:
            shown = "Fixed clock: funding and expiries count from it; Now follows the wall clock again."
        self.message.show_message(shown, ERROR_STYLE if text else HINT_STYLE)
        self.now.setEnabled(self._value is not None or bool(self._error))  # Now also drops a refused text
        edit_style = _BAD_BORDER if self._error else ""
        if self.edit.styleSheet() != edit_style:
            self.edit.setStyleSheet(edit_style)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._show_message()
