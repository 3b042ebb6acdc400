"""GUI fixtures: the main window on the bundled example plan (offscreen)."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("pytestqt")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("POSITION_PLANNER_NO_DIALOG", "1")


@pytest.fixture
def example_plan():
    from planner.io.plan_files import load_plan
    from ui.document import EXAMPLE_PLAN

    return load_plan(EXAMPLE_PLAN)


@pytest.fixture
def window(qtbot, tmp_path, example_plan, monkeypatch):
    """MainWindow on the example plan.

    Until the bundled profile lists every symbol of the example (main is
    adding them), legs on unlisted symbols are dropped so figures exist.
    """
    from PySide6.QtCore import QCoreApplication, QSettings

    QCoreApplication.setOrganizationName("PositionPlannerTests")
    QCoreApplication.setApplicationName("tests")
    QSettings.setDefaultFormat(QSettings.IniFormat)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path))
    from planner.io.registry import get_profile
    from ui.document import PlanDocument
    from ui.main_window import MainWindow

    plan = example_plan
    prof = get_profile(plan.profile_id)
    legs = [p for p in plan.positions if p.symbol in prof.symbols]
    rates = {k: v for k, v in plan.funding_rates.items() if k in prof.symbols}
    plan = plan.model_copy(update={"positions": legs, "funding_rates": rates})
    win = MainWindow(PlanDocument(plan), restore=False)
    # pytest-qt closes the window before fixtures finalise: answer the
    # unsaved-changes prompt with "Discard" so teardown never blocks.
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.Discard))
    qtbot.addWidget(win)
    win.show()
    return win


@pytest.fixture
def type_in(qtbot):
    """``type_in(field, "97,123.5")``: focus a NumberEdit (or line edit), select all, type, press Return.

    Drives the widget like a user: keystrokes only, so what the field commits
    is what a person typing the same keys would get.
    """
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit

    def _type(field, text: str, key=Qt.Key_Return) -> None:
        edit = field if isinstance(field, QLineEdit) else field.edit
        # Under load the window may not be active yet: a Tab then moves no focus and the
        # field never finishes editing. A user types into a focused field, so wait for it.
        edit.setFocus()
        if edit.isVisible():

            def focused() -> bool:
                # Ask again on every poll: a request made while another window was
                # closing can be dropped by the platform (seen offscreen under load).
                if not edit.hasFocus():
                    top = edit.window()
                    top.activateWindow()
                    if top.windowHandle() is not None:
                        top.windowHandle().requestActivate()
                    edit.setFocus()
                return edit.hasFocus()

            qtbot.waitUntil(focused, timeout=15000)
        qtbot.keyClick(edit, Qt.Key_A, Qt.ControlModifier)
        qtbot.keyClick(edit, Qt.Key_Delete)
        if text:
            qtbot.keyClicks(edit, text)
        qtbot.keyClick(edit, key)

    return _type


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("POSITION_PLANNER_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def empty_window(qtbot, data_dir):
    """A window on a new, empty plan (no example loaded), its user data in ``data_dir``."""
    from ui.document import PlanDocument
    from ui.main_window import MainWindow

    win = MainWindow(PlanDocument(), restore=False)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.document.undo_stack.setClean()


@pytest.fixture
def choose_in(qtbot):
    """``choose_in(combo, data)``: arrow keys on the focused, closed combo until the item with ``data`` is chosen.

    A user stepping through the list: every key is a choice the window reacts to (a venue switch each).
    """
    from PySide6.QtCore import Qt

    def _choose(combo, data) -> None:
        target = combo.findData(data)
        assert target >= 0, data
        combo.setFocus()
        key = Qt.Key_Down if target > combo.currentIndex() else Qt.Key_Up
        while combo.currentIndex() != target:
            qtbot.keyClick(combo, key)

    return _choose


@pytest.fixture
def doge_window(window, tmp_path):
    """The example plan plus a DOGEUSDT short, opened from a file: Kraken lists no DOGE perpetual."""
    import json
    from pathlib import Path

    from ui.document import EXAMPLE_PLAN

    data = json.loads(Path(EXAMPLE_PLAN).read_text(encoding="utf-8"))
    data["positions"].append(
        {
            "symbol": "DOGEUSDT",
            "side": "short",
            "quantity": 10000,
            "entry_price": 0.2,
            "mark_price": 0.21,
            "leverage": 5,
            "margin_mode": "cross",
        }
    )
    path = tmp_path / "doge.plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    window.document.load(path)
    return window
