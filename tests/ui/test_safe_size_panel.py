"""Safe-size panel: the shown answers are the engine's, runs cancel cleanly, edits mark the result stale, Apply is one undo step."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from planner.drills.events import bundled_events
from planner.drills.marks import plan_at_marks
from planner.drills.safe_size import heatmap, heatmap_volatility, safe_size
from planner.io.registry import get_profile
from planner.model.plan import Account, Plan, Position
from ui.docks.safe_size_panel import SafeSizePanel, heat_leverages, heat_values, target_contour

USDM = get_profile("binance-usdm")


def _plan() -> Plan:
    return Plan(
        profile="binance-usdm",
        account=Account(wallet_balance=20_000.0),
        positions=[
            Position(symbol="BTCUSDT", side="long", quantity=0.5, entry_price=60_000.0, mark_price=60_000.0, leverage=25.0),
            Position(symbol="ETHUSDT", side="short", quantity=4.0, entry_price=3_000.0, mark_price=3_000.0, leverage=5.0),
        ],
    )


def _panel(qtbot, plan: Plan, marks: dict[str, float] | None = None) -> SafeSizePanel:
    panel = SafeSizePanel()
    qtbot.addWidget(panel)
    panel.set_context(plan, USDM, marks)
    panel.show()
    return panel


def _type(qtbot, spin, text: str) -> None:
    edit = spin.lineEdit()
    qtbot.keyClick(edit, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key_Return)


def _run(qtbot, panel: SafeSizePanel) -> None:
    with qtbot.waitSignal(panel.finished, timeout=60_000):
        qtbot.mouseClick(panel.run_button, Qt.LeftButton)


def test_run_shows_the_engine_answer_at_the_marks_on_screen(qtbot):
    plan, marks = _plan(), {"BTCUSDT": 58_000.0}
    panel = _panel(qtbot, plan, marks)
    _type(qtbot, panel.paths, "5000")
    _run(qtbot, panel)
    expected = safe_size(plan_at_marks(plan, marks), USDM, "cpi", target=0.01, paths=5000, seed=7)
    assert panel.result is not None and panel.result.legs == expected
    btc = expected[0]
    assert btc.safe_leverage is not None and btc.probability <= 0.01 < (btc.next_probability or 0.0)
    assert panel.table.item(0, 2).text() == f"{btc.safe_leverage:g}x"
    assert panel.table.item(0, 1).text().startswith("25x")
    # the answer says where it ran: the what-if BTC mark, the plan's ETH mark
    assert "BTCUSDT 58,000.00 (what-if)" in panel.summary.text() and "ETHUSDT 3,000.00" in panel.summary.text()
    assert not panel.banner.isVisible() and panel.error.text() == ""


def test_heat_map_data_is_the_engines_and_the_toggle_switches_axis(qtbot):
    plan = _plan()
    panel = _panel(qtbot, plan)
    _type(qtbot, panel.paths, "3000")
    _run(qtbot, panel)
    r = panel.result
    assert r is not None and r.heat is not None and r.heat_vol is not None
    levs = heat_leverages(r.legs[0])
    btc = r.legs[0]
    assert btc.safe_leverage is not None and btc.safe_leverage < 15  # so 1.5 x the current 25x sets the right edge
    assert levs[0] == 1.0 and levs[-1] == pytest.approx(min(btc.max_leverage, 37.5)) and len(levs) == 20
    want = heatmap(plan, USDM, "cpi", leg=0, leverages=levs, seed=7)
    np.testing.assert_array_equal(r.heat.probability, want.probability)
    np.testing.assert_array_equal(panel.image.image, heat_values(want.probability))
    # target line: at the full horizon it crosses where the probability passes 1 %
    xs, ys = target_contour(want, 0.01)
    top = want.probability[:, -1]
    k = int(np.nonzero(top > 0.01)[0][0])
    assert ys[-1] == pytest.approx(24.0) and levs[k - 1] <= xs[-1] <= levs[k]
    # hovering a cell: its leverage, hour and probability
    i, j = panel.cell_at(float(levs[k]), 24.0)
    assert (i, j) == (k, 19)
    assert panel.cell_text(i, j).startswith(f"{levs[k]:.3g}x · 24 h into the event\nP(liquidation) ")
    panel.axis_combo.setCurrentIndex(1)
    want_vol = heatmap_volatility(plan, USDM, "cpi", leg=0, leverages=levs, seed=7)
    np.testing.assert_array_equal(panel.image.image, heat_values(want_vol.probability))
    assert "volatility" in panel.plot.getAxis("left").labelText.lower()
    # clicking the ETH row draws leg #2's maps for the same answer (the table stays)
    with qtbot.waitSignal(panel.finished, timeout=60_000):
        rect = panel.table.visualRect(panel.table.model().index(1, 0))
        qtbot.mouseClick(panel.table.viewport(), Qt.LeftButton, pos=rect.center())
    assert panel.result.heat_leg == 1 and panel.result.legs is r.legs and panel.heat_leg.currentIndex() == 1
    eth = heatmap_volatility(plan, USDM, "cpi", leg=1, leverages=heat_leverages(r.legs[1]), seed=7)
    np.testing.assert_array_equal(panel.image.image, heat_values(eth.probability))
    assert panel.heat_caption.text().startswith("Leg #2 ETHUSDT")


def test_cancel_keeps_the_previous_result_marked(qtbot):
    panel = _panel(qtbot, _plan())
    _type(qtbot, panel.paths, "2000")
    _run(qtbot, panel)
    first = panel.result
    assert first is not None
    _type(qtbot, panel.paths, "200000")
    qtbot.mouseClick(panel.run_button, Qt.LeftButton)
    assert panel.cancel_button.isEnabled() and not panel.run_button.isEnabled()
    qtbot.mouseClick(panel.cancel_button, Qt.LeftButton)
    panel.wait_idle()
    qtbot.wait(50)
    assert panel.result is first and panel.table.item(0, 2).text() == f"{first.legs[0].safe_leverage:g}x"
    assert panel.banner.isVisible() and "cancelled" in panel.banner.text() and "previous run" in panel.banner.text()
    assert panel.run_button.isEnabled() and not panel.cancel_button.isEnabled()


def test_custom_event_fields_and_bad_input(qtbot):
    plan = _plan()
    panel = _panel(qtbot, plan)
    _type(qtbot, panel.paths, "2000")
    _type(qtbot, panel.vol, "80")
    assert panel.event_combo.currentData() == "custom"  # editing a field makes the event custom
    _run(qtbot, panel)
    cpi = bundled_events()["cpi"]
    custom = cpi.model_copy(update={"volatility": 0.8, "id": "custom", "name": "Custom event"})
    assert panel.result is not None and panel.result.legs == safe_size(plan, USDM, custom, target=0.01, paths=2000, seed=7)
    assert "Custom event: 24 h, volatility 80.0 %/yr" in panel.summary.text()
    _type(qtbot, panel.horizon, "-3")
    assert not panel.run()
    assert panel.error.text().startswith("Safe size: Horizon") and "\n" not in panel.error.text()
    _type(qtbot, panel.horizon, "24")
    _type(qtbot, panel.target, "0")
    assert not panel.run() and panel.error.text() == "Target P(liquidation): must be between 0 and 100 % (got 0 %)"


def test_window_edit_marks_stale_and_apply_is_one_undo_step(window, qtbot):
    from ui.main_window import DRILL_TABS

    doc = window.document
    window.show_drill(len(DRILL_TABS) - 1)
    panel = window.drills_panel.safe_size
    assert window.drills_panel.tabs.currentWidget() is panel
    _type(qtbot, panel.paths, "2000")
    _run(qtbot, panel)
    r = panel.result
    assert r is not None and r.plan == doc.plan
    (rec,) = [x for x in window.drills_panel.report_records() if x.title == "Safe size"]
    assert rec.rows == panel.rows() and rec.plan == r.plan and "US CPI release" in rec.setup
    row = next(i for i, leg in enumerate(r.legs) if leg.safe_leverage is not None and leg.safe_leverage != leg.current_leverage)
    leg = r.legs[row]
    panel.table.selectRow(row)
    assert panel.apply_button.isEnabled()
    before = doc.plan
    qtbot.mouseClick(panel.apply_button, Qt.LeftButton)
    assert doc.plan.positions[leg.index].leverage == leg.safe_leverage
    assert doc.undo_stack.undoText().startswith(f"Safe leverage: leg {leg.index + 1}")
    # the plan on screen changed: the result is marked and cannot be applied again
    assert panel.banner.isVisible() and f"leg #{leg.index + 1} leverage" in panel.banner.text()
    assert not panel.apply_button.isEnabled()
    doc.undo_stack.undo()
    assert doc.plan == before and not panel.banner.isVisible() and panel.apply_button.isEnabled()
    # dragging a what-if mark: same plan, other marks -> marked too
    symbol = doc.plan.positions[0].symbol
    doc.set_mark(symbol, doc.evaluation.legs[0].mark_price * 0.97)
    assert panel.banner.isVisible() and "what-if marks moved" in panel.banner.text() and not panel.apply_button.isEnabled()
    doc.set_mark(symbol, None)
    assert not panel.banner.isVisible()
    # a refused edit (the draft on screen has problems) also marks it, and a run is refused
    assert not doc.update_position(0, leverage=1000.0)
    assert panel.banner.isVisible() and not panel.run()
    assert "problems" in panel.error.text()
