"""Drill and action-plan panels: numbers equal the engine's, steps apply (undoably),
and a Monte Carlo drill runs off the GUI thread while the mark line is dragged."""

from __future__ import annotations

import time

import pytest

from planner.actions import action_plan
from planner.evaluate import evaluate
from planner.montecarlo import liquidation_probability
from planner.scenarios import Slippage, gap_waterfall


@pytest.fixture
def window(qtbot):
    from ui.document import PlanDocument
    from ui.main_window import MainWindow

    win = MainWindow(PlanDocument(), restore=False)
    qtbot.addWidget(win)
    win.show()
    return win


def test_gap_tab_matches_engine(window) -> None:
    panel = window.drills_panel
    panel.gap_leg.setCurrentIndex(0)
    panel.gap_beyond.setValue(3.0)
    panel.gap_slip.setValue(1.0)
    panel.run_gap()
    doc = window.document
    wf = gap_waterfall(doc.plan, doc.profile, 0, gap_beyond=0.03, slippage=Slippage(fixed=0.01))
    assert panel.last_waterfall == wf
    assert "Can you lose more than your margin?" in panel.gap_answer.text()


def test_shock_and_bad_input_shows_reason(window) -> None:
    panel = window.drills_panel
    panel.shock_move.setValue(-12.0)
    panel._sync(panel.run_shock)
    assert panel.shock_table.rowCount() == len(window.document.plan.positions) + 1
    plan_before = window.document.plan
    panel.path_kind.setCurrentIndex(2)
    panel.path_csv.setPlainText("0,50000\n1,abc\n")
    panel.run_path()
    assert "line 2: not numbers" in panel.message.text()
    assert window.document.plan is plan_before  # the plan is untouched


def test_action_step_applies_and_undoes(window, qtbot) -> None:
    doc = window.document
    doc.set_mark("BTCUSDT", 45700.0)
    panel = window.action_panel
    panel.refresh()
    expected = action_plan(doc.plan, doc.profile, marks=doc.marks, settings=panel.settings())
    assert [s.title for s in panel.plan.steps] == [s.title for s in expected.steps]
    step = next(s for s in panel.plan.steps if s.plan_after is not None)
    before = doc.plan
    panel.sigApplyPlan.emit(step.plan_after, step.title)
    assert doc.plan == step.plan_after
    after_ev = evaluate(doc.plan, doc.profile, marks=doc.marks)
    assert {l.index: l.liquidation_price for l in after_ev.legs} == step.liquidation_after
    doc.undo_stack.undo()
    assert doc.plan == before


def test_monte_carlo_off_thread_while_dragging(window, qtbot) -> None:
    panel = window.drills_panel
    panel.event_paths.setValue(400_000)
    panel.event_seed.setValue(5)
    panel.run_event()
    worker = panel.worker
    assert worker is not None and worker.isRunning()
    line = window.liquidation_plot.mark_line
    start = float(line.value())
    drags = 0
    t0 = time.perf_counter()
    while worker.isRunning() and drags < 20:
        line.setValue(start * (1 - 0.001 * (drags + 1)))  # the GUI thread keeps serving edits
        qtbot.wait(5)
        drags += 1
    assert drags >= 3  # the GUI thread served several drags while the drill ran
    assert window.document.evaluation.legs[0].mark_price == pytest.approx(start * (1 - 0.001 * drags))
    panel.cancel()
    assert panel.worker is None
    assert time.perf_counter() - t0 < 30


def test_monte_carlo_result_equals_engine(window, qtbot) -> None:
    panel = window.drills_panel
    panel.event_paths.setValue(20_000)
    panel.event_seed.setValue(9)
    panel.run_event()
    qtbot.waitUntil(lambda: panel.worker is None, timeout=30000)
    doc = window.document
    from planner.events import bundled_events

    preset = bundled_events()[panel.event_combo.currentData()]
    r = liquidation_probability(doc.plan, doc.profile, model=preset.model(None), horizon_hours=preset.horizon_hours, paths=20_000, seed=9)
    assert panel.last_event.probability == r.probability
    assert f"{r.probability:.2%}" in panel.event_result.text()
