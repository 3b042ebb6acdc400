"""Autosave and recovery with a killed GUI process, snapshot check, exports,
tier import and the profile editor."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from planner.engine.evaluate import evaluate
from planner.io.plan_files import load_plan
from planner.io.recovery import recoverable_sessions
from planner.present.exports import positions_csv

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def window(empty_window):
    """These tests start from a new, empty plan with their own user data folder."""
    return empty_window


GUI_EDIT_AND_WAIT = """
import sys, time
from PySide6.QtWidgets import QApplication
app = QApplication([])
from ui.document import PlanDocument
from ui.main_window import MainWindow
win = MainWindow(PlanDocument(), restore=False)
win.autosave.timer.setInterval(300)
win.show()
win.document.update_position(0, "edit", entry_price=51234.5)
t0 = time.time()
while time.time() - t0 < 1.5:
    app.processEvents()
    time.sleep(0.02)
print("edited", flush=True)
while True:
    app.processEvents()
    time.sleep(0.05)
"""


def test_autosave_recovers_after_kill_9_of_the_app(data_dir) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "POSITION_PLANNER_DATA_DIR": str(data_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-c", GUI_EDIT_AND_WAIT], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "edited"
        assert recoverable_sessions() == []  # the session is alive: nothing to offer yet
    finally:
        proc.kill()  # SIGKILL mid-session
        proc.wait()
        proc.stdout.close()
    found = recoverable_sessions()
    assert len(found) == 1
    assert found[0].plan.positions[0].entry_price == 51234.5


def test_autosave_tick_writes_only_when_dirty(window, data_dir) -> None:
    auto = window.autosave
    auto.tick()
    assert auto.last_written is None
    window.document.update_position(0, "edit", quantity=2.0)
    auto.tick()
    assert auto.last_written is not None and auto.last_written.exists()
    window.document.undo_stack.setClean()
    assert not auto.last_written.exists()  # saved: the recovery copy goes


class FakeBox:
    """Stands in for QMessageBox: records the text and presses the first added button."""

    ButtonRole = QMessageBox.ButtonRole
    shown: list[str] = []

    def __init__(self, *a, **k) -> None:
        self._buttons = []

    def setWindowTitle(self, t) -> None: ...
    def setInformativeText(self, t) -> None: ...
    def setDetailedText(self, t) -> None: ...
    def setTextFormat(self, f) -> None: ...

    def setText(self, t) -> None:
        FakeBox.shown.append(t)

    def addButton(self, text, role):
        self._buttons.append(text)
        return text

    def exec(self) -> int:
        return 0

    def clickedButton(self):
        return self._buttons[0]


def test_save_embeds_snapshot_and_drift_is_reported(window, tmp_path, monkeypatch) -> None:
    from planner.io.plan_files import save_plan
    from planner.model.profile import ExchangeProfile
    from ui.files import profiles as file_profiles

    doc = window.document
    path = tmp_path / "p.plan.json"
    doc.save(path)
    saved = load_plan(path)
    assert isinstance(saved.profile, ExchangeProfile) and saved.profile == doc.profile
    # The bundled profile "changed" after saving: the saved copy has another liquidation fee.
    old = saved.profile.model_copy(update={"fees": saved.profile.fees.model_copy(update={"liquidation": 0.02})})
    save_plan(saved.model_copy(update={"profile": old}), path)
    monkeypatch.setattr(file_profiles, "QMessageBox", FakeBox)
    FakeBox.shown.clear()
    assert window.open_path(path)
    assert "saved with an older copy" in FakeBox.shown[-1]
    assert doc.plan.profile == "binance-usdm"  # switched to the current profile (undoable)
    doc.undo_stack.undo()
    assert doc.plan.profile == old


def test_offer_recovery_restores_and_cleans(window, data_dir, monkeypatch) -> None:
    from planner.io.recovery import write_autosave
    from ui.files import recovery

    plan = load_plan(ROOT / "resources/examples/btc-10x-isolated.plan.json").model_copy(update={"name": "crashed work"})
    write_autosave(plan, "/tmp/x.plan.json", pid=999999)  # a pid that is not running
    monkeypatch.setattr(recovery, "QMessageBox", FakeBox)
    got = recovery.offer_recovery(window)
    assert got is not None and got[0].name == "crashed work" and got[1] == "/tmp/x.plan.json"
    assert recoverable_sessions() == []


def test_exports(window, tmp_path) -> None:
    from ui.files import exports

    doc = window.document
    csv_path = exports.export_positions_csv(window, doc, tmp_path / "pos.csv")
    assert csv_path.read_text() == positions_csv(evaluate(doc.plan, doc.profile))
    grid = exports.export_grid_csv(window, doc, tmp_path / "grid.csv")
    assert len(grid.read_text().splitlines()) == 2001
    pngs = exports.export_plot_pngs(window, window.plot_widgets(), tmp_path)
    assert [p.name for p in pngs] == ["liquidation-plot.png", "equity-plot.png", "payoff-plot.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    pdf = exports.export_report(window, doc, tmp_path / "r.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20000


def test_report_command(tmp_path) -> None:
    out = tmp_path / "report.pdf"
    res = subprocess.run(
        [sys.executable, "-m", "ui", "report", "resources/examples/btc-10x-isolated.plan.json", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert out.read_bytes()[:5] == b"%PDF-"
    bad = subprocess.run(
        [sys.executable, "-m", "ui", "report", str(tmp_path / "missing.plan.json"), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=120,
    )
    assert bad.returncode == 2 and "file not found" in bad.stderr and "Traceback" not in bad.stderr


def test_import_tiers_dialog_saves_user_profile(window, data_dir) -> None:
    from ui.files import profiles as file_profiles

    updated = file_profiles.import_tiers_dialog(
        window, window.document, str(ROOT / "tests/data/importers/binance-leverageBracket.json"), save=True
    )
    assert updated is not None
    assert (data_dir / "profiles" / "binance-usdm.json").exists()
    assert window.document.user_profiles["binance-usdm"].version == updated.version


def test_profile_editor_validates(window) -> None:
    from ui.dialogs.profile_editor import ProfileEditor

    dlg = ProfileEditor(window.document.profile, window)
    dlg.table.item(1, 4).setText("12345")  # a maintenance amount off the recurrence
    edited = dlg.build()  # used as published (issue 12 item 8), with a warning naming the tier
    assert edited is not None and edited.symbols["BTCUSDT"].tiers[1].maintenance_amount == 12345
    assert "symbols.BTCUSDT.tiers.2.maintenance_amount 12,345 does not follow the recurrence" in dlg.error.text()
    dlg._recompute()
    prof = dlg.build()
    assert prof is not None and prof.symbols["BTCUSDT"].tiers == window.document.profile.symbols["BTCUSDT"].tiers
    dlg.table.item(2, 0).setText("abc")
    assert dlg.build() is None and "is not a number" in dlg.error.text()


def test_exports_to_bad_destinations_tell_the_user(window, tmp_path, monkeypatch) -> None:
    """Issue 15 item 15: CSV exports on a bad destination and a failed PNG export show a message, never raise or stay silent."""
    from ui.files import exports

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(exports.QMessageBox, "warning", staticmethod(lambda parent, title, text: shown.append((title, text))))
    doc = window.document
    missing = tmp_path / "missing"
    assert exports.export_positions_csv(window, doc, missing / "pos.csv") is None
    assert shown[-1][0] == "Cannot write positions" and str(missing / "pos.csv") in shown[-1][1] and "does not exist" in shown[-1][1]
    assert exports.export_grid_csv(window, doc, tmp_path) is None  # a folder as target
    assert shown[-1][0] == "Cannot write price grid" and "is a folder" in shown[-1][1]
    assert exports.export_plot_pngs(window, window.plot_widgets(), missing) == []
    assert shown[-1][0] == "Cannot write plot images"
    assert "liquidation-plot.png" in shown[-1][1] and "equity-plot.png" in shown[-1][1]
    assert len(shown) == 3 and not missing.exists()
    # The menu entry goes through the same path (file dialog answered with a folder).
    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(tmp_path), "")))
    export_menu = next(a.menu() for a in window.menu("File").actions() if a.menu() is not None and a.text() == "&Export")
    next(a for a in export_menu.actions() if a.text().startswith("Positions")).trigger()
    assert shown[-1][0] == "Cannot write positions" and "is a folder" in shown[-1][1]


def test_grid_export_without_curves_says_why(window, tmp_path, monkeypatch) -> None:
    from ui.files import exports

    told: list[str] = []
    monkeypatch.setattr(exports.QMessageBox, "information", staticmethod(lambda parent, title, text: told.append(text)))
    window.document.set_focus(None)
    assert exports.export_grid_csv(window, window.document, tmp_path / "g.csv") is None
    assert told and "select a leg" in told[0] and not (tmp_path / "g.csv").exists()
