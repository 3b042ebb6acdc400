"""Issue 10 leftovers (helper "polish"): driven by keystrokes and clicks like a user."""

from __future__ import annotations

import numpy as np
import pytest

from planner.engine.evaluate import evaluate


# -- item 10: stop charging a closed leg ------------------------------------------------
def test_equity_plot_stops_charging_an_isolated_leg_funding_liquidated(window, type_in):
    """Example plan (Binance, negative-balance protection): 5 %/8 h on BTCUSDT liquidates the isolated leg.

    1 BTC long @ 50,000 isolated with 5,000 margin pays 2,500 per settlement: 5,000 -> 2,500 -> 0 at 16 h
    (below its 200 maintenance margin), then it is closed and pays nothing. The ETH cross leg keeps paying
    0.01 % of 20 x 2,950 = 5.90 per settlement, 9 settlements in 72 h. So the account loses
    5,000 + 53.10, never the 22,553.10 of charging the closed leg for 72 h.
    """
    doc = window.document
    type_in(window.funding_panel.rates["BTCUSDT"], "5")
    assert doc.plan.funding_rates["BTCUSDT"] == pytest.approx(0.05)
    ev = evaluate(doc.plan, doc.profile, marks=doc.marks or None)
    assert ev.legs[0].margin_mode == "isolated" and ev.legs[0].maintenance_margin == pytest.approx(200.0)
    plot = window.equity_plot
    hours, change = (np.asarray(a, dtype=float) for a in plot.equity_curve.getData())
    assert change[-1] == pytest.approx(-(5000.0 + 9 * 5.90), abs=1e-6)
    assert change.min() >= -(5000.0 + 9 * 5.90) - 1e-6, "never more than the leg's margin plus the cross leg's funding"
    after = hours >= 16.0
    assert np.ptp(change[after & (hours < 24.0)]) == 0.0, "nothing charged between settlements of the closed leg"
    text = plot.info.text()
    assert "-5,053.10 USDT to the account" in text
    assert "isolated liquidation by funding: leg #1 at 16.0 h" in text


# -- the profile dropdown survives the background action plan -----------------------------
def test_open_profile_dropdown_stays_open_when_action_plan_arrives(window, type_in, qtbot):
    from PySide6.QtCore import Qt

    panel = window.action_panel
    panel.flush()
    combo = window.profile_selector.combo
    type_in(window.position_form.leverage, "12")  # an edit: the action plan recomputes in the background
    qtbot.waitUntil(lambda: panel.pending, timeout=3000)  # after the typing pause
    qtbot.mouseClick(combo, Qt.LeftButton)
    popup = combo.view().window()
    qtbot.waitUntil(popup.isVisible, timeout=3000)
    focus = popup.focusWidget() or combo.view()
    with qtbot.waitSignal(panel.sigUpdated, timeout=30000):
        pass
    qtbot.wait(50)
    assert not panel.pending
    assert popup.isVisible(), "the result must not close an open dropdown"
    assert combo.view().hasFocus() or popup.focusWidget() is focus, "nor steal its focus"
    qtbot.keyClick(combo.view(), Qt.Key_Escape)
    qtbot.waitUntil(lambda: not popup.isVisible(), timeout=3000)
