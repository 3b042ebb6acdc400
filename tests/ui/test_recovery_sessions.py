"""Issue 15 item 14 in the window: every crashed session is offered, none is
deleted without the user's choice, and an edit with problems is autosaved too."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planner.io.plan_files import load_plan
from planner.io.recovery import recoverable_sessions, write_autosave

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "btc-10x-isolated.plan.json"


@pytest.fixture
def window(empty_window):
    """These tests start from a new, empty plan with their own user data folder."""
    return empty_window


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


class ScriptedBox:
    """Stands in for QMessageBox: presses the buttons named in ``script``, one box after another."""

    from PySide6.QtWidgets import QMessageBox

    ButtonRole = QMessageBox.ButtonRole
    script: list[str] = []
    texts: list[str] = []
    formats: list[object] = []

    def __init__(self, *a, **k) -> None:
        self._buttons: list[str] = []

    def setWindowTitle(self, t) -> None: ...
    def setInformativeText(self, t) -> None: ...

    def setTextFormat(self, f) -> None:
        ScriptedBox.formats.append(f)

    def setText(self, t) -> None:
        ScriptedBox.texts.append(t)

    def addButton(self, text, role):
        self._buttons.append(text)
        return text

    def exec(self) -> int:
        return 0

    def clickedButton(self):
        wanted = ScriptedBox.script.pop(0)
        assert wanted in self._buttons
        return wanted


def _two_crashed_sessions() -> None:
    plan = load_plan(EXAMPLE)
    write_autosave(plan.model_copy(update={"name": "older <b>work</b>"}), None, pid=_dead_pid())
    time.sleep(0.01)
    write_autosave(plan.model_copy(update={"name": "newer work"}), "/tmp/n.plan.json", pid=_dead_pid())


def test_keep_for_later_then_restore_the_older(window, monkeypatch) -> None:
    from PySide6.QtCore import Qt

    from ui.files import recovery as file_features

    _two_crashed_sessions()
    monkeypatch.setattr(file_features, "QMessageBox", ScriptedBox)
    ScriptedBox.script, ScriptedBox.texts, ScriptedBox.formats = ["Keep for later", "Restore"], [], []
    got = file_features.offer_recovery(window)
    assert got is not None and got[0].name == "older <b>work</b>"
    assert "(unsaved session 1 of 2)" in ScriptedBox.texts[0] and "newer work" in ScriptedBox.texts[0]
    assert "(unsaved session 2 of 2)" in ScriptedBox.texts[1]
    assert ScriptedBox.formats == [Qt.TextFormat.PlainText] * 2  # 16: the plan name is shown as typed
    # The one kept for later is still offered next time; the restored one is gone.
    assert [r.plan.name for r in recoverable_sessions()] == ["newer work"]


def test_discard_is_explicit_and_keep_keeps_everything(window, monkeypatch) -> None:
    from ui.files import recovery as file_features

    _two_crashed_sessions()
    monkeypatch.setattr(file_features, "QMessageBox", ScriptedBox)
    ScriptedBox.script = ["Keep for later", "Keep for later"]
    assert file_features.offer_recovery(window) is None
    assert len(recoverable_sessions()) == 2
    ScriptedBox.script = ["Discard", "Keep for later"]
    assert file_features.offer_recovery(window) is None
    assert [r.plan.name for r in recoverable_sessions()] == ["older <b>work</b>"]


def test_edit_with_problems_is_autosaved(window, data_dir) -> None:
    doc = window.document
    assert doc.update_position(0, "edit", leverage=1000.0) is False  # beyond the tier's maximum: a draft with problems
    assert doc.problems and not doc.is_dirty()
    window.autosave.tick()
    written = window.autosave.last_written
    assert written is not None and written.exists()
    saved = json.loads(written.read_text())
    assert saved["plan"]["positions"][0]["leverage"] == 1000.0


def test_labels_showing_user_text_are_plain_text(window) -> None:
    """16: a profile name or settle currency with markup is shown as typed, never rendered."""
    from PySide6.QtCore import Qt

    labels = [window.status_profile, window.results.thresholds] if hasattr(window, "results") else [window.status_profile]
    for label in labels:
        assert label.textFormat() == Qt.TextFormat.PlainText
    window.status_profile.setText("Profile: <b>evil</b>")
    assert window.status_profile.text() == "Profile: <b>evil</b>"


def test_import_tiers_into_unusable_user_data_folder_says_so(window, tmp_path, monkeypatch) -> None:
    """5: the user data folder cannot be created; the window explains instead of raising."""
    from ui.files import profiles as file_features

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("POSITION_PLANNER_DATA_DIR", str(blocker / "data"))
    warned: list[str] = []
    monkeypatch.setattr(file_features.QMessageBox, "warning", staticmethod(lambda parent, title, text: warned.append(text)))
    sample = ROOT / "tests" / "data" / "importers" / "binance-leverageBracket.json"
    assert file_features.import_tiers_dialog(window, window.document, str(sample), save=True) is None
    assert len(warned) == 1 and f"the user data folder {blocker / 'data'} cannot be used" in warned[0]
