"""Drill and action-plan panels: figures come from the engine, bad input is reported, drills run off the GUI thread."""

from __future__ import annotations

import time

import pytest

from planner.drills.actions import action_plan
from planner.drills.montecarlo import liquidation_probability
from planner.drills.scenarios import Slippage, gap_waterfall, shock
from planner.engine.evaluate import evaluate
from planner.io.registry import get_profile
from planner.model.plan import Account, Plan, Position
from ui.docks import ActionPanel, DrillsPanel


def _plan(mark: float = 50000.0, wallet: float = 600.0) -> Plan:
    """A cross BTC long at 20x whose mark sits near liquidation (margin call)."""
    return Plan(
        profile="binance-usdm",
        account=Account(wallet_balance=wallet),
        positions=[
            Position(symbol="BTCUSDT", side="long", quantity=0.2, entry_price=50000.0, mark_price=mark, leverage=20.0, margin_mode="cross")
        ],
        horizon_hours=24.0,
    )


@pytest.fixture
def profile():
    return get_profile("binance-usdm")


def test_action_panel_lists_engine_steps_and_apply_emits_plan(qtbot, profile):
    plan = _plan(mark=47220.0)
    ev = evaluate(plan, profile)
    assert ev.account.state != "safe"
    panel = ActionPanel()
    qtbot.addWidget(panel)
    panel.set_context(plan, profile, ev)
    assert panel.flush()
    expected = action_plan(plan, profile)
    assert len(panel.cards) == len(expected.steps) >= 3
    assert panel.cards[0].title.text() == f"1. {expected.steps[0].title}"
    assert expected.steps[0].kind in ("top_up", "top_up_distance")
    got = []
    panel.sigApplyPlan.connect(lambda p, text: got.append((p, text)))
    assert panel.apply_step(0)
    new_plan, text = got[0]
    assert new_plan == expected.steps[0].plan_after and text.startswith("Action:")
    after = evaluate(new_plan, profile)
    assert after.account.state == "safe"
    assert after.account.wallet_balance > plan.account.wallet_balance


def test_shock_tab_shows_engine_figures_and_refuses_bad_move(qtbot, profile):
    plan = _plan()
    panel = DrillsPanel()
    qtbot.addWidget(panel)
    panel.set_context(plan, profile, evaluate(plan, profile))
    panel.shock_move.setValue(-3.0)
    panel.run_shock()
    r = shock(plan, profile, move=-0.03)
    assert panel.shock_table.rowCount() == 1
    assert panel.shock_table.item(0, 1).text().replace(",", "").startswith("48500")
    assert panel.shock_table.item(0, 5).text() == r.legs[0].state
    panel.shock_move.setValue(-150.0)
    panel.run_shock()
    assert "shock.move" in panel.error.text()
    assert panel.plan is plan


def test_gap_tab_waterfall_rows_sum_and_answer(qtbot, profile):
    plan = _plan(mark=50000.0, wallet=2000.0)
    panel = DrillsPanel()
    qtbot.addWidget(panel)
    panel.set_context(plan, profile, evaluate(plan, profile))
    panel.gap_beyond.setValue(3.0)
    panel.gap_slip.setValue(1.0)
    panel.run_gap()
    w = gap_waterfall(plan, profile, 0, gap_beyond=0.03, slippage=Slippage(fixed=0.01))
    assert panel.gap_table.rowCount() == len(w.rows) > 0
    assert panel.gap_answer.text() == f"{w.describe()} (gap drill starting at marks on screen: BTCUSDT 50,000.00)"


def test_csv_path_error_names_the_line(qtbot, profile):
    plan = _plan()
    panel = DrillsPanel()
    qtbot.addWidget(panel)
    panel.set_context(plan, profile, evaluate(plan, profile))
    panel.path_kind.setCurrentIndex(2)
    panel.path_csv.setPlainText("time_hours,price\n0,50000\n1,abc\n2,49000\n")
    panel.run_path()
    assert "line 3" in panel.error.text()
    assert panel.worker is None


def test_path_drill_emits_equity_curve(qtbot, profile):
    plan = _plan()
    panel = DrillsPanel()
    qtbot.addWidget(panel)
    panel.set_context(plan, profile, evaluate(plan, profile))
    panel.path_kind.setCurrentIndex(0)
    with qtbot.waitSignal(panel.sigEquityPath, timeout=10000) as blocker:
        panel.run_path()
    hours, equity, label = blocker.args
    assert len(hours) == len(equity) > 10 and label
    assert equity[0] == pytest.approx(evaluate(plan, profile).account.equity, rel=1e-9)


def test_event_drill_in_worker_matches_engine_and_seed(qtbot, profile):
    plan = _plan(mark=49000.0, wallet=1000.0)
    panel = DrillsPanel()
    qtbot.addWidget(panel)
    panel.set_context(plan, profile, evaluate(plan, profile))
    panel.event_paths.setValue(20000)
    panel.event_seed.setValue(7)
    with qtbot.waitSignal(panel.mcFinished, timeout=20000) as blocker:
        panel.run_event()
    r = blocker.args[0]
    preset = panel.events[panel.event_combo.currentData()]
    ref = liquidation_probability(
        plan,
        profile,
        model=preset.model(volatility=panel.event_vol.value() / 100.0),
        horizon_hours=preset.horizon_hours,
        paths=20000,
        seed=7,
    )
    assert r.probability == ref.probability and r.paths == 20000
    assert panel.progress.value() == 1000


def test_bad_event_inputs_and_cancel(qtbot, profile):
    plan = _plan(mark=49000.0, wallet=1000.0)
    panel = DrillsPanel()
    qtbot.addWidget(panel)
    panel.set_context(plan, profile, evaluate(plan, profile))
    panel.event_paths.setValue(0)
    panel.run_event()
    assert "paths" in panel.error.text() and panel.worker is None
    panel.event_paths.setValue(100000)
    panel.event_vol.setValue(-10.0)
    panel.run_event()
    assert "volatility" in panel.error.text() and panel.worker is None
    # A long run is cancelled by an edit (new plan): the stale worker stops early.
    panel.event_vol.setValue(60.0)
    panel.event_paths.setValue(5_000_000)
    panel.run_event()
    worker = panel.worker
    assert worker is not None and panel.cancel_button.isEnabled()
    qtbot.wait(50)
    t0 = time.perf_counter()
    panel.set_context(_plan(mark=49500.0, wallet=1000.0), profile)
    assert panel.worker is None and worker.cancelled
    assert worker.wait(10000)
    assert time.perf_counter() - t0 < 10


def test_window_stays_responsive_while_monte_carlo_runs(window, qtbot):
    doc = window.document
    drills = window.drills_panel
    assert window.menu("Drills").actions()
    drills.event_paths.setValue(3_000_000)
    drills.run_event()
    worker = drills.worker
    assert worker is not None
    line = window.liquidation_plot.mark_line
    pnl0 = doc.evaluation.legs[0].unrealized_pnl
    line.setValue(47000.0)
    line.sigPositionChanged.emit(line)
    qtbot.wait(20)
    # The drag's figures are in before the drill finishes, and the drag did not abort it.
    assert doc.evaluation.legs[0].unrealized_pnl != pnl0
    assert worker.isRunning() and drills.worker is worker
    window.flush_action_plan()  # the Action plan dock is tabbed away: it computes on demand
    assert window.action_panel.flush() and window.action_panel.result is not None
    drills.cancel_worker()
    assert worker.wait(15000)


def test_action_settings_edit_recomputes_and_bad_buffer_is_named(qtbot, profile):
    from planner.drills.actions import ActionSettings

    plan = _plan(mark=47220.0)
    panel = ActionPanel()
    qtbot.addWidget(panel)
    panel.set_context(plan, profile, evaluate(plan, profile))
    panel.buffer.setValue(10.0)
    assert panel.flush()
    expected = action_plan(plan, profile, settings=ActionSettings(buffer=0.10))
    assert panel.result.steps[0].amount == pytest.approx(expected.steps[0].amount)
    assert panel.cards[0].title.text() == f"1. {expected.steps[0].title}"
    panel.buffer.setValue(-5.0)
    assert panel.flush()
    assert "actions.buffer" in panel.header.text() and panel.cards == []


def test_bad_jump_parameters_are_named(qtbot, profile):
    plan = _plan(mark=49000.0, wallet=1000.0)
    panel = DrillsPanel()
    qtbot.addWidget(panel)
    panel.set_context(plan, profile, evaluate(plan, profile))
    panel.event_jumps.setValue(-1.0)
    panel.run_event()
    assert "jump_intensity" in panel.error.text() and panel.worker is None


def test_gap_tab_depth_profile(qtbot, profile):
    from planner.drills.waterfall import parse_depth_levels

    plan = _plan(mark=50000.0, wallet=2000.0)
    panel = DrillsPanel()
    qtbot.addWidget(panel)
    panel.set_context(plan, profile, evaluate(plan, profile))
    panel.gap_model.setCurrentIndex(1)
    panel.gap_depth.setPlainText("0,2000\n0.5,3000\n2,1e9\n")
    panel.run_gap()
    w = gap_waterfall(plan, profile, 0, gap_beyond=0.02, slippage=parse_depth_levels("0,2000\n0.5,3000\n2,1e9\n"))
    assert panel.gap_answer.text() == f"{w.describe()} (gap drill starting at marks on screen: BTCUSDT 50,000.00)"
    panel.gap_depth.setPlainText("0,2000\nx,y\n")
    panel.run_gap()
    assert "line 2" in panel.error.text()


def test_compare_tab_is_a_leg_by_venue_grid_with_highlights(qtbot, profile):
    from PySide6.QtCore import Qt

    from planner.drills.scenarios import compare_profiles
    from planner.io.registry import bundled_profiles

    plan = Plan(
        profile="binance-usdm",
        account=Account(wallet_balance=20000.0),
        positions=[
            Position(symbol="BTCUSDT", side="long", quantity=0.2, entry_price=50000.0, leverage=10.0, margin_mode="isolated"),
            Position(symbol="ETHUSDT", side="short", quantity=2.0, entry_price=3000.0, leverage=5.0, margin_mode="isolated"),
        ],
    )
    panel = DrillsPanel()
    qtbot.addWidget(panel)
    panel.set_context(plan, profile)
    qtbot.mouseClick(panel.compare_run, Qt.LeftButton)
    t = panel.compare_table
    venues = list(bundled_profiles().values())
    assert t.columnCount() == len(venues) and t.rowCount() == 3  # two legs + "beyond bankruptcy"
    expected = compare_profiles(plan, profile, venues)
    for c, row in enumerate(expected):
        assert t.horizontalHeaderItem(c).text() == row.profile_name
        for r, cell in enumerate(row.legs):
            item = t.item(r, c)
            if cell.liquidation_price is not None:
                assert f"{cell.liquidation_price:,.2f}" in item.text()
            assert ("S safest" in item.text()) == cell.safest
            assert item.font().bold() == cell.cheapest
    assert any(cell.safest for row in expected for cell in row.legs[:1])
