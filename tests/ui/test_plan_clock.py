"""Plan clock (UTC) in the Plan dock: the plan's ``as_of``, typed like a user, drives what the window shows.

Every figure asserted is the engine's for the plan on screen (``funding_curves``,
``evaluate``), and the settlement times are the venue's: 8 h Binance symbols
settle at 00:00, 08:00 and 16:00 UTC, so from 2026-12-20 09:30 UTC the first
settlement is 6.5 h later (16:00), then 14.5 h (00:00), 22.5 h (08:00), ...
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from planner.engine.curves import funding_curves
from planner.engine.evaluate import evaluate
from planner.io.plan_files import load_plan
from ui.widgets.clock_edit import ClockError, format_clock, parse_clock

ROOT = Path(__file__).resolve().parents[2]
DATED = ROOT / "examples" / "dated-roll.plan.json"
CLOCK = datetime(2026, 12, 20, 9, 30, tzinfo=UTC)


def _action(window, menu: str, text: str):
    for act in window.menu(menu).actions():
        if act.text().replace("&", "").startswith(text):
            return act
    raise AssertionError(f"{menu} › {text} not found")


def _settlements(window) -> np.ndarray:
    return np.asarray(window.equity_plot.settlements.getData()[0], dtype=float)


def _engine_settlements(doc) -> np.ndarray:
    c = funding_curves(doc.plan, doc.profile, horizon_hours=doc.plan.horizon_hours, currency=doc.figures.funding.currency)
    return c.settlement_hours


# -- parsing (pure) ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2026-12-20 09:30", CLOCK),
        ("2026-12-20T09:30Z", CLOCK),
        (" 2026-12-20  09:30 UTC ", CLOCK),
        ("2026-12-20 09:30+00:00", CLOCK),
        ("2026-12-20", datetime(2026, 12, 20, tzinfo=UTC)),
        ("2026-12-20 9:05:07", datetime(2026, 12, 20, 9, 5, 7, tzinfo=UTC)),
        ("now", None),
        ("", None),
    ],
)
def test_parse_clock_reads_utc_times_and_now(text: str, want: datetime | None) -> None:
    assert parse_clock(text) == want


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("20/12/2026 09:30", "is not a date and time"),
        ("tomorrow", "is not a date and time"),
        ("2026-13-20 09:30", "month must be in 1..12"),
        ("2026-12-20 24:00", "hour must be in 0..23"),
        ("2026-12-20 09:30+02:00", "write 2026-12-20 07:30 for that moment"),  # never shifted by a zone silently
        ("1999-12-31 23:00", "outside the years 2000-2099"),
    ],
)
def test_parse_clock_refuses_with_the_reason_and_what_is_allowed(text: str, why: str) -> None:
    with pytest.raises(ClockError) as exc:
        parse_clock(text)
    assert why in str(exc.value) and text.split()[0] in str(exc.value)


def test_format_clock_round_trips() -> None:
    assert format_clock(CLOCK) == "2026-12-20 09:30"
    assert format_clock(datetime(2026, 12, 20, 9, 30, 15, tzinfo=UTC)) == "2026-12-20 09:30:15"
    assert format_clock(None) == ""
    assert parse_clock(format_clock(CLOCK)) == CLOCK


# -- the field in the window -------------------------------------------------------------------------
def test_typed_clock_moves_settlements_names_the_axis_and_undo_restores_now(window, type_in, qtbot) -> None:
    doc = window.document
    clock = window.account_panel.clock
    assert doc.plan.as_of is None and clock.text() == "" and "wall clock" in clock.messageText()
    assert not clock.now.isEnabled()
    before = _settlements(window)
    assert before[:3].tolist() == [8.0, 16.0, 24.0]  # no as_of: hour 0 taken as 00:00 UTC
    assert window.equity_plot.plot.getAxis("bottom").labelText == "Hours from now"

    type_in(clock.edit, "2026-12-20 09:30")
    assert doc.plan.as_of == CLOCK
    assert clock.text() == "2026-12-20 09:30" and clock.error() == "" and clock.now.isEnabled()
    shown = _settlements(window)
    assert shown[:4].tolist() == [6.5, 14.5, 22.5, 30.5]
    np.testing.assert_array_equal(shown, _engine_settlements(doc))
    assert window.equity_plot.plot.getAxis("bottom").labelText == "Hours from 2026-12-20 09:30 UTC"
    assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "Set plan clock 2026-12-20 09:30 UTC"

    _action(window, "Edit", "Undo").trigger()
    assert doc.plan.as_of is None and clock.text() == "" and "wall clock" in clock.messageText()
    assert _settlements(window)[:3].tolist() == [8.0, 16.0, 24.0]
    assert window.equity_plot.plot.getAxis("bottom").labelText == "Hours from now"
    _action(window, "Edit", "Redo").trigger()
    assert clock.text() == "2026-12-20 09:30" and _settlements(window)[0] == 6.5


def test_clock_commits_when_editing_finishes_not_per_keystroke(window, qtbot) -> None:
    doc = window.document
    edit = window.account_panel.clock.edit
    edit.setFocus()
    qtbot.keyClicks(edit, "2026-12-20")  # already a valid clock (00:00): still not committed while typing
    assert doc.plan.as_of is None and doc.undo_stack.count() == 0
    qtbot.keyClicks(edit, " 09:30")
    qtbot.keyClick(edit, Qt.Key_Tab)
    assert doc.plan.as_of == CLOCK and doc.undo_stack.count() == 1


def test_now_button_clears_the_clock_in_one_undo_step(window, type_in, qtbot) -> None:
    doc = window.document
    clock = window.account_panel.clock
    type_in(clock.edit, "2026-12-20 09:30")
    qtbot.mouseClick(clock.now, Qt.LeftButton)
    assert doc.plan.as_of is None and clock.text() == "" and not clock.now.isEnabled()
    assert doc.undo_stack.count() == 2 and doc.undo_stack.undoText() == "Follow the wall clock"
    assert _settlements(window)[0] == 8.0
    _action(window, "Edit", "Undo").trigger()
    assert doc.plan.as_of == CLOCK and clock.text() == "2026-12-20 09:30"


def test_up_down_move_a_set_clock_by_an_hour(window, type_in, qtbot) -> None:
    doc = window.document
    clock = window.account_panel.clock
    type_in(clock.edit, "2026-12-20 09:30")
    qtbot.keyClick(clock.edit, Qt.Key_Up)
    assert doc.plan.as_of == datetime(2026, 12, 20, 10, 30, tzinfo=UTC) and clock.text() == "2026-12-20 10:30"
    assert _settlements(window)[0] == 5.5


def test_invalid_clock_shows_the_message_keeps_the_text_and_commits_nothing(window, type_in, qtbot) -> None:
    doc = window.document
    clock = window.account_panel.clock
    figures = doc.figures
    type_in(clock.edit, "2026-12-32 09:30")
    assert clock.text() == "2026-12-32 09:30"  # nothing typed is lost
    assert clock.error().startswith("Plan clock: '2026-12-32 09:30': day is out of range for month")
    assert "allowed: UTC 2026-12-20 09:30" in clock.messageText()
    assert "border: 2px solid" in clock.edit.styleSheet()
    assert doc.plan.as_of is None and doc.undo_stack.count() == 0 and doc.figures is figures
    type_in(clock.edit, "09:30 tomorrow")
    assert clock.text() == "09:30 tomorrow" and "is not a date and time" in clock.error()
    # Fixing it commits; the message goes back to the hint.
    qtbot.keyClick(clock.edit, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(clock.edit, "2026-12-20 09:30")
    qtbot.keyClick(clock.edit, Qt.Key_Return)
    assert doc.plan.as_of == CLOCK and clock.error() == "" and "Fixed clock" in clock.messageText()
    assert clock.edit.styleSheet() == ""
    # Escape drops a refused text and shows the committed clock.
    type_in(clock.edit, "2026-12-20 09:30+02:00")
    assert "write 2026-12-20 07:30" in clock.error() and doc.plan.as_of == CLOCK
    qtbot.keyClick(clock.edit, Qt.Key_Escape)
    assert clock.text() == "2026-12-20 09:30" and clock.error() == ""


def test_now_drops_a_refused_text_without_an_undo_step(window, type_in, qtbot) -> None:
    doc = window.document
    clock = window.account_panel.clock
    type_in(clock.edit, "next friday")
    assert clock.now.isEnabled() and clock.error()
    qtbot.mouseClick(clock.now, Qt.LeftButton)
    assert clock.text() == "" and clock.error() == "" and doc.undo_stack.count() == 0 and doc.plan.as_of is None


def test_message_line_keeps_its_height(window, type_in) -> None:
    clock = window.account_panel.clock
    height = clock.message.height()
    type_in(clock.edit, "2026-12-32 09:30")
    assert clock.message.height() == height and clock.error()
    assert clock.message.toolTip() == clock.error()  # the whole message, even if cut on screen


def test_clock_is_saved_survives_a_venue_switch_and_new_open(window, type_in, choose_in, tmp_path) -> None:
    doc = window.document
    clock = window.account_panel.clock
    type_in(clock.edit, "2026-12-20 09:30")
    choose_in(window.profile_selector.combo, "okx")
    assert doc.plan.profile_id == "okx" and doc.plan.as_of == CLOCK and clock.text() == "2026-12-20 09:30"
    np.testing.assert_array_equal(_settlements(window), _engine_settlements(doc))

    target = tmp_path / "clock.plan.json"
    doc.save(target)
    assert json.loads(target.read_text())["as_of"].startswith("2026-12-20T09:30:00")
    assert load_plan(target).as_of == CLOCK

    _action(window, "File", "New").trigger()
    assert doc.plan.as_of is None and clock.text() == ""
    assert window.open_path(target)
    assert clock.text() == "2026-12-20 09:30" and doc.plan.as_of == CLOCK


def test_open_replaces_refused_text_with_the_files_clock(window, type_in, tmp_path) -> None:
    clock = window.account_panel.clock
    type_in(clock.edit, "soon")
    assert clock.error()
    path = tmp_path / "dated.plan.json"
    shutil.copy(DATED, path)
    assert window.open_path(path)
    assert clock.text() == "2026-12-20 08:00" and clock.error() == ""


def test_dated_plan_time_to_expiry_and_roll_follow_the_clock(window, type_in, qtbot, tmp_path) -> None:
    path = tmp_path / "dated.plan.json"
    shutil.copy(DATED, path)
    assert window.open_path(path)
    doc = window.document
    clock = window.account_panel.clock
    assert clock.text() == "2026-12-20 08:00"
    window.positions_table.select(0)
    form = window.position_form

    type_in(clock.edit, "2026-12-22 20:00")
    assert doc.plan.as_of == datetime(2026, 12, 22, 20, 0, tzinfo=UTC)
    ev = evaluate(doc.plan, doc.profile)
    d = ev.dated_for(0)
    assert d is not None and d.hours_to_expiry == pytest.approx(60.0)  # 2026-12-25 08:00 UTC expiry, 2.5 days on
    assert f"{d.days_to_expiry:,.2f} days from the {ev.clock}" in form.expiry.text()
    assert "2.50 days from the plan as_of 2026-12-22 20:00 UTC" in form.expiry.text()
    # The equity plot's expiry marker and sentence: the engine's step, hours from the new clock.
    curves = funding_curves(doc.plan, doc.profile, horizon_hours=doc.plan.horizon_hours, currency=doc.figures.funding.currency)
    steps = curves.expiry_steps
    assert [st.hour for st in steps] == [pytest.approx(60.0)]
    marks = window.equity_plot.expiry_marks.getData()[0]
    assert marks.tolist() == [st.hour for st in steps]
    info = window.equity_plot.info.text()
    assert f"settles and rolls at {steps[0].hour:,.1f} h" in info and "60.0 h" in info
    assert doc.evaluation.dated_for(0).rollover_cost == pytest.approx(d.rollover_cost)

    # A clock past the expiry: the leg says why at its symbol; the clock itself is fine.
    type_in(clock.edit, "2026-12-26 00:00")
    assert any("expired 2026-12-25 08:00 UTC" in p.message for p in doc.problems_at("positions.0.symbol"))
    assert clock.error() == "" and clock.text() == "2026-12-26 00:00"


def test_calendar_picks_the_day_and_keeps_the_time_of_day(window, type_in, qtbot) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QTableView

    doc = window.document
    clock = window.account_panel.clock
    type_in(clock.edit, "2026-12-20 09:30")
    view = clock.calendar.findChild(QTableView)
    seen: list[bool] = []

    def choose() -> None:  # inside the open popup: one day on with the arrow key, Return picks it
        seen.append(clock.pick_menu.isVisible())
        qtbot.keyClick(view, Qt.Key_Right)
        qtbot.keyClick(view, Qt.Key_Return)

    QTimer.singleShot(200, choose)
    qtbot.mouseClick(clock.pick, Qt.LeftButton)  # the menu runs its own loop until a day is picked
    qtbot.waitUntil(lambda: doc.plan.as_of != CLOCK, timeout=5000)
    assert seen == [True]
    assert doc.plan.as_of == datetime(2026, 12, 21, 9, 30, tzinfo=UTC) and clock.text() == "2026-12-21 09:30"
    assert not clock.pick_menu.isVisible() and doc.undo_stack.count() == 2
    assert _settlements(window)[0] == 6.5  # the same time of day: the same settlement times


def test_tooltip_says_what_the_clock_drives(window) -> None:
    tip = window.account_panel.clock.toolTip()
    for words in ("UTC", "Funding settlements", "6.5 h later", "time to expiry", "Hours from", "wall clock", "Saved in the plan file"):
        assert words in tip, words
