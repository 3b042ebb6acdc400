"""Issue 10 item 5 in the window: drills run at the marks on screen (dragged or set) and say which."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from planner.drills.montecarlo import liquidation_probability
from planner.engine.evaluate import evaluate


def _drag_mark(window, price: float) -> None:
    """Drag the liquidation plot's mark line (the focus symbol is leg #1, BTCUSDT)."""
    line = window.liquidation_plot.mark_line
    line.setValue(price)
    line.sigPositionChanged.emit(line)


def _tab(window, title: str):
    drills = window.drills_panel
    index = next(i for i in range(drills.tabs.count()) if drills.tabs.tabText(i) == title)
    drills.tabs.setCurrentIndex(index)
    return drills


def test_event_drill_reports_leg_liquidated_at_the_dragged_mark(window, qtbot):
    doc = window.document
    assert doc.figures.symbol == "BTCUSDT"
    lp = doc.evaluation.legs[0].liquidation_price
    _drag_mark(window, 45000.0)
    assert doc.marks == {"BTCUSDT": 45000.0} and lp > 45000.0  # the long is past its liquidation on screen
    assert doc.evaluation.legs[0].state == "liquidation"
    drills = _tab(window, "Event drill")
    drills.event_paths.setValue(4000)
    drills.event_seed.setValue(5)
    with qtbot.waitSignal(drills.mcFinished, timeout=30000) as blocker:
        qtbot.mouseClick(drills.mc_run, Qt.LeftButton)
    r = blocker.args[0]
    assert r.already_liquidated == (0,) and 0 not in r.per_leg and list(r.per_leg) == [1]
    t = drills.event_table
    assert t.item(0, 0).text() == "#1 BTCUSDT" and t.item(0, 1).text() == "already liquidated at the marks on screen"
    assert t.item(1, 0).text() == "#2 ETHUSDT" and t.item(1, 1).text().endswith("%")
    text = drills.mc_summary.text()
    assert "leg #1 already liquidated" in text
    assert text.endswith("at marks on screen: BTCUSDT 45,000.00 (what-if), ETHUSDT 2,950.00")
    preset = drills.events[drills.event_combo.currentData()]
    ref = liquidation_probability(
        doc.plan,
        doc.profile,
        model=preset.model(volatility=drills.event_vol.value() / 100.0),
        horizon_hours=preset.horizon_hours,
        paths=4000,
        seed=5,
        marks={"BTCUSDT": 45000.0},
    )
    assert r.per_leg == ref.per_leg and r.probability == ref.probability


def test_shock_gap_and_path_start_from_the_mark_on_screen(window, qtbot):
    doc = window.document
    doc.set_mark("BTCUSDT", 48000.0)
    where = "at marks on screen: BTCUSDT 48,000.00 (what-if), ETHUSDT 2,950.00"
    drills = _tab(window, "Shock")
    drills.shock_move.setValue(-10.0)
    qtbot.mouseClick(drills.shock_run, Qt.LeftButton)
    ev = evaluate(doc.plan, doc.profile, marks={"BTCUSDT": 43200.0, "ETHUSDT": 2655.0})
    assert drills.shock_table.item(0, 1).text() == "43,200.00"
    assert drills.shock_table.item(0, 6).text() == ("yes" if ev.legs[0].state == "liquidation" else "no")
    assert drills.shock_summary.text().startswith(f"Move of -10 % from the marks on screen ({where[len('at marks on screen: ') :]})")
    _tab(window, "Gap / slippage")
    qtbot.mouseClick(drills.gap_run, Qt.LeftButton)
    assert drills.gap_answer.text().endswith(f"(gap drill starting {where})")
    _tab(window, "Price path")
    with qtbot.waitSignal(drills.sigEquityPath, timeout=20000) as blocker:
        qtbot.mouseClick(drills.path_run, Qt.LeftButton)
    _hours, equity, _label = blocker.args
    start = evaluate(doc.plan, doc.profile, marks={"BTCUSDT": 48000.0})
    assert equity[0] == pytest.approx(start.account.equity, rel=1e-9)
    assert equity[0] != pytest.approx(evaluate(doc.plan, doc.profile).account.equity, rel=1e-9)
    assert drills.path_summary.text().startswith(f"Path starting {where}. ")


def test_funding_message_only_when_funding_liquidates(window, qtbot):
    doc = window.document
    assert doc.update_plan(funding_rates={"BTCUSDT": 0.0, "ETHUSDT": 0.0})
    _drag_mark(window, 45000.0)  # past leg #1's liquidation
    info = window.equity_plot.info.text()
    assert "isolated liquidation by funding" not in info
    assert "already liquidated at the marks on screen: leg #1" in info
    # Back above liquidation with a rate that eats the leg's last margin: funding is what liquidates.
    lp = doc.evaluation.legs[0].liquidation_price
    _drag_mark(window, lp + 100.0)
    assert doc.update_plan(funding_rates={"BTCUSDT": 0.003, "ETHUSDT": 0.0})
    info = window.equity_plot.info.text()
    assert "isolated liquidation by funding: leg #1 at 8.0 h" in info and "already liquidated" not in info
