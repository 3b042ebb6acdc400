"""Dated futures in the window: expiry shown from the symbol, the Roll check box, the roll step on the equity plot,
and the same rollover cost in the CLI, the window's equity figures and the report."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "dated-roll.plan.json"


@pytest.fixture
def dated_window(qtbot, data_dir, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from planner.io.plan_files import load_plan
    from ui.document import PlanDocument
    from ui.main_window import MainWindow

    win = MainWindow(PlanDocument(load_plan(EXAMPLE)), restore=False)
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.Discard))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.document.undo_stack.setClean()


def test_roll_basis_typed_in_percent_a_year(dated_window, type_in) -> None:
    doc, form = dated_window.document, dated_window.position_form
    dated_window.positions_table.select(0)
    assert form.roll_basis.isEnabled() and form.roll_basis.edit.text().startswith("6")
    type_in(form.roll_basis, "3.65")
    assert doc.plan.positions[0].roll_basis == pytest.approx(0.0365)
    assert doc.evaluation.dated[0].next_price == pytest.approx(99_000 * (1 + 0.0365 * 91 / 365))  # 99,900.90
    type_in(form.roll_basis, "")
    assert doc.plan.positions[0].roll_basis is None and doc.evaluation.dated[0].basis_paid == 0.0


def test_form_shows_expiry_and_roll_box_toggles_the_roll(dated_window, qtbot) -> None:
    from PySide6.QtCore import Qt

    w, doc = dated_window, dated_window.document
    w.positions_table.select(0)
    form = w.position_form
    assert form.expiry.text() == "2026-12-25 08:00 UTC (quarterly), 5.00 days from the plan as_of 2026-12-20 08:00 UTC"
    assert form.roll.isEnabled() and form.roll.isChecked()
    # No funding on the quarterly: its funding box is closed and says why; the perpetual's stays open.
    assert not w.funding_panel.rates["BTCUSDT_261225"].isEnabled() and w.funding_panel.rates["ETHUSDT"].isEnabled()
    (step,) = doc.figures.funding.expiry_steps
    assert step.rolled and step.amount == pytest.approx(1580.6719726)
    qtbot.mouseClick(form.roll, Qt.MouseButton.LeftButton)
    assert doc.plan.positions[0].roll is False
    (step,) = doc.figures.funding.expiry_steps
    assert not step.rolled and step.amount == pytest.approx(49.5)  # settlement fee only
    assert "settles (no roll) at 120.0 h" in w.equity_plot.info.text()
    # The marked step sits at the expiry hour, on the curve after the step.
    mx, my = w.equity_plot.expiry_marks.getData()
    c = doc.figures.funding
    assert list(mx) == [120.0] and my[0] == pytest.approx(np.interp(120.0, c.hours, c.equity - c.equity[0]))
    doc.undo_stack.undo()
    assert doc.plan.positions[0].roll is True and form.roll.isChecked()
    # The table shows the expiry read-only and the roll as a check box.
    model = w.positions_table.model
    col = {name: i for i, (name, _) in enumerate(__import__("ui.widgets.positions_table", fromlist=["COLUMNS"]).COLUMNS)}
    assert model.data(model.index(0, col["expiry"])) == "2026-12-25 08:00 UTC"
    assert model.data(model.index(1, col["expiry"])) == "—"
    assert model.data(model.index(0, col["roll"]), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert not model.flags(model.index(0, col["expiry"])) & Qt.ItemFlag.ItemIsEditable


def test_typing_a_dated_symbol_makes_the_leg_a_quarterly(dated_window, qtbot) -> None:
    from PySide6.QtCore import Qt

    w, doc = dated_window, dated_window.document
    w.positions_table.select(1)
    form = w.position_form
    assert form.expiry.text() == "perpetual (no expiry)" and not form.roll.isEnabled()
    edit = form.symbol.lineEdit()
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "ETHUSDT_261225")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert doc.plan.positions[1].symbol == "ETHUSDT_261225"
    assert form.expiry.text().startswith("2026-12-25 08:00 UTC (quarterly)")
    assert form.roll.isEnabled() and not form.roll.isChecked()
    qtbot.mouseClick(form.roll, Qt.MouseButton.LeftButton)
    assert doc.plan.positions[1].roll is True
    assert [d.symbol for d in doc.evaluation.dated] == ["BTCUSDT_261225", "ETHUSDT_261225"]
    assert doc.evaluation.legs[1].funding_per_interval == 0.0  # the quarterly pays no funding
    # Back to a perpetual: the roll goes with the symbol (a perpetual cannot roll), no problem left behind.
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "ETHUSDT")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert doc.plan.positions[1].symbol == "ETHUSDT" and doc.plan.positions[1].roll is False and not doc.problems


def test_cli_window_and_report_show_the_same_rollover_cost(dated_window) -> None:
    from planner.cli.main import main
    from planner.present.format import fmt_money
    from ui.report import report_html

    doc = dated_window.document
    cost = doc.evaluation.dated[0].rollover_cost
    shown = fmt_money(cost, "USDT")
    assert shown == "1,580.67 USDT"
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["evaluate", str(EXAMPLE)]) == 0
    assert f"rollover cost {shown}" in out.getvalue()
    (step,) = doc.figures.funding.expiry_steps
    assert step.amount == cost
    assert f"rollover cost {shown}" in dated_window.equity_plot.info.text()
    html = report_html(doc.figures, [])
    assert f"rollover cost {shown}" in html and "Rollover cost within the horizon: 1,580.67 USDT" in html
    assert f"costs {shown}" in html  # the action plan's rollover step in the report
