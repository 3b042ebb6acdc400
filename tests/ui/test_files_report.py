"""Issue 10 item 11: plan name, dialog folders, where exports went, relaunch, Open recent, file modes, PDF report.

Dialogs are patched (QFileDialog / QMessageBox) and the menus are triggered as
a user would pick them; settings live in the per-test folder of tests/conftest.py.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from planner.io.plan_files import load_plan

ROOT = Path(__file__).resolve().parents[2]
COINM = ROOT / "tests" / "data" / "plans" / "coinm-inverse-short.plan.json"
POSIX = os.name == "posix"


def _action(window, *path: str):
    """The menu action at ``path`` (texts without '&'), e.g. ("File", "Export", "Report (PDF)…")."""
    actions = window.menu(path[0]).actions()
    for i, text in enumerate(path[1:]):
        texts = [a.text().replace("&", "") for a in actions]
        at = texts.index(text) if text in texts else next(k for k, t in enumerate(texts) if t.startswith(text))  # "Undo Rename plan"
        act = actions[at]
        if i == len(path) - 2:
            return act
        actions = act.menu().actions()
    raise AssertionError(path)


class SaveDialog:
    """Stands in for QFileDialog.getSaveFileName: records the proposed path, answers ``answer``."""

    def __init__(self, answer: Path) -> None:
        self.answer = answer
        self.proposed: list[Path] = []

    def __call__(self, parent, title, proposed, filt="", *a, **k):
        self.proposed.append(Path(proposed))
        return str(self.answer), filt


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


# -- plan name ----------------------------------------------------------------------------------
def test_plan_name_is_edited_in_the_plan_dock_undoable_and_saved(window, qtbot, tmp_path, monkeypatch) -> None:
    doc = window.document
    field = window.account_panel.name
    assert field.text() == doc.plan.name
    field.setFocus()
    qtbot.keyClick(field, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(field, "  BTC hedge <May> & co  ")
    qtbot.keyClick(field, Qt.Key_Return)
    assert doc.plan.name == "BTC hedge <May> & co"
    assert "BTC hedge <May> & co" in window.windowTitle() or doc.path is not None
    _action(window, "Edit", "Undo").trigger()
    assert doc.plan.name != "BTC hedge <May> & co" and field.text() == doc.plan.name
    _action(window, "Edit", "Redo").trigger()
    assert field.text() == "BTC hedge <May> & co"

    target = tmp_path / "hedge.plan.json"
    dialog = SaveDialog(target)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(dialog))
    _action(window, "File", "Save as…").trigger()
    assert json.loads(target.read_text())["name"] == "BTC hedge <May> & co"
    assert load_plan(target).name == "BTC hedge <May> & co"

    pdf = tmp_path / "hedge.pdf"
    dialog.answer = pdf
    _action(window, "File", "Export", "Report (PDF)…").trigger()
    text = _pdf_text(pdf)
    assert text.lstrip().startswith("BTC hedge <May> & co")  # the title, escaped in the HTML, shown literally
    assert "Untitled plan" not in text


def test_emptied_name_becomes_untitled_not_an_error(window, qtbot) -> None:
    field = window.account_panel.name
    field.setFocus()
    qtbot.keyClick(field, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClick(field, Qt.Key_Delete)
    qtbot.keyClick(field, Qt.Key_Tab)
    assert window.document.plan.name == "Untitled plan" and field.text() == "Untitled plan"


# -- folders and where files went ------------------------------------------------------------------
def test_save_as_and_export_start_in_the_plan_folder_then_the_last_folder(window, tmp_path, monkeypatch) -> None:
    plans, out = tmp_path / "plans", tmp_path / "out"
    plans.mkdir()
    out.mkdir()
    src = plans / "book.plan.json"
    shutil.copy(COINM, src)
    assert window.open_path(src)

    dialog = SaveDialog(out / "copy.plan.json")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(dialog))
    _action(window, "File", "Save as…").trigger()
    assert dialog.proposed[-1] == plans.resolve() / "book.plan.json"  # the plan's own folder, not home
    assert (out / "copy.plan.json").is_file()
    assert str((out / "copy.plan.json").resolve()) in window.statusBar().currentMessage()

    dialog.answer = out / "legs.csv"
    _action(window, "File", "Export", "Positions (CSV)…").trigger()
    assert dialog.proposed[-1].parent == out.resolve()  # the open plan now lives in out/
    assert (out / "legs.csv").is_file()
    assert window.statusBar().currentMessage() == f"Positions written to {(out / 'legs.csv').resolve()}"

    # A new plan has no folder: the dialog starts where the last file went, remembered in QSettings.
    _action(window, "File", "New").trigger()
    assert window.document.path is None
    dialog.answer = tmp_path / "r.pdf"
    _action(window, "File", "Export", "Report (PDF)…").trigger()
    assert dialog.proposed[-1].parent == out.resolve()
    assert dialog.proposed[-1] != Path.home() / "position-plan.pdf"
    assert window.statusBar().currentMessage() == f"Report written to {(tmp_path / 'r.pdf').resolve()}"
    assert QSettings().value("files/last_folder") == str(tmp_path.resolve())


def test_plot_images_say_where_they_went(window, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: str(tmp_path)))
    _action(window, "File", "Export", "Plot images (PNG)…").trigger()
    msg = window.statusBar().currentMessage()
    assert msg.startswith(f"Plot images written to {tmp_path.resolve()}") and "liquidation-plot.png" in msg


# -- relaunch and Open recent ------------------------------------------------------------------------
def _run_app(argv: list[str], monkeypatch) -> list:
    """ui.app.main in this process; the event loop returns at once and reports the window's document."""
    from PySide6.QtCore import QCoreApplication

    from ui import app as app_module
    from ui.main_window import MainWindow

    names = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    seen: list = []

    def exec_(self) -> int:
        win = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        seen.append((win.document.path, win.document.plan.name))
        return 0

    monkeypatch.setattr(QApplication, "exec", exec_)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    try:
        assert app_module.main(argv) == 0
    finally:
        QCoreApplication.setOrganizationName(names[0])
        QCoreApplication.setApplicationName(names[1])
    return seen


def _app_settings() -> QSettings:
    """The settings file of the application as ui.app names it (default format, user scope)."""
    return QSettings(QSettings.defaultFormat(), QSettings.Scope.UserScope, "PositionPlanner", "Position Planner")


def test_command_line_plan_joins_open_recent_and_is_reopened_at_next_launch(qtbot, tmp_path, monkeypatch) -> None:
    from ui.main_window import last_plan_path

    plan = tmp_path / "cli.plan.json"
    shutil.copy(COINM, plan)
    seen = _run_app([str(plan)], monkeypatch)
    assert seen == [(plan, "COIN-M inverse: BTC short cross, ETH long isolated")]
    app_settings = _app_settings()
    assert app_settings.value("recent") == [str(plan.resolve())]
    assert last_plan_path(app_settings) == plan.resolve()

    seen = _run_app([], monkeypatch)  # relaunch without arguments: the last plan, not the example
    assert seen == [(plan.resolve(), "COIN-M inverse: BTC short cross, ETH long isolated")]

    plan.unlink()  # gone: the example opens
    assert last_plan_path(_app_settings()) is None
    seen = _run_app([], monkeypatch)
    assert seen[0][0] is None and seen[0][1] != "COIN-M inverse: BTC short cross, ETH long isolated"


def test_open_recent_lists_the_plan_opened_and_saved(window, tmp_path, monkeypatch) -> None:
    src = tmp_path / "a.plan.json"
    shutil.copy(COINM, src)
    window.open_path(src)
    window.recent_menu.aboutToShow.emit()
    assert window.recent_menu.actions()[0].text() == str(src.resolve())


# -- file modes ---------------------------------------------------------------------------------------
@pytest.mark.skipif(not POSIX, reason="modes are POSIX")
def test_plans_are_saved_with_the_umask_default_and_existing_modes_kept(window, tmp_path, monkeypatch) -> None:
    old = os.umask(0o022)
    try:
        new = tmp_path / "new.plan.json"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(SaveDialog(new)))
        _action(window, "File", "Save as…").trigger()
        assert stat.S_IMODE(new.stat().st_mode) == 0o644  # not 0600
        os.chmod(new, 0o640)
        window.document.update_plan(name="kept mode")
        _action(window, "File", "Save").trigger()
        assert load_plan(new).name == "kept mode"
        assert stat.S_IMODE(new.stat().st_mode) == 0o640
        assert stat.S_IMODE((tmp_path / "new.plan.json.bak").stat().st_mode) == 0o640
        pdf = tmp_path / "r.pdf"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(SaveDialog(pdf)))
        _action(window, "File", "Export", "Report (PDF)…").trigger()
        assert stat.S_IMODE(pdf.stat().st_mode) == 0o644
    finally:
        os.umask(old)


# -- the PDF ---------------------------------------------------------------------------------------------
def test_report_has_page_numbers_print_resolution_plots_and_the_drills_run(window, qtbot, tmp_path, monkeypatch) -> None:
    from ui import report

    panel = window.drills_panel
    window.show_drill(0)
    qtbot.mouseClick(panel.shock_run, Qt.LeftButton)
    window.show_drill(1)
    qtbot.mouseClick(panel.gap_run, Qt.LeftButton)
    titles = [r.title for r in panel.report_records()]
    assert titles == ["Shock", "Gap / slippage"]

    pdf = tmp_path / "r.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(SaveDialog(pdf)))
    _action(window, "File", "Export", "Report (PDF)…").trigger()
    text = _pdf_text(pdf)
    pages = text.count("\f")
    assert pages >= 3
    for n in range(1, pages + 1):
        assert f"page {n} of {pages}" in text
    assert "Drills run in this session" in text
    assert "every mark moved -10.00 %" in text and "leg #1 BTCUSDT, gap 2.00 % past liquidation, 1.00 % slippage" in text
    shock = panel.report_records()[0]
    assert shock.rows[0][0] in text and shock.summary.split(";")[0] in text.replace("\n", " ")
    assert "-0.00" not in text

    # A drill run before an edit is printed with a warning, not as if it were current.
    window.document.update_position(0, "edit", quantity=window.document.plan.positions[0].quantity * 2)
    html_text = report.report_html(window.document.figures, [], panel.report_records())
    assert html_text.count("ran on an earlier version of the plan") == 2

    images = report.plot_images(window.document.figures)
    w, h = report.PLOT_SIZES["liquidation"]
    assert (images["liquidation"].width(), images["liquidation"].height()) == (w * report.PLOT_SCALE, h * report.PLOT_SCALE)
    assert images["liquidation"].devicePixelRatio() == report.PLOT_SCALE


def test_report_escapes_user_text_and_has_no_negative_zero(qtbot) -> None:
    from ui import report
    from ui.document import PlanDocument

    plan = load_plan(ROOT / "resources" / "examples" / "btc-10x-isolated.plan.json")
    legs = [p.model_copy(update={"mark_price": p.entry_price}) for p in plan.positions]  # uPnL exactly 0
    plan = plan.model_copy(update={"name": "<script>x</script> & <b>bold</b>", "positions": legs})
    doc = PlanDocument(plan)
    drill = report.DrillRecord("Shock", "setup <i>", ["Leg"], [["<td>"]], summary="a & b", plan=doc.plan)
    body = report.report_html(doc.figures, [], [drill])
    assert "<script>" not in body and "&lt;script&gt;x&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in body
    assert "setup &lt;i&gt;" in body and "<td>&lt;td&gt;</td>" in body and "a &amp; b" in body
    assert "-0.00" not in body and "0.00 USDT" in body  # uPnL at entry


def test_coin_margined_wallets_in_the_panel_and_the_report(qtbot, tmp_path) -> None:
    from ui.document import PlanDocument
    from ui.main_window import MainWindow
    from ui.report import write_report

    win = MainWindow(PlanDocument(load_plan(COINM)), restore=False)
    qtbot.addWidget(win)
    panel = win.account_panel
    assert panel.wallet.value() == 0.5 and panel.wallet.suffix().strip() == "BTC"
    assert panel.balances["ETH"].value() == 4.0
    assert "0.5" in panel.wallet.text() and "4" in panel.balances["ETH"].text()
    out = write_report(win.document.figures, tmp_path / "coinm.pdf")
    text = _pdf_text(out)
    assert "0.500000 BTC" in text and "4.000000 ETH" in text
    # Gap amounts in coins keep the coin's decimals and currency (not "0.02").
    assert "liquidation fee 0.002407 BTC" in text
    win.document.undo_stack.setClean()
